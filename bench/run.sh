#!/bin/bash
#
# run.sh - `make bench`: the performance measurements of SPEC section 13
# (docs/performance.md explains every figure and how to read it).
#
# Brings up a private instance on its own port and data directory
# (scripts/stack.sh, production build, the shipped Apache/mod_fcgid
# settings), fills the token table through SQL, runs wrk on 127.0.0.1 for
# each scenario (a warm-up, then BENCH_RUNS runs at each concurrency, the
# scenarios that are compared with each other interleaved; the median is
# reported), measures raw password-hash verifies/s and the memory of the
# FastCGI processes, prints the table and writes bench/results.md.
# The instance is torn down at the end, also on failure or Ctrl-C.
#
# Environment (defaults in brackets):
#   BENCH_TOKENS       live access tokens in the table [1000000]
#   BENCH_DURATION     seconds per measured run [8]
#   BENCH_WARMUP       seconds of the unrecorded warm-up run [3]
#   BENCH_RUNS         measured runs per scenario and concurrency [3]
#   BENCH_POOL_WARMUP  at most this many seconds of unrecorded traffic to
#                      /healthz and /bare/ after Apache starts, at twice
#                      the highest concurrency, in rounds of 5 s until
#                      each class has a process for every connection of the
#                      highest concurrency: mod_fcgid spawns only on demand,
#                      and each request that finds none idle sleeps 1 s [60]
#   BENCH_CONCURRENCY  wrk connections, a list ["16 64"]
#   BENCH_THREADS      wrk threads [2]
#   BENCH_SCENARIOS    which, a list [all]: healthz bare readyz verify_small
#                      verify introspect client_credentials refresh login
#   BENCH_PORT         the instance's port (data in var/PORT/) [18900]
#   BENCH_APACHE       Apache/mod_fcgid directives to try instead of the
#                      shipped ones, "Name=value ..." (e.g.
#                      "FcgidMaxProcessesPerClass=24 MaxRequestWorkers=16");
#                      each replaces the template's line of that name (a
#                      mod_fcgid one not in the template is added); the
#                      report says so
#   BENCH_PROXY=N      serve the application from a fixed pool of N
#                      processes behind mod_proxy_fcgi instead of mod_fcgid
#                      for the whole run (apache-conf/proxy-fcgi.conf; the
#                      bare program stays under mod_fcgid); the report says so
#   BENCH_FIXED_POOL   processes of the fixed pool of the last phase: after
#                      the mod_fcgid scenarios, /readyz, verify-token and
#                      client_credentials run again with the application
#                      behind mod_proxy_fcgi, the other configuration the
#                      project ships (0: no such phase; none with
#                      BENCH_PROXY) [8]
#   BENCH_FIXED_CONCURRENCY  wrk connections of that phase, a list ["64"]
#   BENCH_REFRESH_SLICE  unused refresh tokens filled per refresh run
#                      (each request uses one up) [60000]
#   BENCH_RESULTS      the report file [bench/results.md]
#   BENCH_KEEP=1       leave the instance running at the end
#
# Raw data (every run, memory samples, wrk output) goes to bench/out/.
#
set -euo pipefail
umask 022

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
BENCH=$ROOT/bench
OUT=$BENCH/out
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

TOKENS=${BENCH_TOKENS:-1000000}
DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-3}
RUNS=${BENCH_RUNS:-3}
POOL_WARMUP=${BENCH_POOL_WARMUP:-60}
CONCS=${BENCH_CONCURRENCY:-16 64}
THREADS=${BENCH_THREADS:-2}
SCENARIOS=${BENCH_SCENARIOS:-all}
PORT=${BENCH_PORT:-18900}
OVERRIDE=${BENCH_APACHE:-}
PROXY=${BENCH_PROXY:-0}
FIXED=${BENCH_FIXED_POOL:-8}
FIXED_CONCS=${BENCH_FIXED_CONCURRENCY:-64}
[ "$PROXY" -gt 0 ] 2>/dev/null && FIXED=0
RESULTS=${BENCH_RESULTS:-$BENCH/results.md}
KEEP=${BENCH_KEEP:-0}

SMALL=10000        # the small table verify-token is compared with
SAMPLE=200000      # tokens handed to wrk (distinct, spread over the set)
BATCH=100000       # rows per INSERT ... SELECT (short transactions)
REFRESH_SLICE=${BENCH_REFRESH_SLICE:-60000} # unused refresh tokens per run
BENCH_USER=bench
BENCH_PHONE=+15550199
BENCH_CLIENT=bench-rs
ALL_SCENARIOS="healthz bare readyz verify_small verify introspect
	client_credentials refresh login"

