-- verify.lua - chat-app verify-token (SPEC B): GET
-- /api/oauth/<user_id>/verify-token/v1/ with "Authorization: Bearer <t>",
-- a different token of the filled set on every request.
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local next_token, path

function init(args)
	next_token = bench.cycle(bench.load_tokens())
	path = "/api/oauth/" .. bench.env("BENCH_USER_ID") ..
	    "/verify-token/v1/"
end

function request()
	return wrk.format("GET", path,
	    { ["Authorization"] = "Bearer " .. next_token() })
end
