-- get.lua - a constant GET (/healthz, /readyz, /bare/): the ceilings.
-- The URL's path is what wrk is given; nothing varies per request.
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
