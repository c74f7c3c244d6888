#!/bin/bash
#
# galera.sh - a 3-node MariaDB Galera cluster on loopback, for tests of the
# schema and the db layer on a cluster (SPEC section 2, "Scale-out").
# Everything lives under var/galera/.
#
# usage:
#   scripts/galera.sh up         a fresh cluster: bootstrap node 1, join 2
#                                and 3, database oauth, user oauth, one
#                                oauth.conf per node, `oauth.fcgi migrate`
#   scripts/galera.sh down       stop every node (also after a failed up)
#   scripts/galera.sh kill N     SIGKILL node N (a crash)
#   scripts/galera.sh start N    start node N again; it rejoins (IST/SST)
#   scripts/galera.sh status     one line per node; 0 when all are Synced
#
# `up` keeps a cluster whose three nodes are running and Synced (it only
# re-checks the database, the user, the configurations and the schema);
# anything else is stopped and replaced by a fresh cluster: the data of a
# test cluster is not kept across `down` and `up` (the logs are, until the
# next fresh `up`). Bring-up gives up after GALERA_TIMEOUT seconds (120) and
# then stops whatever it started.
#
# Layout of var/galera/nN/ (N = 1, 2, 3):
#   data/         datadir (grastate.dat, galera.cache)
#   mysql.sock    SQL clients connect here (root by unix_socket)
#   mariadb.pid   mariadb.err (the server's log, SST and IST included)
#   oauth.conf    the binary's configuration for this node (0600):
#                 db_socket of this node, db_sync_wait = 1
#
# Ports on 127.0.0.1 (GALERA_PORT, default 4567; node N uses
# GALERA_PORT + 10 * (N - 1) plus):
#   +0 group communication (gcomm)   +1 IST   +2 SST (rsync)
#   +3 SQL (bound to 127.0.0.1; the tests use the unix sockets)
#
# Environment: GALERA_PORT, GALERA_TIMEOUT (120), GALERA_BINARY
# (cgi/oauth.fcgi).
#
# Try:
#   OAUTH_CONFIG=var/galera/n2/oauth.conf cgi/oauth.fcgi user list
#   mariadb --no-defaults -S var/galera/n3/mysql.sock -u root oauth
#
set -euo pipefail
umask 022

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
G=$ROOT/var/galera
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
NODES="1 2 3"
BASE=${GALERA_PORT:-4567}
TIMEOUT=${GALERA_TIMEOUT:-120}
BINARY=${GALERA_BINARY:-$ROOT/cgi/oauth.fcgi}
PROVIDER=/usr/lib/galera/libgalera_smm.so
CLUSTER_NAME=oauth-galera-test

die() {
	echo "galera.sh: $*" >&2
	exit 1
}

note() {
	echo "galera.sh: $*"
}

usage() {
	sed -n '/^# usage:/,/^# `up` keeps/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

case $BASE in
'' | *[!0-9]*) die "GALERA_PORT must be a number" ;;
esac
[ "$BASE" -ge 1024 ] && [ "$BASE" -le 65500 ] ||
    die "GALERA_PORT must be within 1024..65500"
case $TIMEOUT in
'' | *[!0-9]*) die "GALERA_TIMEOUT must be a number of seconds" ;;
esac

# --- per node --------------------------------------------------------------------
dir() { echo "$G/n$1"; }
sock() { echo "$G/n$1/mysql.sock"; }
pidfile() { echo "$G/n$1/mariadb.pid"; }
gport() { echo $((BASE + 10 * ($1 - 1))); }
cluster_address() {
	local n a=
	for n in $NODES; do
		a="$a${a:+,}127.0.0.1:$(gport "$n")"
	done
	echo "gcomm://$a"
}

check_node() { # N
	case ${1:-} in
	1 | 2 | 3) ;;
	*) die "node must be 1, 2 or 3: '${1:-}'" ;;
	esac
}

