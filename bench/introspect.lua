-- introspect.lua - RFC 7662 introspection: POST /oauth/introspect with
-- the bench client's Basic credentials (a resource server, so every token
-- is visible to it) and a different token of the filled set each time.
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local next_request

function init(args)
	local headers = {
		["Authorization"] = bench.env("BENCH_BASIC"),
		["Content-Type"] = "application/x-www-form-urlencoded",
	}
	next_request = bench.prebuilt(function(token)
		return wrk.format("POST", "/oauth/introspect", headers,
		    "token=" .. token)
	end, bench.load_tokens())
end

function request()
	return next_request()
end
