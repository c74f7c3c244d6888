-- verify.lua - chat-app verify-token (SPEC B): GET
-- /api/oauth/<user_id>/verify-token/v1/ with "Authorization: Bearer <t>",
-- a different token of the filled set on every request.
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local next_request

function init(args)
	local path = "/api/oauth/" .. bench.env("BENCH_USER_ID") ..
	    "/verify-token/v1/"
	next_request = bench.prebuilt(function(token)
		return wrk.format("GET", path,
		    { ["Authorization"] = "Bearer " .. token })
	end, bench.load_tokens())
end

function request()
	return next_request()
end
