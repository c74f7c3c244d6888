-- login.lua - the legacy login, POST /v1/oauth/ (SPEC L) with the bench
-- user's name and password. Legacy errors are HTTP 200 with
-- "success": false, so every answer's body is checked (logins are slow
-- enough that reading the body costs nothing measurable).
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.path = "/v1/oauth/"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=bench&password=" .. bench.env("BENCH_PASSWORD") ..
    "&device-info=wrk"

bad = 0

function response(status, headers, body)
	if status ~= 200 or not string.find(body, '"success": true', 1, true) then
		bad = bad + 1
	end
end
