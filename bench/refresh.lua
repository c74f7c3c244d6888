-- refresh.lua - refresh rotation (RFC 6749 6): POST /oauth/token with
-- grant_type=refresh_token and an unused refresh token of the bench client
-- on every request. A token is good once: the file holds a fresh slice
-- for this run (bench/run.sh), and a wrap (the slice ran out) shows up as
-- wrapped > 0 and 400 answers.
local bench = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local next_request

function init(args)
	next_request = bench.posts("/oauth/token", function(token)
		return "grant_type=refresh_token&refresh_token=" .. token
	end)
end

function request()
	return next_request()
end