# Every process that belongs to node N: mariadbd, and what it spawned for
# an SST (wsrep_sst_rsync, rsync --daemon), which all name the node's
# directory on their command lines. Only processes started by this script
# can; nothing is matched by program name alone.
node_pids() { # N
	local f
	# One grep over every command line (NUL-separated arguments); the
	# pattern comes from a file, or grep would find it in its own.
	grep -lsF -f <(printf '%s/\n' "$(dir "$1")") /proc/[0-9]*/cmdline \
	    2>/dev/null |
	    while IFS= read -r f; do
		f=${f#/proc/}
		echo "${f%/cmdline}"
	done
	return 0
}

# The node's mariadbd, or nothing.
server_pid() { # N
	local pid
	# Explicit `return 0`s: a bare return in a function run from the EXIT
	# trap returns the status the script is exiting with.
	pid=$(cat "$(pidfile "$1")" 2>/dev/null) || pid=
	case $pid in '' | *[!0-9]*) pid= ;; esac
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
	    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mariadbd ]; then
		echo "$pid"
		return 0
	fi
	# Before it wrote its pid file (or after a crash left a stale one).
	for pid in $(node_pids "$1"); do
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mariadbd ]; then
			echo "$pid"
			return 0
		fi
	done
}

sql() { # N; SQL on stdin or -e; as root through the socket
	local n=$1
	shift
	mariadb --no-defaults -S "$(sock "$n")" -u root --connect-timeout=2 \
	    -N -B "$@"
}

# "state size ready" of node N, or nothing when it does not answer.
node_state() { # N
	[ -S "$(sock "$1")" ] || return 0
	sql "$1" -e "SHOW GLOBAL STATUS WHERE Variable_name IN
	    ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready')" \
	    2>/dev/null | awk '
		$1 == "wsrep_local_state_comment" { s = $2 }
		$1 == "wsrep_cluster_size" { c = $2 }
		$1 == "wsrep_ready" { r = $2 }
		END { if (s != "") print s, c, r }'
}

synced() { # N [size]
	local st
	st=$(node_state "$1")
	set -- "$1" "${2:-}" $st
	[ "${3:-}" = Synced ] && [ "${5:-}" = ON ] &&
	    { [ -z "$2" ] || [ "${4:-}" = "$2" ]; }
}

# The rsync SST script starts `rsync --daemon` on the joiner without a
# `uid` in its configuration, and an rsync daemon started by root drops to
# `nobody`, which cannot write the joiner's private datadir ("cannot stat
# destination: Permission denied"). mariadbd runs as root here (--user=root,
# SPEC 1) and puts <basedir>/bin first in the PATH of the SST script, so
# each node gets basedir var/galera/base: its bin/ holds the SST scripts
# (links to Debian's) and an rsync whose daemon keeps the user that started
# it. Everything else mariadbd finds under its usual basedir is named
# explicitly (messages, character sets, plugins).
write_basedir() {
	local b=$G/base/bin f
	mkdir -p "$b"
	for f in wsrep_sst_rsync wsrep_sst_common; do
		[ -x "/usr/bin/$f" ] || die "/usr/bin/$f is missing (mariadb-server)"
		ln -sfn "/usr/bin/$f" "$b/$f"
	done
	cat >"$b/rsync" <<-'EOF'
		#!/bin/sh
		# Written by scripts/galera.sh: rsync for the Galera SST, whose
		# daemon keeps the user that started it (root) instead of nobody.
		for a in "$@"; do
			if [ "$a" = --daemon ]; then
				exec /usr/bin/rsync --dparam=uid=root --dparam=gid=root "$@"
			fi
		done
		exec /usr/bin/rsync "$@"
	EOF
	chmod 0755 "$b/rsync"
}

