-- introspect.lua - RFC 7662 introspection: POST /oauth/introspect with
-- the bench client's Basic credentials (a resource server, so every token
-- is visible to it) and a different token of the filled set each time.
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local next_request

function init(args)
	next_request = bench.posts("/oauth/introspect", function(token)
		return "token=" .. token
	end)
end

function request()
	return next_request()
end
