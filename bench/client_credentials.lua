-- client_credentials.lua - RFC 6749 4.4 issuance: POST /oauth/token with
-- grant_type=client_credentials and the bench client's Basic credentials.
-- Every request inserts one access token (one committed transaction).
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.path = "/oauth/token"
wrk.headers["Authorization"] = bench.env("BENCH_BASIC")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials"