VAR=$ROOT/var/$PORT
SOCK=$VAR/mysql.sock
CONF=$VAR/oauth.conf
AP_CONF=$VAR/apache.conf
URL=http://127.0.0.1:$PORT
BIN=$ROOT/cgi/oauth.fcgi

die() {
	echo "bench: $*" >&2
	exit 1
}

note() {
	echo "bench: $*" >&2
}

for v in TOKENS DURATION WARMUP RUNS THREADS PORT REFRESH_SLICE PROXY \
    POOL_WARMUP FIXED; do
	case ${!v} in
	'' | *[!0-9]*) die "BENCH_$v must be a number: '${!v}'" ;;
	esac
done
[ "$TOKENS" -ge "$SMALL" ] || die "BENCH_TOKENS must be at least $SMALL"
[ "$RUNS" -ge 1 ] && [ "$DURATION" -ge 1 ] || die "runs and duration >= 1"
for c in $CONCS $FIXED_CONCS; do
	case $c in '' | *[!0-9]*) die "BENCH_CONCURRENCY: '$c'" ;; esac
	[ "$c" -ge "$THREADS" ] || die "concurrency $c < $THREADS threads"
done
[ "$SCENARIOS" = all ] && SCENARIOS=$ALL_SCENARIOS
for s in $SCENARIOS; do
	case " $(echo $ALL_SCENARIOS) " in
	*" $s "*) ;;
	*) die "unknown scenario '$s' (one of: $(echo $ALL_SCENARIOS))" ;;
	esac
done
want() { case " $(echo $SCENARIOS) " in *" $1 "*) return 0 ;; esac; return 1; }

[ "$(id -u)" = 0 ] || die "run as root (like make run: it starts servers)"

# --- tools and builds ------------------------------------------------------
"$ROOT/scripts/deps.sh" build run bench
command -v wrk >/dev/null || die "wrk is missing after scripts/deps.sh"
[ -x /usr/bin/python3 ] || {
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq python3; } ||
	    die "python3 is needed for the report"
}

