-- introspect.lua - RFC 7662 introspection: POST /oauth/introspect with
-- the bench client's Basic credentials (a resource server, so every token
-- is visible to it) and a different token of the filled set each time.
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local next_token, headers

function init(args)
	next_token = bench.cycle(bench.load_tokens())
	headers = {
		["Authorization"] = bench.env("BENCH_BASIC"),
		["Content-Type"] = "application/x-www-form-urlencoded",
	}
end

function request()
	return wrk.format("POST", "/oauth/introspect", headers,
	    "token=" .. next_token())
end
