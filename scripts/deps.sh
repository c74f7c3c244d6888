#!/bin/sh
#
# deps.sh - install the Debian 12 packages a task needs, and only those
# that are missing (checked with dpkg-query; `apt-get update` runs once, and
# only when something has to be installed).
#
# usage: scripts/deps.sh [GROUP...]      default: build run test
#
#   build     compiler and the libraries the binary links (SPEC section 1)
#   run       the servers of a private instance (MariaDB, Apache, mod_fcgid)
#   test      pytest and requests for the integration suite, valgrind
#   fuzz      clang with libFuzzer (make fuzz)
#   format    clang-format (make format, make format-check)
#   bench     wrk (make bench)
#
set -eu

pkgs_build="gcc make pkg-config libc6-dev libfcgi-dev libmariadb-dev-compat
	libjson-c-dev libssl-dev libcrypt-dev"
pkgs_run="apache2 libapache2-mod-fcgid mariadb-server mariadb-client curl
	ca-certificates"
pkgs_test="python3 python3-pytest python3-requests python3-requests-oauthlib
	python3-yaml valgrind"
pkgs_fuzz="clang libclang-rt-14-dev"
pkgs_format="clang-format"
pkgs_bench="wrk"

[ $# -gt 0 ] || set -- build run test

want=""
for group in "$@"; do
	case $group in
	build) want="$want $pkgs_build" ;;
	run) want="$want $pkgs_run" ;;
	test) want="$want $pkgs_test" ;;
	fuzz) want="$want $pkgs_fuzz" ;;
	format) want="$want $pkgs_format" ;;
	bench) want="$want $pkgs_bench" ;;
	*)
		echo "deps.sh: unknown group '$group'" >&2
		exit 2
		;;
	esac
done

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

[ -n "$missing" ] || exit 0

echo "deps.sh: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: not root; install these as root:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the list is intended
apt-get install -y -qq --no-install-recommends $missing
