#!/bin/sh
#
# run.sh - the browser tests (SPEC section 9): playwright-core from npm
# driving Debian's chromium, under node's own test runner.
#
# Installs what is missing (chromium with apt-get, playwright-core with
# npm into tests/browser/node_modules), runs every *.test.mjs against the
# instance at $OAUTH_TEST_URL (with OAUTH_TEST_CONFIG and OAUTH_TEST_BINARY
# as the pytest suite gets them), and ends with exactly one line
#
#   browser: N passed, M failed
#
# Exit status 0 only when every test passed. Screenshots of the pages are
# written to docs/screens/.
#
set -u

HERE=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
: "${OAUTH_TEST_URL:=http://127.0.0.1:8080}"
: "${CHROMIUM:=/usr/bin/chromium}"
export OAUTH_TEST_URL CHROMIUM
OUT=$(mktemp "${TMPDIR:-/tmp}/browser-tests.XXXXXX")
trap 'rm -f "$OUT"' EXIT INT TERM

summary() {
	echo "browser: $1 passed, $2 failed"
	exit "$3"
}

if [ ! -x "$CHROMIUM" ]; then
	echo "run.sh: installing chromium (apt-get)"
	if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
	    >"$OUT" 2>&1 || { apt-get update -q >>"$OUT" 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
	    >>"$OUT" 2>&1; }; }; then
		tail -20 "$OUT" >&2
		echo "run.sh: could not install chromium" >&2
		summary 0 1 1
	fi
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	# Debian's nodejs comes without npm; a nodesource nodejs has both.
	echo "run.sh: installing nodejs/npm (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm \
	    >"$OUT" 2>&1 || { apt-get update -q >>"$OUT" 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm \
	    >>"$OUT" 2>&1; }
	if ! command -v node >/dev/null 2>&1 ||
	    ! command -v npm >/dev/null 2>&1; then
		tail -20 "$OUT" >&2
		echo "run.sh: node and npm are needed" >&2
		summary 0 1 1
	fi
fi
if [ ! -f "$HERE/node_modules/playwright-core/package.json" ]; then
	echo "run.sh: installing playwright-core (npm)"
	# npm ci follows package-lock.json exactly; no browser download:
	# playwright-core never fetches one, chromium is Debian's.
	if ! (cd "$HERE" && npm ci --no-audit --no-fund >"$OUT" 2>&1); then
		tail -20 "$OUT" >&2
		echo "run.sh: npm ci failed" >&2
		summary 0 1 1
	fi
fi

echo "run.sh: browser tests against $OAUTH_TEST_URL"
cd "$HERE" || summary 0 1 1
# Node's spec reporter for people; its closing "# pass N" / "# fail M"
# counts (TAP, to the file) for the summary line.
node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$OUT" \
    *.test.mjs
rc=$?
pass=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$OUT" | tail -1)
fail=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$OUT" | tail -1)
cancelled=$(sed -n 's/^# cancelled \([0-9][0-9]*\)$/\1/p' "$OUT" | tail -1)
if [ -z "$pass" ] || [ -z "$fail" ]; then
	# The runner died before its summary: count that as one failure.
	summary "${pass:-0}" "$((${fail:-0} + 1))" 1
fi
fail=$((fail + ${cancelled:-0}))
if [ "$fail" -eq 0 ] && [ "$rc" -ne 0 ]; then
	fail=1
fi
[ "$fail" -eq 0 ] && summary "$pass" 0 0
summary "$pass" "$fail" 1