# The options of node N's mariadbd, in the array ARGS.
# binlog_format=ROW, innodb_autoinc_lock_mode=2 and InnoDB are what Galera
# requires; innodb_flush_log_at_trx_commit=2 is the usual Galera choice (a
# commit is durable on the other nodes).
server_args() { # N
	local n=$1 d p
	d=$(dir "$n")
	p=$(gport "$n")
	ARGS=(--no-defaults --user=root
	    --basedir="$G/base" --lc-messages-dir=/usr/share/mysql
	    --character-sets-dir=/usr/share/mysql/charsets
	    --plugin-dir=/usr/lib/mysql/plugin
	    --datadir="$d/data" --socket="$(sock "$n")"
	    --pid-file="$(pidfile "$n")" --log-error="$d/mariadb.err"
	    --tmpdir="$d/tmp"
	    --bind-address=127.0.0.1 --port=$((p + 3)) --skip-name-resolve
	    --character-set-server=utf8mb4
	    --collation-server=utf8mb4_unicode_ci
	    --max-connections=300
	    --innodb-buffer-pool-size=64M
	    --innodb-log-file-size=32M
	    --innodb-flush-log-at-trx-commit=2
	    --performance-schema=OFF
	    --binlog-format=ROW
	    --innodb-autoinc-lock-mode=2
	    --default-storage-engine=InnoDB
	    --wsrep-on=ON
	    --wsrep-provider="$PROVIDER"
	    --wsrep-cluster-name="$CLUSTER_NAME"
	    --wsrep-cluster-address="$(cluster_address)"
	    --wsrep-node-name="n$n"
	    --wsrep-node-address=127.0.0.1
	    --wsrep-provider-options="base_port=$p;gmcast.listen_addr=tcp://127.0.0.1:$p;ist.recv_addr=127.0.0.1:$((p + 1));gcache.size=64M"
	    --wsrep-sst-method=rsync
	    --wsrep-sst-receive-address="127.0.0.1:$((p + 2))")
}

# Start node N's mariadbd in the background; extra arguments go to it
# (--wsrep-new-cluster for the bootstrap, --wsrep-start-position).
server_start() { # N [args...]
	local n=$1 d
	shift
	d=$(dir "$n")
	mkdir -p "$d/tmp"
	chmod 0700 "$d/tmp"
	rm -f "$(sock "$n")" "$(pidfile "$n")"
	[ -x "$G/base/bin/rsync" ] || write_basedir
	server_args "$n"
	# Detached: its own session, no inherited stdout or lock descriptors.
	setsid mariadbd "${ARGS[@]}" "$@" \
	    </dev/null >/dev/null 2>&1 7>&- 8>&- 9>&- &
	disown $! # no job report when it is killed
}

# After a crash grastate.dat has no position (seqno -1), and a node that
# does not know its position gets a full SST. Like Debian's systemd unit
# (galera_recovery), read the last committed position out of InnoDB with
# --wsrep-recover first; the node then asks for an IST from a donor's
# gcache. Prints uuid:seqno, or nothing when there is none to read.
recover_position() { # N
	local n=$1 d log
	d=$(dir "$n")
	log=$d/recover.log
	grep -qE '^seqno: +-1$' "$d/data/grastate.dat" 2>/dev/null || return 0
	: >"$log"
	server_args "$n"
	mariadbd "${ARGS[@]}" --log-error="$log" --wsrep-recover \
	    </dev/null >/dev/null 2>&1 7>&- 8>&- 9>&- || true
	sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:[0-9-]*\).*/\1/p' \
	    "$log" | tail -n 1
}

# Wait until node N is Synced (in a cluster of `size` when given) or the
# deadline (a value of $SECONDS) passes; fails early when it died.
wait_synced() { # N deadline [size]
	local n=$1 deadline=$2 size=${3:-} started=$SECONDS
	while [ "$SECONDS" -lt "$deadline" ]; do
		synced "$n" "$size" && return 0
		if [ $((SECONDS - started)) -ge 2 ] && [ -z "$(server_pid "$n")" ]; then
			echo "galera.sh: node $n exited; the end of its log:" >&2
			tail -n 40 "$(dir "$n")/mariadb.err" >&2 2>/dev/null || true
			return 1
		fi
		sleep 0.2
	done
	echo "galera.sh: node $n is not Synced${size:+ in a cluster of $size}" \
	    "in time (state: $(node_state "$n"))" >&2
	tail -n 40 "$(dir "$n")/mariadb.err" >&2 2>/dev/null || true
	return 1
}

