#!/bin/bash
#
# profile.sh - where the CPU of one request goes, per program, and how many
# statements it sends to MariaDB (docs/performance.md, "Where the time
# goes"). Not part of `make bench`: run it against an instance that
# `BENCH_KEEP=1 make bench` (or bench/run.sh) left running.
#
#   bench/profile.sh [SCENARIO...]
#
# For each scenario (default: bare healthz readyz verify introspect
# client_credentials; login too when asked), wrk runs at BENCH_PROFILE_CONC connections [16] for
# BENCH_PROFILE_SECONDS [8] while `perf record -a` samples every core for
# the middle of the run; MariaDB's status counters are read around it. The
# line printed per scenario:
#
#   scenario req/s | µs of CPU per request: apache2 oauth.fcgi mariadbd wrk
#   other idle | statements per request
#
# µs per request = the program's share of all samples x cores x seconds /
# requests: what one request costs the machine in that program, waiting
# not counted. Raw perf data stays in bench/out/perf-SCENARIO.data
# (`perf report -i ... --sort comm,dso,sym`).
#
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
BENCH=$ROOT/bench
OUT=$BENCH/out
PORT=${BENCH_PORT:-18900}
CONC=${BENCH_PROFILE_CONC:-16}
SECS=${BENCH_PROFILE_SECONDS:-8}
URL=http://127.0.0.1:$PORT
SOCK=$ROOT/var/$PORT/mysql.sock

die() {
	echo "profile: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (perf record -a)"
command -v perf >/dev/null || die "perf is missing (apt-get install linux-perf)"
[ -f "$OUT/bench.env" ] || die "no bench/out/bench.env: run BENCH_KEEP=1 make bench first"
[ -S "$SOCK" ] || die "no instance on port $PORT (BENCH_KEEP=1 make bench)"
set -a
# shellcheck disable=SC1091
. "$OUT/bench.env"
set +a
export BENCH_THREADS=2

# Statements received: Questions counts every one a client sends
# (prepared executions included), not those of stored programs.
statements() {
	mariadb -S "$SOCK" -uroot -N -e "SHOW GLOBAL STATUS LIKE 'Questions'" |
	    awk '{print $2}'
}

args_of() { # scenario: wrk script and path
	case $1 in
	bare) echo "get.lua /bare/" ;;
	healthz) echo "get.lua /healthz" ;;
	readyz) echo "get.lua /readyz" ;;
	verify) echo "verify.lua /api/oauth/$BENCH_USER_ID/verify-token/v1/" ;;
	introspect) echo "introspect.lua /" ;;
	client_credentials) echo "client_credentials.lua /" ;;
	login) echo "login.lua /" ;;
	*) die "unknown scenario $1" ;;
	esac
}

[ $# -gt 0 ] || set -- bare healthz readyz verify introspect client_credentials
printf '%-20s %7s | %8s %10s %8s %5s %6s %5s | %s\n' scenario req/s apache2 \
    oauth.fcgi mariadbd wrk other idle statements
for s in "$@"; do
	read -r script path <<<"$(args_of "$s")"
	export BENCH_TOKENS_FILE=$OUT/sample.tokens
	f=$OUT/perf-$s.data
	before=$(statements)
	wrk -t2 -c"$CONC" -d"${SECS}s" -s "$BENCH/$script" "$URL$path" \
	    >"$OUT/profile-$s.txt" 2>&1 &
	wpid=$!
	sleep 1
	perf record -a -q -o "$f" -- sleep $((SECS - 2)) >/dev/null 2>&1
	wait "$wpid"
	after=$(statements)
	line=$(grep '^BENCHRESULT ' "$OUT/profile-$s.txt") ||
	    die "wrk gave no result for $s"
	perf report -i "$f" --sort comm --stdio 2>/dev/null |
	    awk -v s="$s" -v line="$line" -v secs="$SECS" \
	    -v cores="$(nproc)" -v st=$((after - before)) '
	    BEGIN {
		n = split(line, kv, " ")
		for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
		rps = v["rps"]; reqs = v["requests"]
	    }
	    /^#/ || NF < 2 { next }
	    {
		pct = $1; sub(/%/, "", pct); comm = $2
		if (comm == "apache2" || comm == "oauth.fcgi" || comm == "bare.fcgi" ||
		    comm == "mariadbd" || comm == "wrk" || comm == "swapper")
			share[comm == "bare.fcgi" ? "oauth.fcgi" : comm] += pct
		else
			share["other"] += pct
	    }
	    END {
		# perf sampled SECS - 2 seconds of the run on every core.
		us = (secs - 2) * cores * 1e6 / (rps * (secs - 2)) / 100
		printf "%-20s %7.0f | %8.0f %10.0f %8.0f %5.0f %6.0f %5.0f | %.2f\n",
		    s, rps, share["apache2"] * us, share["oauth.fcgi"] * us,
		    share["mariadbd"] * us, share["wrk"] * us, share["other"] * us,
		    share["swapper"] * us, st / reqs
	    }'
done
