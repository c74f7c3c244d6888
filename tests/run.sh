#!/bin/bash
#
# tests/run.sh - everything `make test` runs (and `.ci/run`, through it).
#
# usage: tests/run.sh [STAGE...]     default: all stages in order
#   build        install missing packages; build prod and DEV (and the
#                SANITIZE variants when SANITIZE is set)
#   unit         make unit; sums the "unit <file>: N passed, M failed" lines
#   integration  a production instance (TEST_PORT) and a DEV instance
#                (TEST_PORT+1), the pytest suite once against each
#   sanitizers   SANITIZE=address,undefined build on TEST_PORT+2: the suite,
#                then one test "sanitizers clean" over its reports
#   valgrind     production build under valgrind on TEST_PORT+3:
#                tests/integration/load_mix.py, then one test
#                "valgrind clean" over valgrind's logs
#   galera       a 3-node MariaDB Galera cluster on loopback
#                (scripts/galera.sh, var/galera/), tests/galera against it
#                through the production binary's CGI and CLI faces
#
# Environment: TEST_PORT (18080), FAST=1 (skip sanitizers and valgrind),
# SANITIZE=address,undefined (build and test the sanitized binaries in the
# integration stage; the separate sanitizer stage is then not needed).
# FAST=1 skips the galera stage too.
#
# Every instance started here is torn down on exit, failure or interrupt.
# The last line is the total: "N passed, N failed" (", N skipped" when any
# test or stage was skipped). Exit status 1 when anything failed or a stage
# could not run (a stage that cannot run counts as a failure, never as zero
# tests).
#
set -uo pipefail
umask 022

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT" || exit 1
PY=/usr/bin/python3
TEST_PORT=${TEST_PORT:-18080}
FAST=${FAST:-}
SANITIZE=${SANITIZE:-}
OUT=$ROOT/var/test-results
export PYTHONDONTWRITEBYTECODE=1

PASSED=0
FAILED=0
SKIPPED=0
STARTED=()
SUMMARY=()

case $TEST_PORT in
'' | *[!0-9]*) echo "run.sh: TEST_PORT must be a number" >&2; exit 2 ;;
esac

if [ $# -gt 0 ]; then
	STAGES="$*"
else
	STAGES="build unit integration browser sanitizers valgrind galera"
fi
for s in $STAGES; do
	case $s in
	build | unit | integration | browser | sanitizers | valgrind | galera) ;;
	*) echo "run.sh: unknown stage '$s'" >&2; exit 2 ;;
	esac
done
# Every stage needs binaries.
case " $STAGES " in
*" build "*) ;;
*) STAGES="build $STAGES" ;;
esac

banner() {
	echo
	echo "==== $* ===="
}

# add NAME PASSED FAILED SKIPPED
add() {
	PASSED=$((PASSED + $2))
	FAILED=$((FAILED + $3))
	SKIPPED=$((SKIPPED + $4))
	SUMMARY+=("$(printf '%-28s %4d passed, %d failed, %d skipped' \
	    "$1" "$2" "$3" "$4")")
}

# A stage or check that could not run, or one test that failed.
fail() {
	echo "run.sh: FAILED: $1${2:+ - $2}"
	add "$1" 0 1 0
}

pass() {
	echo "run.sh: passed: $1"
	add "$1" 1 0 0
}

skip() {
	echo "run.sh: skipped: $1${2:+ ($2)}"
	add "$1" 0 0 1
}