# Stop node N: SIGTERM, then SIGKILL after `grace` seconds; also whatever
# an SST left behind.
node_stop() { # N grace
	local n=$1 grace=$2 pid p
	pid=$(server_pid "$n")
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 $((grace * 10))); do
			gone "$pid" && break
			sleep 0.1
		done
		if ! gone "$pid"; then
			note "node $n (pid $pid) did not stop in $grace s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	for _ in 1 2 3 4 5; do
		p=$(node_pids "$n")
		[ -z "$p" ] && break
		# shellcheck disable=SC2086
		kill -KILL $p 2>/dev/null || true
		sleep 0.2
	done
	rm -f "$(pidfile "$n")"
}

# Every node at once: a donor waiting for its joiner, or a node waiting for
# the others, must not hold up its neighbours' stop.
stop_all() { # grace
	local n
	for n in $NODES; do
		node_stop "$n" "$1" &
	done
	wait
}

lock() {
	mkdir -p "$ROOT/var"
	exec 9>"$ROOT/var/.galera.lock"
	flock -w 300 9 || die "another galera.sh is working on var/galera"
}

# --- the cluster -------------------------------------------------------------------
ports_free() {
	local n p busy=
	for n in $NODES; do
		p=$(gport "$n")
		for p in "$p" $((p + 1)) $((p + 2)) $((p + 3)); do
			if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
				busy="$busy $p"
			fi
		done
	done
	[ -z "$busy" ] || die "ports in use on this machine:$busy (set GALERA_PORT)"
}

install_packages() {
	local missing='' p
	for p in galera-4 rsync mariadb-server mariadb-client; do
		case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) in
		"install ok installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	note "installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing \
	    >"$G.apt.log" 2>&1 ||
	    { tail -n 20 "$G.apt.log" >&2; die "apt-get install$missing failed"; }
}

init_datadirs() {
	local n d
	rm -rf "$G"
	mkdir -p "$G"
	chmod 0700 "$G"
	for n in $NODES; do
		d=$(dir "$n")
		mkdir -p "$d/data"
		chmod 0700 "$d/data"
		# Every node gets a datadir; the joiners' are replaced by the
		# SST from node 1 anyway.
		if ! mariadb-install-db --no-defaults --user=root \
		    --auth-root-authentication-method=normal \
		    --datadir="$d/data" --skip-test-db \
		    >"$d/install-db.log" 2>&1 7>&- 8>&- 9>&-; then
			cat "$d/install-db.log" >&2
			die "mariadb-install-db failed for node $n"
		fi
	done
}