note "building the production binary (make)"
make -C "$ROOT" >/dev/null
mkdir -p "$OUT"
rm -f "$OUT"/*.tsv "$OUT"/*.txt "$OUT"/*.env "$OUT"/*.tokens "$OUT"/wrk-*
CWARN="-std=c11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wformat=2 -Wvla -Werror"
# shellcheck disable=SC2086
cc $CWARN -D_POSIX_C_SOURCE=200809L -o "$OUT/bare.fcgi" "$BENCH/bare.c" \
    $(pkg-config --cflags --libs fcgi)
# shellcheck disable=SC2086
cc $CWARN -pthread -o "$OUT/hashbench" "$BENCH/hashbench.c" \
    $(pkg-config --cflags --libs libxcrypt)

# --- the instance ------------------------------------------------------------
db() { # SQL on stdin or -e, as root, in the oauth database
	mariadb --no-defaults -S "$SOCK" -u root -N -B oauth "$@"
}

cli() {
	OAUTH_CONFIG=$CONF "$BIN" "$@"
}

teardown() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$KEEP" = 1 ]; then
		note "instance left running on $URL (scripts/stack.sh down $PORT)"
	else
		"$ROOT/scripts/stack.sh" down "$PORT" >/dev/null 2>&1 || true
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

note "fresh instance on $URL (var/$PORT/)"
"$ROOT/scripts/stack.sh" down "$PORT" >/dev/null 2>&1 || true
rm -rf "$VAR"
"$ROOT/scripts/stack.sh" up "$PORT" >"$OUT/stack-up.txt" 2>&1 ||
    { cat "$OUT/stack-up.txt" >&2; die "scripts/stack.sh up $PORT failed"; }

# The one MariaDB setting the bench changes: the buffer pool must hold the
# table (about 330 bytes a token with its indexes, measured), or every
# lookup at 10 million tokens is a disk read and the bench measures the
# disk. innodb_flush_log_at_trx_commit stays 1 (the issuance target says
# so). The redo log is enlarged for the fill only, then put back.
POOL_MB=$(((TOKENS / 1000000 + 2) * 450 + 256))
LOG_SIZE=$(db -e "SELECT @@innodb_log_file_size")
db -e "SET GLOBAL innodb_buffer_pool_size = $POOL_MB * 1048576;
    SET GLOBAL innodb_log_file_size = 1073741824;"
for i in $(seq 1 600); do
	case $(db -e "SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'" |
	    cut -f2) in
	'' | *ompleted*) break ;;
	esac
	sleep 0.1
done

# The bench user, its session, the bench client (a resource server, so
# introspection sees every token) and its secret.
BENCH_PASSWORD=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$BENCH_PASSWORD" | cli user add "$BENCH_USER" \
    --phone "$BENCH_PHONE" --email bench@example.com --first Bench \
    --last User >/dev/null
SECRET=$(cli client add "$BENCH_CLIENT" --name "Bench" \
    --grant client_credentials --grant refresh_token --resource-server |
    sed -n 's/^client_secret: //p')
[ ${#SECRET} = 40 ] || die "could not create the bench client"
USER_ID=$(db -e "SELECT id FROM users WHERE username = '$BENCH_USER'")
CLIENT_REF=$(db -e "SELECT id FROM clients WHERE client_id = '$BENCH_CLIENT'")
NOW=$(date +%s)
SESSION_ID=$(db -e "INSERT INTO sessions (user_id, client_ref, device_info,
    created_at, last_access) VALUES ($USER_ID, NULL, 'bench', $NOW, $NOW);
    SELECT LAST_INSERT_ID();")
BASIC="Basic $(printf '%s:%s' "$BENCH_CLIENT" "$SECRET" | base64 -w0)"

# Access token i is SHA1('bench-i') (40 lower-case hex, like a real one);
# its row is what the server would have stored: SHA-256 of the token.
# Rows live ten years, belong to the bench user's session and, like any
# OAuth token, to a client (introspection then also names the client).
fill_access() { # first last
	local s=$1 e
	while [ "$s" -le "$2" ]; do
		e=$((s + BATCH - 1))
		[ "$e" -le "$2" ] || e=$2
		echo "INSERT INTO tokens (digest, kind, session_id, client_ref,
		    user_id, scope, created_ms, expires_at, dialect)
		    SELECT UNHEX(SHA2(SHA1(CONCAT('bench-', seq)), 256)), 1,
		    $SESSION_ID, $CLIENT_REF, $USER_ID,
		    'username email firstname lastname phone', $NOW * 1000,
		    $NOW + 315360000, 1 FROM seq_${s}_to_${e};"
		s=$((e + 1))
	done | db
}

# Refresh token i is SHA1('bench-r-i'): kind 2, unused, each its own
# family, issued to the bench client.
fill_refresh() { # count
	local s=1 e
	while [ "$s" -le "$1" ]; do
		e=$((s + BATCH - 1))
		[ "$e" -le "$1" ] || e=$1
		echo "INSERT INTO tokens (digest, kind, session_id, client_ref,
		    user_id, scope, created_ms, expires_at, family, dialect)
		    SELECT UNHEX(SHA2(SHA1(CONCAT('bench-r-', seq)), 256)), 2,
		    $SESSION_ID, $CLIENT_REF, $USER_ID,
		    'username email firstname lastname phone', $NOW * 1000,
		    $NOW + 315360000, UNHEX(MD5(CONCAT('bench-f-', seq))), 1
		    FROM seq_${s}_to_${e};"
		s=$((e + 1))
	done | db
}

# SAMPLE distinct access tokens out of 1..n, in a scattered order:
# i -> (i * 2654435761) mod n is a permutation of 0..n-1 (the multiplier is
# a prime larger than any n here), so no token repeats within the file.
export_sample() { # n file
	local k=$SAMPLE
	[ "$k" -le "$1" ] || k=$1
	db -e "SELECT SHA1(CONCAT('bench-', 1 + (seq * 2654435761) % $1))
	    FROM seq_1_to_$k" >"$2"
}

# --- Apache: the bare program's mount and the pool settings ---------------
# The generated var/PORT/apache.conf gets the /bare/ mount (before the
# catch-all that sends every path to the binary), and BENCH_APACHE's
# directives, then Apache restarts. stack.sh regenerates the file on its
# next `up`; `down` stops Apache whatever the file holds.
{
	awk -v root="$ROOT" -v out="$OUT" '
	/^# --- mounts/ && !done {
		print "# bench/run.sh: a bare libfcgi program under the same mod_fcgid"
		print "# settings, the reference for GET /healthz."
		print "<Directory \"" out "\">"
		print "\tAllowOverride None"
		print "\tOptions +ExecCGI -Indexes"
		print "\tSetHandler fcgid-script"
		print "\tRequire all granted"
		print "</Directory>"
		print "SetEnvIf Request_URI \"^/bare/\" dontlog"
		print "AliasMatch \"^/bare/(.*)$\" \"" out "/bare.fcgi/$1\""
		print ""
		done = 1
	}
	{ print }' "$AP_CONF"
} >"$AP_CONF.bench"
for kv in $OVERRIDE; do
	k=${kv%%=*}
	v=${kv#*=}
	case $k$v in
	*[!A-Za-z0-9]*) die "BENCH_APACHE: '$kv' (Name=value, alphanumeric)" ;;
	esac
	if grep -q "^[[:space:]]*$k " "$AP_CONF.bench"; then
		sed -i "s|^\([[:space:]]*\)$k .*|\1$k $v|" "$AP_CONF.bench"
	elif [ "${k#Fcgid}" != "$k" ]; then
		sed -i "s|^\([[:space:]]*\)FcgidIPCDir .*|&\n\1$k $v|" \
		    "$AP_CONF.bench"
	else
		die "BENCH_APACHE: no $k line in the generated configuration"
	fi
done
# BENCH_PROXY: the application from a fixed pool behind mod_proxy_fcgi,
# the way apache-conf/proxy-fcgi.conf serves it (ProxyPass wins over the
# template's AliasMatch onto the binary: mod_proxy translates first).
# start_fixed_pool N: N processes on one socket (bench/fcgi-pool.py, in
# place of the systemd units of apache-conf/proxy-fcgi.conf).
start_fixed_pool() {
	mkdir -p "$VAR/proxy"
	chown www-data:www-data "$VAR/proxy"
	/usr/bin/python3 "$BENCH/fcgi-pool.py" "$VAR/proxy/oauth.sock" "$1" \
	    www-data "$BIN" "OAUTH_CONFIG=$CONF" "PATH=/usr/bin:/bin" \
	    >"$OUT/proxy-pids.txt" 2>>"$VAR/log/error.log" ||
	    die "could not start the fixed pool"
}

# proxy_conf FILE: the application behind mod_proxy_fcgi in FILE.
proxy_conf() {
	awk -v sock="$VAR/proxy/oauth.sock" '
	/^# --- mounts/ && !done {
		print "# bench/run.sh: the application behind mod_proxy_fcgi."
		print "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so"
		print "LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so"
		print "ProxyPassMatch \"^/(?!bare/|static/)(.*)$\" \"unix:" sock "|fcgi://localhost/$1\""
		print "<Location \"/\">"
		print "\tCGIPassAuth On"
		print "\tProxyFCGIBackendType GENERIC"
		print "\tProxyFCGISetEnvIf \"true\" PATH_INFO \"%{REQUEST_URI}\""
		print "\tProxyFCGISetEnvIf \"true\" SCRIPT_NAME \"\""
		print "</Location>"
		print ""
		done = 1
	}
	{ print }' "$1" >"$1.proxy"
	mv -f "$1.proxy" "$1"
}

if [ "$PROXY" -gt 0 ]; then
	start_fixed_pool "$PROXY"
	proxy_conf "$AP_CONF.bench"
fi
mv -f "$AP_CONF.bench" "$AP_CONF"
env -i PATH="$PATH" LANG=C /usr/sbin/apache2 -f "$AP_CONF" -t >/dev/null 2>&1 ||
    die "Apache refuses the bench additions to $AP_CONF"
env -i PATH="$PATH" LANG=C /usr/sbin/apache2 -f "$AP_CONF" -k restart
for i in $(seq 1 100); do
	[ "$(curl -s -m 2 "$URL/bare/")" = ok ] &&
	    [ "$(curl -s -m 2 "$URL/healthz")" = ok ] && break
	sleep 0.2
done
[ "$(curl -s -m 2 "$URL/bare/")" = ok ] || die "GET /bare/ does not answer"

# mod_fcgid starts processes only when a request finds none idle (and that
# request sleeps a second first), and FcgidMinProcessesPerClass only keeps
# them from being reaped: the pool is grown by traffic. Grow both classes
# to the highest concurrency before measuring anything.

# FastCGI processes of the application (not the bare program): www-data
# processes started with this instance's OAUTH_CONFIG.
app_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(stat -c %U "$p" 2>/dev/null)" = www-data ] || continue
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$BIN" ] || continue
		tr '\0' '\n' <"$p/environ" 2>/dev/null |
		    grep -qxF "OAUTH_CONFIG=$CONF" || continue
		echo "${p#/proc/}"
	done
}

bare_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$OUT/bare.fcgi" ] ||
		    continue
		echo "${p#/proc/}"
	done
}

if [ "$POOL_WARMUP" -gt 0 ]; then
	maxc=0
	for c in $CONCS; do [ "$c" -le "$maxc" ] || maxc=$c; done
	# Twice the connections: with as many as the highest concurrency,
	# a cheap request leaves some processes idle between requests and
	# the pool settles below it (61 of 64), to grow -- by one-second
	# stalls -- during the first measured run of a slower request.
	note "growing the FastCGI pools to $maxc processes a class (at most ${POOL_WARMUP}s at $((2 * maxc)) connections)"
	W0=$SECONDS
	while [ $((SECONDS - W0)) -lt "$POOL_WARMUP" ]; do
		for path in /healthz /bare/; do
			wrk -t"$THREADS" -c$((2 * maxc)) -d5s "$URL$path" \
			    >>"$OUT/pool-warmup-${path//\//}.txt" 2>&1 ||
			    die "wrk failed growing the pool"
		done
		napp=$(app_pids | wc -l)
		nbare=$(bare_pids | wc -l)
		note "pool: $napp application, $nbare bare processes"
		[ "$PROXY" -gt 0 ] && napp=$maxc
		[ "$napp" -ge "$maxc" ] && [ "$nbare" -ge "$maxc" ] && break
	done
	echo "pool_warmup_seconds=$((SECONDS - W0))" >"$OUT/warmup.env"
	echo "pool_app=$(app_pids | wc -l)" >>"$OUT/warmup.env"
	echo "pool_bare=$(bare_pids | wc -l)" >>"$OUT/warmup.env"
fi

# --- measuring ---------------------------------------------------------------
# Wait (at most 3 s) until no application process is running: requests
# still in flight when wrk stops would otherwise be sampled mid-hash (a
# yescrypt verify holds 16 MiB while it runs, and returns it after).
wait_idle() {
	local i p busy
	for i in $(seq 1 30); do
		busy=0
		for p in $(app_pids); do
			case $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) in
			R | D) busy=1 ;;
			esac
		done
		[ "$busy" = 0 ] && return 0
		sleep 0.1
	done
}

# One line per process: label pid rss_kb private_kb pss_kb. A process
# caught in the middle of a request is read again (every 0.5 s, for at
# most 6 s): wrk stopping does not stop the requests mod_fcgid still holds
# in its one-second sleep, and a yescrypt verify holds 16 MiB while it
# runs. Memory that stays is recorded as it is.
mem_sample() { # label
	local p rss priv pss state i
	wait_idle
	for p in $(app_pids); do
		for i in $(seq 1 12); do
			rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" \
			    2>/dev/null) || continue 2
			read -r priv pss < <(awk '/^Private_(Clean|Dirty):/ {v += $2}
			    /^Pss:/ {s = $2} END {print v + 0, s + 0}' \
			    "/proc/$p/smaps_rollup" 2>/dev/null) || continue 2
			state=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
			case $state in R | D) ;; *) [ "${priv:-0}" -lt 4096 ] && break ;; esac
			sleep 0.5
		done
		printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$p" "${rss:-0}" \
		    "${priv:-0}" "${pss:-0}" >>"$OUT/mem.tsv"
	done
}

# wrk once; appends a line to runs.tsv. Environment for the Lua scripts is
# exported by the caller.
wrk_run() { # scenario conc run script path duration
	local scen=$1 conc=$2 run=$3 script=$4 path=$5 dur=$6 line f
	f=$OUT/wrk-$scen-c$conc-r$run.txt
	BENCH_DIR=$BENCH BENCH_THREADS=$THREADS \
	    wrk -t"$THREADS" -c"$conc" -d"${dur}s" --timeout 10s \
	    -s "$BENCH/$script" "$URL$path" >"$f" 2>&1 ||
	    { cat "$f" >&2; die "wrk failed ($scen, c$conc, run $run)"; }
	line=$(grep '^BENCHRESULT ' "$f") || { cat "$f" >&2; die "no result"; }
	printf '%s\t%s\t%s\t%s\n' "$scen" "$conc" "$run" "${line#BENCHRESULT }" \
	    >>"$OUT/runs.tsv"
	echo "$line" | awk -v s="$scen" -v c="$conc" -v r="$run" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "bench: %-18s c%-3s %s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms%s\n",
		    s, c, (r == 0 ? "warm-up" : "run " r "  "), v["rps"],
		    v["p50_us"] / 1000, v["p99_us"] / 1000,
		    (v["non2xx"] + v["bad"] + v["timeout"] + v["connect"] + v["read"] > 0 ?
		    "  ERRORS: " $0 : "") }' >&2
}

# One run of one scenario (run 0: the warm-up, not counted). "hash" is the
# login's ceiling: raw verifies of the bench user's own stored hash on
# every core, recorded like a wrk run (req/s = verifies/s).
one() { # scenario conc run seconds
	local verify=/api/oauth/$USER_ID/verify-token/v1/ line
	case $1 in
	fixed_readyz) wrk_run "$1" "$2" "$3" get.lua /readyz "$4" ;;
	fixed_verify)
		BENCH_TOKENS_FILE=$OUT/sample.tokens \
		    wrk_run "$1" "$2" "$3" verify.lua "$verify" "$4"
		;;
	fixed_client_credentials)
		wrk_run "$1" "$2" "$3" client_credentials.lua / "$4"
		;;
	healthz) wrk_run "$1" "$2" "$3" get.lua /healthz "$4" ;;
	bare) wrk_run "$1" "$2" "$3" get.lua /bare/ "$4" ;;
	readyz) wrk_run "$1" "$2" "$3" get.lua /readyz "$4" ;;
	verify_small)
		BENCH_TOKENS_FILE=$OUT/small.tokens \
		    wrk_run "$1" "$2" "$3" verify.lua "$verify" "$4"
		;;
	verify)
		BENCH_TOKENS_FILE=$OUT/sample.tokens \
		    wrk_run "$1" "$2" "$3" verify.lua "$verify" "$4"
		;;
	introspect)
		BENCH_TOKENS_FILE=$OUT/sample.tokens \
		    wrk_run "$1" "$2" "$3" introspect.lua / "$4"
		;;
	client_credentials) wrk_run "$1" "$2" "$3" client_credentials.lua / "$4" ;;
	refresh)
		refresh_file
		BENCH_TOKENS_FILE=$OUT/refresh.tokens \
		    wrk_run "$1" "$2" "$3" refresh.lua / "$4"
		;;
	login) wrk_run "$1" "$2" "$3" login.lua / "$4" ;;
	hash)
		# Logins still in flight after wrk stopped (some wait out
		# mod_fcgid's second) must not share the cores with it.
		wait_idle
		sleep 1.5
		wait_idle
		line=$({
			printf '%s\n' "$BENCH_PASSWORD"
			db -e "SELECT password_hash FROM users WHERE id = $USER_ID"
		} | "$OUT/hashbench" 5) || die "hashbench failed"
		echo "$line" >"$OUT/hash.txt"
		note "$line"
		echo "$line" | awk -v c="$2" -v r="$3" '{
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			printf "hash\t%s\t%s\trequests=%d duration_us=%d rps=%s mean_us=0 p50_us=0 p90_us=0 p99_us=0 max_us=0 non2xx=0 connect=0 read=0 write=0 timeout=0 bad=0 wrapped=0\n",
			    c, r, v["verifies"], v["seconds"] * 1e6, v["per_second"] }' \
		    >>"$OUT/runs.tsv"
		;;
	esac
}

# Wait (at most 120 s) until MariaDB is idle: below 5 % of one core for 2
# seconds in a row. After hundreds of thousands of writes (the fill, the
# refresh runs) InnoDB purges undo logs and flushes dirty pages for a
# minute or more, and a scenario measured meanwhile shares the cores with
# that: the fixed pool's verify-token ran at half its speed right after
# the refresh and login runs. The time waited is in the report.
settle() { # label
	local pid ticks prev quiet=0 t0=$SECONDS hz
	pid=$(cat "$VAR/mariadb.pid" 2>/dev/null) || return 0
	hz=$(getconf CLK_TCK)
	prev=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 0
	while [ $((SECONDS - t0)) -lt 120 ]; do
		sleep 1
		ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) ||
		    return 0
		if [ $(((ticks - prev) * 100)) -lt $((5 * hz)) ]; then
			quiet=$((quiet + 1))
			[ "$quiet" -ge 2 ] && break
		else
			quiet=0
		fi
		prev=$ticks
	done
	echo "settle_$1=$((SECONDS - t0))" >>"$OUT/settle.env"
}

# Scenarios that are compared with each other run interleaved: at each
# concurrency, a warm-up of each, then RUNS rounds in which every one of
# them runs once, in turn. A ratio then compares runs made minutes apart
# at most, under the same load from whatever else the machine is doing.
# The processes' memory is sampled after every measured run.
group() { # scenario...
	local c r s
	for c in $CONCS; do
		for s in "$@"; do
			want "${s#fixed_}" || [ "$s" = hash ] || continue
			[ "$s" = hash ] && ! want login && continue
			[ "$s" = hash ] || printf '%s\tc%s\t%s\n' "$s" "$c" \
			    "BENCH_DIR=bench BENCH_THREADS=$THREADS$(cmd_env "$s") wrk -t$THREADS -c$c -d${DURATION}s --timeout 10s -s bench/$(script_of "$s") $URL$(path_of "$s")" \
			    >>"$OUT/commands.tsv"
			[ "$WARMUP" -gt 0 ] && [ "$s" != hash ] &&
			    one "$s" "$c" 0 "$WARMUP"
		done
		for r in $(seq 1 "$RUNS"); do
			for s in "$@"; do
				want "${s#fixed_}" || [ "$s" = hash ] || continue
				[ "$s" = hash ] && ! want login && continue
				one "$s" "$c" "$r" "$DURATION"
				[ "$s" = hash ] || mem_sample "$s c$c r$r"
			done
		done
	done
}

script_of() {
	case ${1#fixed_} in
	healthz | bare | readyz) echo get.lua ;;
	verify_small | verify) echo verify.lua ;;
	*) echo "$1.lua" ;;
	esac
}

path_of() {
	case ${1#fixed_} in
	healthz) echo /healthz ;;
	bare) echo /bare/ ;;
	readyz) echo /readyz ;;
	verify_small | verify) echo "/api/oauth/$USER_ID/verify-token/v1/" ;;
	*) echo / ;;
	esac
}

# What a scenario's wrk reads from its environment, for the report (the
# client's credentials and the password are not printed).
cmd_env() {
	case ${1#fixed_} in
	verify_small) echo " BENCH_TOKENS_FILE=bench/out/small.tokens BENCH_USER_ID=$USER_ID" ;;
	verify) echo " BENCH_TOKENS_FILE=bench/out/sample.tokens BENCH_USER_ID=$USER_ID" ;;
	introspect) echo " BENCH_TOKENS_FILE=bench/out/sample.tokens BENCH_BASIC='Basic <bench-rs:secret>'" ;;
	client_credentials) echo " BENCH_BASIC='Basic <bench-rs:secret>'" ;;
	refresh) echo " BENCH_TOKENS_FILE=bench/out/refresh-<run>.tokens BENCH_BASIC='Basic <bench-rs:secret>'" ;;
	login) echo " BENCH_PASSWORD=<bench password>" ;;
	esac
}

# Refresh rotation: each run gets its own slice of never-used tokens.
REFRESH_NEXT=1
refresh_file() {
	local first=$REFRESH_NEXT last=$((REFRESH_NEXT + REFRESH_SLICE - 1))
	[ "$last" -le "$REFRESH_TOTAL" ] || die "out of refresh tokens"
	db -e "SELECT SHA1(CONCAT('bench-r-', seq)) FROM seq_${first}_to_$last" \
	    >"$OUT/refresh.tokens"
	REFRESH_NEXT=$((last + 1))
}

export BENCH_USER_ID=$USER_ID BENCH_BASIC=$BASIC
export BENCH_PASSWORD
# For rerunning one scenario by hand against a kept instance (BENCH_KEEP=1):
# `set -a; . bench/out/bench.env; set +a`, then a command line of the
# report. Root only: it holds the bench client's secret.
(
	umask 077
	{
		echo "BENCH_DIR=$BENCH"
		echo "BENCH_THREADS=$THREADS"
		echo "BENCH_USER_ID=$USER_ID"
		echo "BENCH_BASIC='$BASIC'"
		echo "BENCH_PASSWORD='$BENCH_PASSWORD'"
	} >"$OUT/bench.env"
)

# Versions and settings, for the report.
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "cores=$(nproc)"
	echo "memory=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel=$(uname -sr)"
	echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "apache=$(/usr/sbin/apache2 -v | sed -n 's/^Server version: //p')"
	for p in libapache2-mod-fcgid mariadb-server libfcgi0ldbl libcrypt1 \
	    libssl3 libmariadb3 wrk; do
		echo "pkg_$p=$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo '?')"
	done
	echo "tokens=$TOKENS"
	echo "small=$SMALL"
	echo "duration=$DURATION"
	echo "warmup=$WARMUP"
	echo "pool_warmup=$POOL_WARMUP"
	echo "runs=$RUNS"
	echo "threads=$THREADS"
	echo "concs=$(echo $CONCS)"
	echo "port=$PORT"
	echo "apache_override=$OVERRIDE"
	echo "proxy=$PROXY"
	echo "binary=$(stat -c %s "$BIN") bytes, $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "password_hash=$(db -e "SELECT LEFT(password_hash, 7) FROM users WHERE id = $USER_ID")"
	echo "pool_mb=$POOL_MB"
	db -e "SELECT CONCAT('mariadb_', variable_name, '=', variable_value)
	    FROM information_schema.global_variables WHERE variable_name IN
	    ('VERSION', 'INNODB_FLUSH_LOG_AT_TRX_COMMIT', 'INNODB_FLUSH_METHOD',
	    'MAX_CONNECTIONS')" | tr 'A-Z' 'a-z'
	grep -E '^[[:space:]]*(Fcgid[A-Za-z]*|StartServers|ServerLimit|ThreadsPerChild|MaxRequestWorkers|KeepAlive|MaxKeepAliveRequests)[[:space:]]' \
	    "$AP_CONF" | grep -v -E 'FcgidInitialEnv|FcgidIPCDir|FcgidProcessTableFile' |
	    awk '{printf "apache_%s=%s\n", $1, $2}'
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "fixed_pool=$FIXED"
	echo "fixed_concs=$(echo $FIXED_CONCS)"
	[ -f "$OUT/warmup.env" ] && cat "$OUT/warmup.env"
} >"$OUT/meta.env"

# --- 1. the small table: verify-token at 10,000 tokens --------------------
T0=$SECONDS
note "filling $SMALL access tokens"
fill_access 1 "$SMALL"
db -e "ANALYZE TABLE tokens" >/dev/null
export_sample "$SMALL" "$OUT/small.tokens"
mem_sample "start"
group healthz bare verify_small

# --- 2. the full table ---------------------------------------------------------
REFRESH_TOTAL=0
if want refresh; then
	n=0
	for c in $CONCS; do n=$((n + RUNS + 1)); done
	REFRESH_TOTAL=$((n * REFRESH_SLICE))
fi
note "filling access tokens $((SMALL + 1))..$TOKENS and $REFRESH_TOTAL refresh tokens"
F0=$SECONDS
fill_access $((SMALL + 1)) "$TOKENS"
fill_refresh "$REFRESH_TOTAL"
db -e "SET GLOBAL innodb_log_file_size = $LOG_SIZE; ANALYZE TABLE tokens" \
    >/dev/null
echo "fill_seconds=$((SECONDS - F0))" >>"$OUT/meta.env"
db -e "SELECT CONCAT('table_mb=', ROUND((data_length + index_length) /
    1048576)) FROM information_schema.tables WHERE table_schema = 'oauth'
    AND table_name = 'tokens'" >>"$OUT/meta.env"
echo "token_rows=$(db -e 'SELECT COUNT(*) FROM tokens')" >>"$OUT/meta.env"
export_sample "$TOKENS" "$OUT/sample.tokens"

# /readyz is measured again here, interleaved with what is compared to it.
settle full_table
group readyz verify introspect client_credentials refresh
settle login
group login hash

# --- 3. the fixed pool behind mod_proxy_fcgi ------------------------------------
# The configuration apache-conf/proxy-fcgi.conf ships, in the same Apache
# with the same database and tokens: BENCH_FIXED_POOL processes on one
# socket, the requests waiting in its queue when all are busy.
if [ "$FIXED" -gt 0 ] && { want readyz || want verify ||
    want client_credentials; }; then
	settle fixed_pool
	note "the application behind mod_proxy_fcgi: a fixed pool of $FIXED"
	start_fixed_pool "$FIXED"
	proxy_conf "$AP_CONF"
	env -i PATH="$PATH" LANG=C /usr/sbin/apache2 -f "$AP_CONF" -t \
	    >/dev/null 2>&1 || die "Apache refuses the mod_proxy_fcgi setup"
	env -i PATH="$PATH" LANG=C /usr/sbin/apache2 -f "$AP_CONF" -k graceful
	for i in $(seq 1 100); do
		[ "$(curl -s -m 2 "$URL/readyz")" = ready ] && break
		sleep 0.2
	done
	[ "$(curl -s -m 2 "$URL/readyz")" = ready ] ||
	    die "GET /readyz does not answer through mod_proxy_fcgi"
	CONCS=$FIXED_CONCS group fixed_readyz fixed_verify \
	    fixed_client_credentials
fi

sleep 1
mem_sample "end"
{
	echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "bench_seconds=$((SECONDS - T0))"
	echo "fcgid_errors=$(grep -c -E 'mod_fcgid: (can.t apply|.*deadlock)' \
	    "$VAR/log/error.log" 2>/dev/null || true)"
	echo "final_rows=$(db -e 'SELECT COUNT(*) FROM tokens')"
	[ -f "$OUT/settle.env" ] && cat "$OUT/settle.env"
} >>"$OUT/meta.env"
cp "$VAR/log/error.log" "$OUT/error.log.txt" 2>/dev/null || true

/usr/bin/python3 "$BENCH/report.py" "$OUT" "$RESULTS"
