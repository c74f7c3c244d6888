-- common.lua - shared by the wrk scripts of bench/ (loaded with dofile).
--
-- Every script reports through done() one machine-readable line that
-- bench/run.sh parses:
--   BENCHRESULT requests=N duration_us=N rps=R mean_us=N p50_us=N p90_us=N
--     p99_us=N max_us=N non2xx=N connect=N read=N write=N timeout=N bad=N
-- non2xx counts HTTP statuses >= 400 (wrk's errors.status); bad counts
-- answers a script's response() refused (a legacy login failure is HTTP
-- 200 with "success": false, so its status alone proves nothing).
--
-- Environment (set by bench/run.sh; wrk passes its own to the scripts):
--   BENCH_THREADS     wrk's -t, so each thread can take its own slice
--   BENCH_TOKENS_FILE one token a line (verify, introspect, refresh)
--   BENCH_BASIC       "Basic <base64(client_id:secret)>" of the bench client
--   BENCH_USER_ID     the bench user's id (chat verify URL)
--   BENCH_PASSWORD    the bench user's password (legacy login)

local M = {}

local threads = {}
local counter = 0

-- Called by wrk in the main state once per thread before it starts.
function setup(thread)
	thread:set("thread_id", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

function M.env(name)
	local v = os.getenv(name)
	if v == nil or v == "" then
		error("bench: " .. name .. " is not set")
	end
	return v
end

-- This thread's slice of the token file: the file is a list of distinct
-- tokens in random order; thread i walks from i * n / threads on, so no
-- two threads send the same token until their slice wraps.
function M.load_tokens()
	local path = M.env("BENCH_TOKENS_FILE")
	local list = {}
	for line in io.lines(path) do
		if #line == 40 then
			list[#list + 1] = line
		end
	end
	if #list == 0 then
		error("bench: no tokens in " .. path)
	end
	local nthreads = tonumber(M.env("BENCH_THREADS"))
	local id = thread_id or 0
	local first = math.floor(id * #list / nthreads) + 1
	local last = math.floor((id + 1) * #list / nthreads)
	if last < first then
		first, last = 1, #list
	end
	return list, first, last
end

-- An iterator over this thread's slice; it wraps (the caller's scenario
-- decides whether a repeat matters: a refresh token cannot be reused).
function M.cycle(list, first, last)
	local i = first - 1
	return function()
		i = i + 1
		if i > last then
			i = first
			wrapped = (wrapped or 0) + 1
		end
		return list[i]
	end
end

-- Requests built once, before the run: build(token) returns one request
-- (wrk.format), made here for every token of this thread's slice, and the
-- iterator returned hands them out in turn. wrk calls request() for each
-- request; formatting there would cost the client about 10 us of the two
-- shared cores per request (docs/performance.md), which the constant
-- ceilings (/readyz, wrk's own static request) do not pay.
function M.prebuilt(build, list, first, last)
	local reqs = {}
	for i = first, last do
		reqs[#reqs + 1] = build(list[i])
	end
	return M.cycle(reqs, 1, #reqs)
end

-- For the POST scripts: an iterator over this thread's requests, each a
-- form POST to path with the bench client's Basic credentials and the
-- body body(token) for the next token of the file.
function M.posts(path, body)
	local headers = {
		["Authorization"] = M.env("BENCH_BASIC"),
		["Content-Type"] = "application/x-www-form-urlencoded",
	}
	return M.prebuilt(function(token)
		return wrk.format("POST", path, headers, body(token))
	end, M.load_tokens())
end

function done(summary, latency, requests)
	local bad, wraps = 0, 0
	for _, t in ipairs(threads) do
		bad = bad + (tonumber(t:get("bad")) or 0)
		wraps = wraps + (tonumber(t:get("wrapped")) or 0)
	end
	local e = summary.errors
	io.write(string.format("BENCHRESULT requests=%d duration_us=%d " ..
	    "rps=%.1f mean_us=%.0f p50_us=%d p90_us=%d p99_us=%d " ..
	    "max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
	    "bad=%d wrapped=%d\n",
	    summary.requests, summary.duration,
	    summary.requests / (summary.duration / 1e6), latency.mean,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max, e.status, e.connect, e.read,
	    e.write, e.timeout, bad, wraps))
end

return M