# The database, its user and the configurations; idempotent. Run on node
# 1: account statements replicate to the other nodes through TOI.
db_setup() {
	local pw secret host n conf tmp
	pw=$(sed -n 's/^db_password *= *//p' "$(dir 1)/oauth.conf" 2>/dev/null |
	    head -n 1) || pw=
	if [ -z "$pw" ]; then
		pw=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' |
		    head -c 32)
	fi
	[ ${#pw} -ge 16 ] || die "could not generate a password"
	# One CSRF key for every node: a browser may meet any of them.
	secret=$(sed -n 's/^instance_secret *= *//p' "$(dir 1)/oauth.conf" \
	    2>/dev/null | head -n 1) || secret=
	if [ -z "$secret" ]; then
		secret=$(od -An -tx1 -N32 /dev/urandom | tr -dc '0-9a-f')
	fi
	host=$(hostname 2>/dev/null || echo localhost)
	# mariadb-install-db --auth-root-authentication-method=normal leaves a
	# password-less root and anonymous users; root keeps the unix socket.
	# On stdin, never on a command line: the password.
	sql 1 <<-EOF || die "could not create the database and its user on node 1"
		DROP USER IF EXISTS ''@'localhost', ''@'$host',
		    'root'@'$host', 'root'@'127.0.0.1', 'root'@'::1';
		ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;
		CREATE DATABASE IF NOT EXISTS oauth
		    CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS 'oauth'@'localhost' IDENTIFIED BY '$pw';
		ALTER USER 'oauth'@'localhost' IDENTIFIED BY '$pw';
		GRANT ALL PRIVILEGES ON oauth.* TO 'oauth'@'localhost';
	EOF
	for n in $NODES; do
		conf=$(dir "$n")/oauth.conf
		tmp=$(mktemp "$conf.XXXXXX")
		{
			echo "# var/galera/n$n/oauth.conf - written by scripts/galera.sh:"
			echo "# the binary on Galera node $n. Holds the database password."
			echo "db_socket = $(sock "$n")"
			echo "db_user = oauth"
			echo "db_password = $pw"
			echo "db_name = oauth"
			echo "instance_secret = $secret"
			echo "# causal reads: a token written through another node"
			echo "db_sync_wait = 1"
			echo "issuer = http://127.0.0.1:$((BASE + 10 * (n - 1) + 3))"
			echo "htdocs = $ROOT/htdocs"
		} >"$tmp"
		chmod 0600 "$tmp"
		mv -f "$tmp" "$conf"
	done
}

migrate() {
	local out n
	out=$(OAUTH_CONFIG=$(dir 1)/oauth.conf "$BINARY" migrate 2>&1) || {
		printf '%s\n' "$out" >&2
		die "$BINARY migrate failed on node 1"
	}
	[ -z "$out" ] || printf '%s\n' "$out"
	# The other nodes see the schema (and the user) already: migrate there
	# has nothing left to apply.
	for n in 2 3; do
		out=$(OAUTH_CONFIG=$(dir "$n")/oauth.conf "$BINARY" migrate 2>&1) || {
			printf '%s\n' "$out" >&2
			die "$BINARY migrate failed on node $n"
		}
		if printf '%s\n' "$out" | grep -q '^applying'; then
			printf '%s\n' "$out" >&2
			die "node $n did not see the schema applied through node 1"
		fi
	done
}

cmd_up() {
	local t0=$SECONDS deadline n all=1
	[ -x "$BINARY" ] || die "$BINARY is missing: build it first (make)"
	lock
	for n in $NODES; do
		synced "$n" 3 || all=0
	done
	if [ "$all" = 1 ] && [ -s "$(dir 1)/oauth.conf" ]; then
		note "the cluster is up already (3 nodes Synced)"
	else
		mkdir -p "$ROOT/var"
		install_packages
		[ -f "$PROVIDER" ] || die "$PROVIDER is missing (galera-4)"
		stop_all 10
		ports_free
		# From here on a failure stops every node again.
		# shellcheck disable=SC2154
		trap 'rc=$?; trap - EXIT; if [ "$rc" -ne 0 ]; then
			echo "galera.sh: bring-up failed; stopping the nodes" >&2
			stop_all 10; fi; exit $rc' EXIT
		init_datadirs
		deadline=$((SECONDS + TIMEOUT))
		note "bootstrapping node 1 (gcomm port $(gport 1))"
		server_start 1 --wsrep-new-cluster
		wait_synced 1 "$deadline" 1 || die "node 1 did not bootstrap"
		for n in 2 3; do
			note "joining node $n (gcomm port $(gport "$n"))"
			server_start "$n"
			wait_synced "$n" "$deadline" || die "node $n did not join"
		done
		for n in $NODES; do
			wait_synced "$n" "$deadline" 3 ||
			    die "node $n does not see 3 nodes"
		done
	fi
	db_setup
	migrate
	trap - EXIT
	note "up in $((SECONDS - t0)) s: 3 nodes Synced; configurations" \
	    "var/galera/n{1,2,3}/oauth.conf"
}

cmd_down() {
	[ -d "$G" ] || {
		note "no cluster in var/galera"
		return 0
	}
	lock
	stop_all 30
	note "stopped the cluster (logs kept in var/galera/nN/mariadb.err)"
}

# The process is gone (or a zombie nobody reaped yet: dead all the same).
gone() { # pid
	local st
	kill -0 "$1" 2>/dev/null || return 0
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ]
}