teardown() {
	local p
	for p in "${STARTED[@]+"${STARTED[@]}"}"; do
		scripts/stack.sh down "$p" >/dev/null 2>&1 ||
		    echo "run.sh: could not stop the instance on $p" >&2
	done
	STARTED=()
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	teardown
	echo
	echo "==== summary ===="
	local line
	for line in "${SUMMARY[@]+"${SUMMARY[@]}"}"; do
		echo "  $line"
	done
	if [ "$FAILED" -eq 0 ] && [ "$rc" -ne 0 ]; then
		# Interrupted or died between stages: never a green total.
		FAILED=$((FAILED + 1))
	fi
	if [ "$SKIPPED" -gt 0 ]; then
		line="$PASSED passed, $FAILED failed, $SKIPPED skipped"
	else
		line="$PASSED passed, $FAILED failed"
	fi
	# Also kept in a file: .ci/run repeats it after make's error line.
	mkdir -p "$OUT" && echo "$line" >"$OUT/total.txt"
	echo "$line"
	[ "$FAILED" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'echo "run.sh: interrupted"; exit 130' INT TERM

mkdir -p "$OUT"
# One run at a time per port (engineers share a work tree): wait for the
# other one rather than tear its instances down under it.
exec 8>"$ROOT/var/.test-$TEST_PORT.lock"
if ! flock -n 8; then
	echo "run.sh: another tests/run.sh uses ports $TEST_PORT..$((TEST_PORT + 3)); waiting"
	flock -w 3600 8 || { fail "lock" "gave up waiting"; exit 1; }
fi

# Start a fresh instance (data directory wiped); 0 or 1.
fresh_instance() { # port stack-args...
	local port=$1
	shift
	STARTED+=("$port")
	scripts/stack.sh down "$port" >/dev/null 2>&1 8>&-
	rm -rf "var/$port"
	# The servers must not inherit the lock (fd 8).
	scripts/stack.sh up "$port" "$@" >"$OUT/stack-$port.log" 2>&1 8>&- || {
		cat "$OUT/stack-$port.log"
		return 1
	}
}

# Count a junit xml: prints "passed failed skipped", or fails.
junit_counts() {
	"$PY" - "$1" <<-'EOF'
		import sys
		import xml.etree.ElementTree as ET
		root = ET.parse(sys.argv[1]).getroot()
		p = f = s = 0
		for case in root.iter("testcase"):
		    tags = {child.tag for child in case}
		    if "failure" in tags or "error" in tags:
		        f += 1
		    elif "skipped" in tags:
		        s += 1
		    else:
		        p += 1
		print(p, f, s)
	EOF
}

# run_suite NAME PORT BINARY DEV
run_suite() {
	local name=$1 port=$2 binary=$3 dev=$4 xml rc counts
	xml=$OUT/$name.xml
	rm -f "$xml"
	OAUTH_TEST_URL=http://127.0.0.1:$port OAUTH_TEST_PORT=$port \
	    OAUTH_TEST_VAR=$ROOT/var/$port \
	    OAUTH_TEST_CONFIG=$ROOT/var/$port/oauth.conf \
	    OAUTH_TEST_BINARY=$ROOT/$binary OAUTH_TEST_DEV=$dev \
	    OAUTH_TEST_ROOT=$ROOT \
	    timeout 1500 "$PY" -m pytest tests/integration -q -rfE \
	    --junitxml="$xml" -o junit_suite_name="$name" 8>&-
	rc=$?
	if [ ! -s "$xml" ] || ! counts=$(junit_counts "$xml"); then
		fail "$name" "pytest exited $rc and wrote no junit report"
		return
	fi
	# shellcheck disable=SC2086
	set -- $counts
	if [ $(($1 + $2 + $3)) -eq 0 ]; then
		fail "$name" "no tests collected (pytest exit $rc)"
		return
	fi
	if [ "$rc" -ne 0 ] && [ "$2" -eq 0 ]; then
		# pytest failed without a failing test case (timeout, crash).
		add "$name" "$1" 1 "$3"
		echo "run.sh: $name: pytest exited $rc"
		return
	fi
	add "$name" "$1" "$2" "$3"
}

BUILD_OK=0
BIN_PROD=cgi/oauth.fcgi
BIN_DEV=cgi/oauth-dev.fcgi

stage_build() {
	banner "build"
	if ! sh scripts/deps.sh build run test 8>&-; then
		fail "build" "could not install the Debian packages"
		return
	fi
	local vars log=$OUT/build.log ok=1
	: >"$log"
	for vars in "" "DEV=1" ${SANITIZE:+"SANITIZE=$SANITIZE" "SANITIZE=$SANITIZE DEV=1"}; do
		echo "make $vars"
		# shellcheck disable=SC2086
		if ! make -j2 --no-print-directory $vars >>"$log" 2>&1 8>&-; then
			ok=0
			echo "run.sh: make $vars failed:"
			tail -n 40 "$log"
			break
		fi
	done
	if [ "$ok" = 1 ]; then
		BUILD_OK=1
		pass "build"
	else
		fail "build"
	fi
}

stage_unit() {
	banner "unit"
	local log=$OUT/unit.log rc p=0 f=0 line n m
	make --no-print-directory unit ${SANITIZE:+SANITIZE=$SANITIZE} \
	    2>&1 8>&- | tee "$log"
	rc=${PIPESTATUS[0]}
	while IFS= read -r line; do
		n=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
		m=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
		p=$((p + n))
		f=$((f + m))
	done < <(grep -E '^unit .*: [0-9]+ passed, [0-9]+ failed' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # did not build
		echo "run.sh: make unit exited $rc"
	fi
	if [ $((p + f)) -eq 0 ]; then
		echo "run.sh: WARNING: no unit tests in tests/unit/"
	fi
	add "unit" "$p" "$f" 0
}

# Reports of sanitized binaries under var/PORT (the servers stopped first,
# so LeakSanitizer has run).
scan_sanitizers() { # name port...
	local name=$1 port hits=
	shift
	for port in "$@"; do
		hits="$hits $(grep -rlE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' \
		    "var/$port/san" "var/$port/log" 2>/dev/null | tr '\n' ' ')"
	done
	if [ -z "${hits// /}" ]; then
		pass "$name"
	else
		local f
		for f in $hits; do
			echo "---- $f"
			head -n 80 "$f"
		done
		fail "$name" "reports in:$hits"
	fi
}

stage_integration() {
	banner "integration"
	local prod=$BIN_PROD dev=$BIN_DEV mode_p= mode_d=--dev
	local p1=$TEST_PORT p2=$((TEST_PORT + 1))
	if [ -n "$SANITIZE" ]; then
		prod=cgi/oauth-san.fcgi dev=cgi/oauth-dev-san.fcgi
		mode_p=--san mode_d=--dev-san
	fi
	if [ "$BUILD_OK" != 1 ]; then
		fail "integration (prod)" "no binaries"
		fail "integration (dev)" "no binaries"
		return
	fi
	# Both instances first (in parallel: they are independent), then the
	# suite against each in turn.
	local ok1=1 ok2=1
	fresh_instance "$p1" $mode_p --registration open &
	local j1=$!
	fresh_instance "$p2" $mode_d --registration open &
	local j2=$!
	STARTED+=("$p1" "$p2") # fresh_instance ran in subshells
	wait "$j1" || ok1=0
	wait "$j2" || ok2=0
	if [ "$ok1" = 1 ]; then
		echo "-- integration (prod) against :$p1 ($prod)"
		run_suite integration-prod "$p1" "$prod" 0
	else
		fail "integration (prod)" "instance on $p1 did not start"
	fi
	if [ "$ok2" = 1 ]; then
		echo "-- integration (dev) against :$p2 ($dev)"
		run_suite integration-dev "$p2" "$dev" 1
	else
		fail "integration (dev)" "instance on $p2 did not start"
	fi
	if [ -n "$SANITIZE" ]; then
		scripts/stack.sh down "$p1" >/dev/null 2>&1 8>&-
		scripts/stack.sh down "$p2" >/dev/null 2>&1 8>&-
		scan_sanitizers "sanitizers clean" "$p1" "$p2"
	fi
}

# SPEC 9: the pages in a real browser (playwright-core + Debian chromium).
stage_browser() {
	banner "browser"
	if [ "$BUILD_OK" != 1 ]; then
		fail "browser" "no binaries"
		return
	fi
	local port=$((TEST_PORT + 4)) log=$OUT/browser.log line n m
	if ! fresh_instance "$port" --registration open; then
		fail "browser" "instance on $port did not start"
		return
	fi
	OAUTH_TEST_URL=http://127.0.0.1:$port \
	    OAUTH_TEST_CONFIG=$ROOT/var/$port/oauth.conf \
	    OAUTH_TEST_BINARY=$ROOT/$BIN_PROD \
	    timeout 900 sh tests/browser/run.sh 2>&1 8>&- | tee "$log"
	line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	if [ -z "$line" ]; then
		fail "browser" "tests/browser/run.sh printed no summary"
		return
	fi
	n=$(printf '%s\n' "$line" | sed -E 's/^browser: ([0-9]+) passed.*/\1/')
	m=$(printf '%s\n' "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	add "browser" "$n" "$m" 0
}

stage_sanitizers() {
	banner "sanitizers"
	if [ -n "$SANITIZE" ]; then
		echo "run.sh: the integration stage already ran sanitized binaries"
		return
	fi
	if [ -n "$FAST" ]; then
		skip "sanitizers clean" "FAST=1"
		return
	fi
	local port=$((TEST_PORT + 2))
	echo "make SANITIZE=address,undefined"
	if ! make -j2 --no-print-directory SANITIZE=address,undefined \
	    >>"$OUT/build.log" 2>&1 8>&-; then
		tail -n 40 "$OUT/build.log"
		fail "sanitizers clean" "the sanitized build failed"
		return
	fi
	if ! fresh_instance "$port" --san --registration open; then
		fail "sanitizers clean" "instance on $port did not start"
		return
	fi
	echo "-- integration (sanitizers) against :$port (cgi/oauth-san.fcgi)"
	run_suite integration-san "$port" cgi/oauth-san.fcgi 0
	scripts/stack.sh down "$port" 8>&- || true
	scan_sanitizers "sanitizers clean" "$port"
}

stage_valgrind() {
	banner "valgrind"
	if [ -n "$FAST" ]; then
		skip "valgrind clean" "FAST=1"
		return
	fi
	if [ "$BUILD_OK" != 1 ]; then
		fail "valgrind clean" "no binaries"
		return
	fi
	local port=$((TEST_PORT + 3)) rc=0 logs bad= f
	if ! fresh_instance "$port" --valgrind --registration open; then
		fail "valgrind clean" "instance on $port did not start"
		return
	fi
	OAUTH_TEST_URL=http://127.0.0.1:$port \
	    OAUTH_TEST_CONFIG=$ROOT/var/$port/oauth.conf \
	    OAUTH_TEST_BINARY=$ROOT/$BIN_PROD \
	    timeout 1200 "$PY" tests/integration/load_mix.py 8>&- || rc=$?
	# A graceful stop: mod_fcgid sends SIGTERM, the binary finishes its
	# request and exits, and valgrind writes its leak summary.
	scripts/stack.sh down "$port" 8>&- || true
	logs=$(ls "var/$port/valgrind/"valgrind.*.log 2>/dev/null)
	if [ -z "$logs" ]; then
		fail "valgrind clean" "no valgrind logs in var/$port/valgrind/"
		return
	fi
	for f in $logs; do
		if ! grep -q 'ERROR SUMMARY: 0 errors' "$f" ||
		    grep -qE '(definitely|indirectly) lost: [1-9]' "$f"; then
			bad="$bad $f"
		fi
	done
	echo "run.sh: $(echo "$logs" | wc -w) valgrind logs"
	if [ -n "$bad" ]; then
		for f in $bad; do
			echo "---- $f"
			head -n 150 "$f"
		done
		fail "valgrind clean" "errors, leaks or no summary (killed?) in:$bad"
	elif [ "$rc" -ne 0 ]; then
		fail "valgrind clean" "load_mix.py exited $rc"
	else
		pass "valgrind clean"
	fi
}

# SPEC 2 "Scale-out": the schema and the db layer, unchanged, on MariaDB
# Galera. The cluster's ports (4567...) and var/galera/ are the machine's,
# not TEST_PORT's: one galera stage at a time (lock on fd 7).
stage_galera() {
	banner "galera"
	if [ -n "$FAST" ]; then
		skip "galera" "FAST=1"
		return
	fi
	if [ "$BUILD_OK" != 1 ]; then
		fail "galera" "no binaries"
		return
	fi
	local xml=$OUT/galera.xml log=$OUT/galera-up.log rc counts
	exec 7>"$ROOT/var/.galera-stage.lock"
	if ! flock -w 1800 7; then
		exec 7>&-
		fail "galera" "another run holds var/.galera-stage.lock"
		return
	fi
	# The cluster goes down however the stage ends (the EXIT trap's
	# teardown knows only stack.sh instances); finish still gets the
	# exit status.
	# shellcheck disable=SC2154
	trap 'galera_rc=$?; scripts/galera.sh down >/dev/null 2>&1 7>&- 8>&-
	    (exit $galera_rc); finish' EXIT
	rm -f "$xml"
	if ! GALERA_BINARY=$ROOT/$BIN_PROD scripts/galera.sh up >"$log" 2>&1 7>&- 8>&-; then
		cat "$log"
		fail "galera" "the cluster did not come up (see $log)"
	else
		cat "$log"
		OAUTH_TEST_ROOT=$ROOT OAUTH_TEST_BINARY=$ROOT/$BIN_PROD \
		    timeout 900 "$PY" -m pytest tests/galera -q -rfE \
		    --junitxml="$xml" -o junit_suite_name=galera 7>&- 8>&-
		rc=$?
		if [ -s var/galera/timings.txt ]; then
			echo "-- galera: measured"
			sed 's/^/  /' var/galera/timings.txt
		fi
		if [ ! -s "$xml" ] || ! counts=$(junit_counts "$xml"); then
			fail "galera" "pytest exited $rc and wrote no junit report"
		else
			# shellcheck disable=SC2086
			set -- $counts
			if [ $(($1 + $2 + $3)) -eq 0 ]; then
				fail "galera" "no tests collected (pytest exit $rc)"
			elif [ "$rc" -ne 0 ] && [ "$2" -eq 0 ]; then
				add "galera" "$1" 1 "$3"
				echo "run.sh: galera: pytest exited $rc"
			else
				add "galera" "$1" "$2" "$3"
			fi
		fi
	fi
	scripts/galera.sh down 7>&- 8>&- || echo "run.sh: could not stop the Galera cluster" >&2
	trap finish EXIT
	exec 7>&-
}

for s in $STAGES; do
	"stage_$s"
	teardown
done
exit 0