cmd_kill() { # N
	local n=$1 pid t0
	check_node "$n"
	pid=$(server_pid "$n")
	[ -n "$pid" ] || die "node $n is not running"
	t0=$(date +%s.%N)
	kill -KILL "$pid"
	for _ in $(seq 1 200); do
		gone "$pid" && break
		sleep 0.05
	done
	gone "$pid" || die "node $n (pid $pid) survived SIGKILL for 10 s"
	note "killed node $n (pid $pid; gone after $(echo "$(date +%s.%N) - $t0" |
	    bc 2>/dev/null || echo '?') s)"
}

cmd_start() { # N
	local n=$1 t0=$SECONDS deadline m peer='' log off how pos
	check_node "$n"
	lock
	if synced "$n"; then
		note "node $n is running and Synced"
		return 0
	fi
	for m in $NODES; do
		[ "$m" != "$n" ] && synced "$m" && peer=$m && break
	done
	[ -n "$peer" ] || die "no Synced node for node $n to join (use up)"
	node_stop "$n" 10
	log=$(dir "$n")/mariadb.err
	off=$(stat -c %s "$log" 2>/dev/null) || off=0
	deadline=$((SECONDS + TIMEOUT))
	pos=$(recover_position "$n")
	if [ -n "$pos" ]; then
		note "node $n: position recovered from InnoDB: $pos"
		server_start "$n" --wsrep-start-position="$pos"
	else
		server_start "$n"
	fi
	if ! wait_synced "$n" "$deadline" 3; then
		node_stop "$n" 10
		die "node $n did not rejoin in $TIMEOUT s"
	fi
	# How it caught up: an incremental transfer from a donor's gcache
	# (IST), or a full copy of the datadir (SST). The rsync SST script
	# runs on every join and logs which of the two it was.
	how="no state transfer"
	if tail -c +$((off + 1)) "$log" | grep -q 'rsync SST completed'; then
		how="SST (rsync, full copy)"
	elif tail -c +$((off + 1)) "$log" | grep -qE 'rsync IST completed|Receiving IST'; then
		how="IST ($(tail -c +$((off + 1)) "$log" |
		    sed -n 's/.*Receiving IST: \([0-9]* writesets\).*/\1/p' |
		    tail -n 1))"
	fi
	note "node $n rejoined in $((SECONDS - t0)) s by $how"
}

cmd_status() {
	local n pid st all=0
	for n in $NODES; do
		pid=$(server_pid "$n")
		if [ -z "$pid" ]; then
			echo "n$n: stopped"
			all=1
			continue
		fi
		st=$(node_state "$n")
		if [ -z "$st" ]; then
			echo "n$n: pid $pid, not answering on $(sock "$n")"
			all=1
			continue
		fi
		set -- $st
		echo "n$n: pid $pid, $1, cluster size $2, ready $3," \
		    "gcomm 127.0.0.1:$(gport "$n"), socket var/galera/n$n/mysql.sock"
		[ "$1" = Synced ] && [ "$2" = 3 ] || all=1
	done
	return $all
}

[ $# -ge 1 ] || usage
CMD=$1
shift
case $CMD in
up) [ $# -eq 0 ] || usage; cmd_up ;;
down | stop) [ $# -eq 0 ] || usage; cmd_down ;;
kill) [ $# -eq 1 ] || usage; cmd_kill "$1" ;;
start) [ $# -eq 1 ] || usage; cmd_start "$1" ;;
status) [ $# -eq 0 ] || usage; cmd_status ;;
*) usage ;;
esac
