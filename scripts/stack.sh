#!/bin/bash
#
# stack.sh - private instances: MariaDB on a unix socket and Apache on
# loopback, everything under var/PORT/ (SPEC section 12b).
#
# usage:
#   scripts/stack.sh up PORT [--dev|--san|--dev-san] [--valgrind]
#                            [--registration off|open|token] [--demo]
#                            [--set KEY=VALUE]...
#   scripts/stack.sh down PORT       stop Apache, then MariaDB (data stays)
#   scripts/stack.sh db-stop PORT    stop only MariaDB (fault tests)
#   scripts/stack.sh db-start PORT   start it again, wait until it answers
#   scripts/stack.sh status PORT
#
# `up` is idempotent: a running instance is kept (Apache is restarted only
# when its generated configuration or the binary changed), migrations are
# re-applied (the binary skips applied ones), and nothing is duplicated.
# It returns with both servers detached in the background, once
# GET /healthz answers 200, and prints curl lines to try.
#
#   --dev / --san / --dev-san   serve cgi/oauth-dev.fcgi / oauth-san.fcgi /
#                   oauth-dev-san.fcgi instead of cgi/oauth.fcgi
#   --valgrind      run the FastCGI processes (and /cgi-mode/) under valgrind
#   --registration  the registration policy (SPEC N); off when not given
#   --demo          create the demo user (make run)
#   --set K=V       an extra `K = V` line in var/PORT/oauth.conf
#
# Layout of var/PORT/:
#   oauth.conf      the application's configuration (www-data, 0600)
#   apache.conf     generated from apache-conf/local.conf.in
#   db/             MariaDB data directory       mysql.sock, mariadb.pid
#   apache/         Apache runtime (pid, cgid socket)   fcgid/  mod_fcgid IPC
#   log/            mariadb.err, error.log, access.log
#   san/            sanitizer reports (--san)    valgrind/  valgrind logs
#   cgi/            valgrind wrapper scripts (--valgrind)
#
# Root access to the instance's database:
#   mariadb --no-defaults -S var/PORT/mysql.sock -u root oauth
#
set -euo pipefail
# Directories and files made here must be reachable by www-data (the
# configuration file is made private explicitly).
umask 022

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
DEMO_USER=demo
DEMO_PASSWORD=demo-password
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

die() {
	echo "stack.sh: $*" >&2
	exit 1
}

note() {
	echo "stack.sh: $*"
}

usage() {
	sed -n '/^# usage:/,/^# `up` is/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# --- arguments ---------------------------------------------------------------
[ $# -ge 2 ] || usage
CMD=$1
PORT=$2
shift 2
case $PORT in
'' | *[!0-9]*) die "PORT must be a number: '$PORT'" ;;
esac
[ "$PORT" -ge 1024 ] && [ "$PORT" -le 65535 ] ||
    die "PORT must be within 1024..65535"

VAR=$ROOT/var/$PORT
CONF=$VAR/oauth.conf
SOCK=$VAR/mysql.sock
DB_PID=$VAR/mariadb.pid
AP_CONF=$VAR/apache.conf
AP_PID=$VAR/apache/apache2.pid
AP_STAMP=$VAR/apache/started # when Apache last (re)started
URL=http://127.0.0.1:$PORT

MODE=prod
VALGRIND=0
REGISTRATION=
DEMO=0
EXTRA=()
while [ $# -gt 0 ]; do
	case $1 in
	--dev) MODE=dev ;;
	--san) MODE=san ;;
	--dev-san) MODE=dev-san ;;
	--valgrind) VALGRIND=1 ;;
	--demo) DEMO=1 ;;
	--registration)
		[ $# -ge 2 ] || usage
		REGISTRATION=$2
		shift
		;;
	--registration=*) REGISTRATION=${1#*=} ;;
	--set)
		[ $# -ge 2 ] || usage
		EXTRA+=("$2")
		shift
		;;
	*) usage ;;
	esac
	shift
done
case $REGISTRATION in
'' | off | open | token) ;;
*) die "--registration must be off, open or token" ;;
esac

case $MODE in
prod) BINARY=$ROOT/cgi/oauth.fcgi ;;
dev) BINARY=$ROOT/cgi/oauth-dev.fcgi ;;
san) BINARY=$ROOT/cgi/oauth-san.fcgi ;;
dev-san) BINARY=$ROOT/cgi/oauth-dev-san.fcgi ;;
esac
# For testing this script itself with a stand-in program.
BINARY=${STACK_BINARY:-$BINARY}
case $MODE in
*san) SAN=1 ;;
*) SAN=0 ;;
esac
[ "$SAN" = 0 ] || [ "$VALGRIND" = 0 ] ||
    die "--valgrind and a sanitizer build do not mix"

# --- helpers -----------------------------------------------------------------
# The process named in a pid file runs, and is the program expected (a pid
# file left by a reboot may name some other process by now).
pid_alive() { # pidfile
	local pid comm
	[ -s "$1" ] || return 1
	pid=$(cat "$1" 2>/dev/null) || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	case $comm in
	mariadbd | mysqld | apache2) return 0 ;;
	esac
	return 1
}

wait_pid_gone() { # pid seconds
	local i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

db_root() { # the mariadb client as root on this instance; SQL on stdin
	mariadb --no-defaults -S "$SOCK" -u root "$@"
}

db_answers() {
	[ -S "$SOCK" ] && mariadb-admin --no-defaults -S "$SOCK" -u root \
	    --connect-timeout=2 ping >/dev/null 2>&1
}

http_code() { # path
	curl -s -o /dev/null -m 5 -w '%{http_code}' "$URL$1" 2>/dev/null || true
}

# www-data must reach the binary, the socket and the configuration; give
# search permission (o+x, not read) to directories on the way that lack it.
ensure_reachable() { # path
	local d
	d=$(dirname "$1")
	while [ "$d" != / ]; do
		if ! runuser -u www-data -- test -x "$d" 2>/dev/null; then
			note "giving www-data search permission on $d (chmod o+x)"
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
}

lock() {
	mkdir -p "$VAR"
	# The daemons started below close fd 9 (9>&-), or they would hold
	# the lock for as long as they run.
	exec 9>"$VAR/.stack.lock"
	flock -w 120 9 || die "another stack.sh is working on $PORT"
}

# --- MariaDB -------------------------------------------------------------------
db_init() {
	[ -d "$VAR/db/mysql" ] && return 0
	command -v mariadb-install-db >/dev/null ||
	    die "mariadb-server is not installed (scripts/deps.sh run)"
	note "creating the MariaDB data directory $VAR/db"
	rm -rf "$VAR/db"
	mkdir -p "$VAR/db" "$VAR/log"
	chmod 0700 "$VAR/db"
	mkdir -p "$VAR/tmp"
	# A private tmpdir: bootstraps running side by side (make test starts
	# two instances at once) must not share /tmp's temporary tables. One
	# retry: a bootstrap that lost a race leaves nothing worth keeping.
	local try
	for try in 1 2; do
		if mariadb-install-db --no-defaults --user=root \
		    --auth-root-authentication-method=normal --datadir="$VAR/db" \
		    --tmpdir="$VAR/tmp" --skip-test-db \
		    >"$VAR/log/install-db.log" 2>&1; then
			break
		fi
		if [ "$try" = 2 ]; then
			cat "$VAR/log/install-db.log" >&2
			rm -rf "$VAR/db"
			die "mariadb-install-db failed"
		fi
		note "mariadb-install-db failed; trying once more"
		rm -rf "$VAR/db"
		mkdir -p "$VAR/db"
		chmod 0700 "$VAR/db"
	done
	touch "$VAR/db/.fresh"
}

db_start() {
	if pid_alive "$DB_PID" && db_answers; then
		return 0
	fi
	db_init
	mkdir -p "$VAR/log" "$VAR/tmp"
	chmod 0700 "$VAR/tmp"
	if pid_alive "$DB_PID"; then
		note "MariaDB (pid $(cat "$DB_PID")) does not answer; waiting"
	else
		rm -f "$SOCK" "$DB_PID"
		# Detached: its own session, no inherited stdout (make returns).
		# Small settings for a private instance (`make bench` enlarges
		# the buffer pool at run time to hold its token table).
		# innodb_flush_log_at_trx_commit stays 1: a committed login
		# survives a crash.
		setsid mariadbd --no-defaults --user=root \
		    --datadir="$VAR/db" --socket="$SOCK" --pid-file="$DB_PID" \
		    --skip-networking --skip-name-resolve \
		    --log-error="$VAR/log/mariadb.err" --tmpdir="$VAR/tmp" \
		    --character-set-server=utf8mb4 \
		    --collation-server=utf8mb4_unicode_ci \
		    --max-connections=300 \
		    --innodb-buffer-pool-size=256M \
		    --innodb-log-file-size=64M \
		    --innodb-log-buffer-size=8M \
		    --performance-schema=OFF \
		    </dev/null >/dev/null 2>&1 9>&- &
	fi
	local i
	for i in $(seq 1 600); do
		db_answers && break
		if [ "$i" -gt 20 ] && ! pid_alive "$DB_PID" && ! jobs -r | grep -q .; then
			tail -n 30 "$VAR/log/mariadb.err" >&2 || true
			die "MariaDB did not start (see $VAR/log/mariadb.err)"
		fi
		sleep 0.1
	done
	db_answers || {
		tail -n 30 "$VAR/log/mariadb.err" >&2 || true
		die "MariaDB does not answer on $SOCK after 60 s"
	}
	# www-data (the FastCGI processes) connects through this socket.
	chmod 0755 "$VAR"
	chmod 0777 "$SOCK"
}

db_stop() {
	local pid
	pid_alive "$DB_PID" || {
		rm -f "$DB_PID"
		return 0
	}
	pid=$(cat "$DB_PID")
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_pid_gone "$pid" 60; then
		note "MariaDB (pid $pid) did not stop in 60 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		wait_pid_gone "$pid" 10 || true
	fi
	rm -f "$DB_PID"
}

# The database, its user and the password in oauth.conf; idempotent.
db_setup() {
	local host
	host=$(hostname 2>/dev/null || echo localhost)
	if [ -e "$VAR/db/.fresh" ]; then
		# mariadb-install-db --auth-root-authentication-method=normal
		# leaves a password-less root and anonymous users that any
		# local user (www-data included) could use. Root keeps logging
		# in from the root account, by unix_socket; the rest go.
		db_root <<-EOF || die "could not secure the new database"
			DROP USER IF EXISTS ''@'localhost', ''@'$host',
			    'root'@'$host', 'root'@'127.0.0.1', 'root'@'::1';
			ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;
			FLUSH PRIVILEGES;
		EOF
		rm -f "$VAR/db/.fresh"
	fi
	# On stdin, never on a command line: the password.
	db_root <<-EOF || die "could not create the database and its user"
		CREATE DATABASE IF NOT EXISTS oauth
		    CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS 'oauth'@'localhost'
		    IDENTIFIED BY '$DB_PASSWORD';
		ALTER USER 'oauth'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
		GRANT ALL PRIVILEGES ON oauth.* TO 'oauth'@'localhost';
		FLUSH PRIVILEGES;
	EOF
}

# --- configuration ----------------------------------------------------------
# The password and the instance secret are generated once and kept across
# `up`; the rest is rewritten every time from the options given.
write_config() {
	DB_PASSWORD=
	if [ -f "$CONF" ]; then
		DB_PASSWORD=$(sed -n 's/^db_password *= *//p' "$CONF" | head -n 1)
	fi
	if [ -z "$DB_PASSWORD" ]; then
		DB_PASSWORD=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' |
		    head -c 32)
	fi
	[ ${#DB_PASSWORD} -ge 16 ] || die "could not generate a password"
	# The key of the pages' CSRF tokens (docs/configuration.md): 32
	# random bytes, made once and kept, like the password.
	INSTANCE_SECRET=
	if [ -f "$CONF" ]; then
		INSTANCE_SECRET=$(sed -n 's/^instance_secret *= *//p' "$CONF" |
		    head -n 1)
	fi
	if [ -z "$INSTANCE_SECRET" ]; then
		INSTANCE_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -dc '0-9a-f')
	fi
	[ ${#INSTANCE_SECRET} -ge 64 ] || die "could not generate a secret"

	local tmp kv
	tmp=$(mktemp "$VAR/.oauth.conf.XXXXXX")
	{
		echo "# var/$PORT/oauth.conf - written by scripts/stack.sh for the"
		echo "# instance on 127.0.0.1:$PORT; rewritten by every"
		echo "# \`stack.sh up\` (the password is kept). Readable by www-data"
		echo "# (Apache's FastCGI processes) and root only: it holds the"
		echo "# database password and the instance secret."
		echo "db_socket = $SOCK"
		echo "db_user = oauth"
		echo "db_password = $DB_PASSWORD"
		echo "db_name = oauth"
		echo "instance_secret = $INSTANCE_SECRET"
		echo "issuer = $URL"
		echo "htdocs = $ROOT/htdocs"
		if [ -n "$REGISTRATION" ]; then
			echo "registration = $REGISTRATION"
		fi
		for kv in "${EXTRA[@]+"${EXTRA[@]}"}"; do
			case $kv in
			*=*) echo "${kv%%=*} = ${kv#*=}" ;;
			*) die "--set wants KEY=VALUE: '$kv'" ;;
			esac
		done
	} >"$tmp"
	chown www-data:www-data "$tmp"
	chmod 0600 "$tmp"
	# Replaced only when it changed: a newer file restarts Apache.
	if cmp -s "$tmp" "$CONF" &&
	    [ "$(stat -c %U:%a "$CONF")" = www-data:600 ]; then
		rm -f "$tmp"
	else
		mv -f "$tmp" "$CONF"
	fi
}

# --- the application -------------------------------------------------------
cli() { # binary arguments; OAUTH_CONFIG set
	local env=(OAUTH_CONFIG="$CONF")
	if [ "$SAN" = 1 ]; then
		env+=(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1)
	fi
	env "${env[@]}" "$BINARY" "$@"
}

migrate() {
	local out
	if ! out=$(cli migrate 2>&1); then
		printf '%s\n' "$out" >&2
		die "$BINARY migrate failed"
	fi
	[ -z "$out" ] || printf '%s\n' "$out"
}

demo_data() {
	local rc=0 out
	out=$(printf '%s\n' "$DEMO_PASSWORD" | cli user add "$DEMO_USER" \
	    --first Demo --last User --email demo@example.com \
	    --phone +15550100 2>&1) || rc=$?
	case $rc in
	0) note "created user $DEMO_USER (password $DEMO_PASSWORD)" ;;
	2) ;; # exists already
	*)
		printf '%s\n' "$out" >&2
		die "could not create the demo user (exit $rc)"
		;;
	esac
	demo_client demo-web --name "Demo Web App" \
	    --redirect-uri "$URL/callback" \
	    --grant "authorization_code refresh_token password client_credentials" \
	    --scope "username email firstname lastname phone"
	demo_client demo-phone --name "Demo Phone App" \
	    --redirect-uri "$URL/callback" \
	    --grant "authorization_code implicit password refresh_token client_credentials" \
	    --scope "account-owner extension-user methods:ALL"
	demo_client demo-spa --public --name "Demo Single-Page App" \
	    --redirect-uri "$URL/callback" --grant authorization_code
}

# A demo client; its secret (printed once by `client add`) is kept in
# var/PORT/demo-clients (mode 0600) for the curl lines.
demo_client() { # client_id client-add-arguments...
	local id=$1 rc=0 out secret
	shift
	out=$(cli client add "$id" "$@" 2>&1) || rc=$?
	case $rc in
	0)
		secret=$(printf '%s\n' "$out" | sed -n 's/^client_secret: //p')
		(umask 077 && { grep -v "^$id " "$VAR/demo-clients" 2>/dev/null
		    echo "$id ${secret:--}"; } >"$VAR/demo-clients.new" &&
		    mv "$VAR/demo-clients.new" "$VAR/demo-clients")
		note "created client $id"
		;;
	2) ;; # exists already; its secret is in demo-clients
	*)
		printf '%s\n' "$out" >&2
		die "could not create the demo client $id (exit $rc)"
		;;
	esac
}

demo_secret() { # client_id
	sed -n "s/^$1 //p" "$VAR/demo-clients" 2>/dev/null | head -n 1
}

# --- Apache ---------------------------------------------------------------------
# Lines of the template marked @SAN@ / @VALGRIND@ are kept (mark removed)
# only in that mode.
write_apache_conf() {
	local keep_san=d keep_vg=d cgi_target=$BINARY
	# The pool of apache-conf/debian-oauth-fcgi.conf (docs/performance.md);
	# the total leaves room for a second class (`make bench`'s bare program).
	local min=16 max_class=72 max=160 io=30 busy=60 tmp
	[ "$SAN" = 1 ] && keep_san='s/^@SAN@//'
	if [ "$VALGRIND" = 1 ]; then
		keep_vg='s/^@VALGRIND@//'
		cgi_target=$VAR/cgi/valgrind-cgi.sh
		# Valgrind runs the binary 20-50 times slower and uses far
		# more memory: one or two processes, generous timeouts.
		min=1 max_class=2 max=4 io=300 busy=600
	fi
	tmp=$(mktemp "$VAR/.apache.conf.XXXXXX")
	{
		echo "# Generated by scripts/stack.sh from apache-conf/local.conf.in"
		echo "# for the instance on 127.0.0.1:$PORT. Do not edit: edit the"
		echo "# template; \`stack.sh up $PORT\` regenerates this file."
		# The template's own header (up to the first blank line) is
		# about placeholders and is left out.
		sed -e '1,/^$/d' -e "/^@SAN@/{$keep_san}" -e "/^@VALGRIND@/{$keep_vg}" \
	    -e "s|@PORT@|$PORT|g" -e "s|@ROOT@|$ROOT|g" -e "s|@VAR@|$VAR|g" \
	    -e "s|@CONFIG@|$CONF|g" -e "s|@BINARY@|$BINARY|g" \
	    -e "s|@BINDIR@|$(dirname "$BINARY")|g" \
	    -e "s|@CGI_TARGET@|$cgi_target|g" \
	    -e "s|@FCGID_MIN@|$min|g" -e "s|@FCGID_MAX_CLASS@|$max_class|g" \
	    -e "s|@FCGID_MAX@|$max|g" -e "s|@FCGID_IO_TIMEOUT@|$io|g" \
	    -e "s|@FCGID_BUSY_TIMEOUT@|$busy|g" \
	    "$ROOT/apache-conf/local.conf.in"
	} >"$tmp"
	if grep -n '@[A-Z_]*@' "$tmp" >&2; then
		rm -f "$tmp"
		die "unreplaced placeholders in apache-conf/local.conf.in"
	fi
	if cmp -s "$tmp" "$AP_CONF"; then
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$AP_CONF"
	return 0
}

write_valgrind_wrappers() {
	local f
	mkdir -p "$VAR/cgi" "$VAR/valgrind"
	chown www-data:www-data "$VAR/valgrind"
	for f in valgrind-fcgi.sh valgrind-cgi.sh; do
		cat >"$VAR/cgi/$f" <<-EOF
			#!/bin/sh
			# Generated by scripts/stack.sh --valgrind: runs the binary
			# under valgrind (mod_fcgid's FcgidWrapper, or /cgi-mode/).
			exec /usr/bin/valgrind --leak-check=full \\
			    --show-leak-kinds=definite,indirect \\
			    --errors-for-leak-kinds=definite,indirect \\
			    --num-callers=40 \\
			    --log-file=$VAR/valgrind/valgrind.%p.log \\
			    $BINARY "\$@"
		EOF
		chmod 0755 "$VAR/cgi/$f"
	done
}

# FastCGI processes of this instance (children of its Apache, as www-data):
# found by the OAUTH_CONFIG they were started with.
app_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(stat -c %U "$p" 2>/dev/null)" = www-data ] || continue
		tr '\0' '\n' <"$p/environ" 2>/dev/null |
		    grep -qxF "OAUTH_CONFIG=$CONF" || continue
		echo "${p#/proc/}"
	done
}

# The logs are readable by owner and group only (SPEC section 14): files
# that exist already are brought to 0640 (logs of an older instance were
# 0644), and Apache runs under umask 027 so that a file it creates (after
# a rotation or a removal) is 0640 too.
private_logs() {
	local f
	mkdir -p "$VAR/log"
	chmod 0750 "$VAR/log"
	for f in access.log error.log apache-start.log mariadb.err \
	    install-db.log; do
		[ -e "$VAR/log/$f" ] || (umask 027 && : >>"$VAR/log/$f")
		chmod 0640 "$VAR/log/$f"
	done
}

apache_start() {
	local out
	mkdir -p "$VAR/apache/run" "$VAR/log" "$VAR/fcgid"
	private_logs
	# mod_fcgid's process manager runs as www-data and binds the
	# FastCGI processes' sockets here.
	chown www-data:www-data "$VAR/fcgid"
	chmod 0700 "$VAR/fcgid"
	if [ "$SAN" = 1 ]; then
		mkdir -p "$VAR/san"
		chown www-data:www-data "$VAR/san"
	fi
	[ "$VALGRIND" = 1 ] && write_valgrind_wrappers
	rm -f "$AP_PID"
	if ! out=$(env -i PATH="$PATH" LANG=C /usr/sbin/apache2 -f "$AP_CONF" \
	    -t 2>&1); then
		printf '%s\n' "$out" >&2
		die "Apache rejects $AP_CONF"
	fi
	# apache2 -k start daemonizes itself; stdio to a file so nothing
	# keeps the caller (make) waiting.
	if ! (umask 027 && exec env -i PATH="$PATH" LANG=C setsid \
	    /usr/sbin/apache2 -f "$AP_CONF" -k start </dev/null \
	    >"$VAR/log/apache-start.log" 2>&1 9>&-); then
		cat "$VAR/log/apache-start.log" >&2
		tail -n 20 "$VAR/log/error.log" >&2 2>/dev/null || true
		die "Apache did not start"
	fi
	local i
	for i in $(seq 1 100); do
		pid_alive "$AP_PID" && return 0
		sleep 0.1
	done
	cat "$VAR/log/apache-start.log" >&2
	tail -n 20 "$VAR/log/error.log" >&2 2>/dev/null || true
	die "Apache did not start (port $PORT in use?)"
}

# Stop Apache and wait until it and every FastCGI process it started are
# gone. mod_fcgid sends its processes SIGTERM; the binary finishes the
# request in hand and exits (so valgrind and LeakSanitizer can report).
apache_stop() {
	local pid p left
	if pid_alive "$AP_PID"; then
		pid=$(cat "$AP_PID")
		env -i PATH="$PATH" LANG=C /usr/sbin/apache2 -f "$AP_CONF" \
		    -k stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
		if ! wait_pid_gone "$pid" 60; then
			note "Apache (pid $pid) did not stop in 60 s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			wait_pid_gone "$pid" 10 || true
		fi
	fi
	rm -f "$AP_PID"
	# Processes mod_fcgid did not reap (valgrind needs time for its leak
	# check) are asked once more, then waited for.
	left=$(app_pids)
	if [ -n "$left" ]; then
		for p in $left; do
			kill -TERM "$p" 2>/dev/null || true
		done
		for p in $left; do
			if ! wait_pid_gone "$p" 120; then
				note "FastCGI process $p did not exit; killing it"
				kill -KILL "$p" 2>/dev/null || true
			fi
		done
	fi
}

wait_healthy() {
	local code= deadline=$((SECONDS + 30))
	[ "$VALGRIND" = 1 ] && deadline=$((SECONDS + 180))
	while [ "$SECONDS" -lt "$deadline" ]; do
		code=$(http_code /healthz)
		[ "$code" = 200 ] && return 0
		sleep 0.2
	done
	tail -n 20 "$VAR/log/error.log" >&2 2>/dev/null || true
	die "GET $URL/healthz answers '$code', not 200 (see $VAR/log/error.log)"
}

# --- what to try ------------------------------------------------------------------
# One function per dialect; each prints commands that work against the
# demo data. Add a dialect by adding a function and naming it below.
examples_health() {
	echo "  curl -s $URL/healthz"
	echo "  curl -s $URL/readyz"
}

examples_legacy() {
	local login token=
	login="curl -s -X POST -d 'username=$DEMO_USER&password=$DEMO_PASSWORD&device-info=curl' $URL/v1/oauth/"
	echo "  $login"
	token=$(curl -s -m 10 -X POST \
	    --data-urlencode "username=$DEMO_USER" \
	    --data-urlencode "password=$DEMO_PASSWORD" \
	    --data-urlencode "device-info=stack.sh" "$URL/v1/oauth/" 2>/dev/null |
	    sed -n 's/.*"access_token": *"\([0-9a-f]\{40\}\)".*/\1/p' |
	    head -n 1) || true
	echo "  curl -s -H 'Authorization: Token ${token:-<token>}' $URL/v1/oauth/sessions/"
	echo "  curl -s -X POST -H 'Authorization: Token ${token:-<token>}' $URL/v1/oauth/revoke/"
}

examples_oauth2() {
	local sec
	sec=$(demo_secret demo-web)
	echo "  curl -s -u demo-web:${sec:-<secret>} -d grant_type=password -d username=$DEMO_USER -d password=$DEMO_PASSWORD -d 'scope=username email' $URL/oauth/token"
	echo "  curl -s -u demo-web:${sec:-<secret>} -d grant_type=client_credentials $URL/oauth/token"
	echo "  curl -s -u demo-web:${sec:-<secret>} -d grant_type=refresh_token -d refresh_token=<refresh_token> $URL/oauth/token"
	echo "  curl -s -u demo-web:${sec:-<secret>} -d token=<access_token> $URL/oauth/introspect"
	echo "  curl -s -u demo-web:${sec:-<secret>} -d token=<access_token> $URL/oauth/revoke"
	echo "  curl -s -H 'Authorization: Bearer <access_token>' $URL/oauth/userinfo"
	echo "  curl -s $URL/.well-known/oauth-authorization-server"
	echo "  open in a browser: $URL/oauth/authorize?response_type=code&client_id=demo-web&redirect_uri=$URL/callback&scope=username%20email&state=xyz"
	echo "  then: curl -s -u demo-web:${sec:-<secret>} -d grant_type=authorization_code -d code=<code> -d redirect_uri=$URL/callback $URL/oauth/token"
	echo "  devices page: $URL/account/devices"
}

examples_chat() {
	echo "  curl -s -H 'Content-Type: application/json' -d '{\"grant_type\":\"password\",\"phone_number\":\"+15550100\",\"password\":\"$DEMO_PASSWORD\"}' $URL/api/oauth/access-token/v1/"
	echo "  curl -s -H 'Authorization: Bearer <access_token>' $URL/api/oauth/<user_id>/verify-token/v1/"
}

examples_node() {
	echo "  curl -s -H 'Content-Type: application/json' -d '{\"client_id\":\"my-node-app\",\"client_secret\":\"my-secret\",\"redirect_uri\":\"$URL/callback\",\"grants\":[\"authorization_code\",\"refresh_token\",\"client_credentials\"],\"scope\":\"username,email\"}' $URL/register_client"
	echo "  curl -s -d firstname=Ada -d lastname=Lovelace -d username=ada -d phone=+15550199 -d email=ada@example.com -d password=ada-password $URL/register_user"
	echo "  open in a browser: $URL/authorize?client_id=my-node-app&response_type=code&redirect_uri=$URL/callback&scope=username,email&state=xyz"
	echo "  curl -s -d grant_type=authorization_code -d client_id=my-node-app -d client_secret=my-secret -d code=<code> -d redirect_uri=$URL/callback $URL/token"
	echo "  curl -s -d grant_type=client_credentials -d client_id=my-node-app -d client_secret=my-secret $URL/token"
	echo "  curl -s -H 'Authorization: Bearer <access_token>' $URL/api"
}

examples_phone() {
	local sec
	sec=$(demo_secret demo-phone)
	echo "  curl -s -X POST '$URL/v4/oauth/access-token?grant_type=password&client_id=demo-phone&client_secret=${sec:-<secret>}&username=$DEMO_USER&password=$DEMO_PASSWORD&scope=account-owner%20extension-user'"
	echo "  curl -s -H 'Authorization: Bearer <access_token>' $URL/v4/oauth/access-token"
	echo "  open in a browser: $URL/v4/oauth/authorization?client_id=demo-phone&response_type=token&scope=account-owner&redirect_uri=$URL/callback"
}

EXAMPLES="health legacy oauth2 chat node phone"

print_examples() {
	local d
	echo
	echo "oauth-fcgi is up on $URL  (binary $(basename "$BINARY"), data in var/$PORT/)"
	if [ "$DEMO" = 1 ]; then
		echo "Demo user: $DEMO_USER / $DEMO_PASSWORD. Try:"
		for d in $EXAMPLES; do
			"examples_$d"
		done
	else
		examples_health
	fi
	echo "CLI:     OAUTH_CONFIG=var/$PORT/oauth.conf ${BINARY#"$ROOT"/} user list"
	echo "Logs:    var/$PORT/log/error.log (application), access.log"
	echo "Stop:    make stop PORT=$PORT"
}

# --- commands ---------------------------------------------------------------------
cmd_up() {
	[ -x "$BINARY" ] || die "$BINARY is missing: build it first (make)"
	command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ] ||
	    die "apache2 is not installed (scripts/deps.sh run)"
	[ -f /usr/lib/apache2/modules/mod_fcgid.so ] ||
	    die "libapache2-mod-fcgid is not installed (scripts/deps.sh run)"
	lock
	mkdir -p "$VAR/log"
	chmod 0755 "$VAR"
	private_logs
	ensure_reachable "$VAR/x"
	ensure_reachable "$BINARY"
	runuser -u www-data -- test -x "$BINARY" ||
	    die "www-data cannot execute $BINARY"
	if ! runuser -u www-data -- test -r "$ROOT/htdocs"; then
		note "making htdocs/ readable by www-data"
		chmod -R o+rX "$ROOT/htdocs"
	fi

	write_config
	db_start
	db_setup
	migrate
	[ "$DEMO" = 1 ] && demo_data

	local changed=0
	write_apache_conf && changed=1
	if pid_alive "$AP_PID"; then
		if [ "$changed" = 1 ] || [ "$BINARY" -nt "$AP_STAMP" ] ||
		    [ "$CONF" -nt "$AP_STAMP" ]; then
			note "restarting Apache on $PORT (configuration or binary changed)"
			apache_stop
			apache_start
		fi
	else
		apache_stop # FastCGI processes left from a crashed Apache
		apache_start
	fi
	touch "$AP_STAMP"
	wait_healthy
	print_examples
}

cmd_down() {
	[ -d "$VAR" ] || {
		note "no instance in var/$PORT"
		return 0
	}
	lock
	apache_stop
	db_stop
	note "stopped the instance on $PORT (data kept in var/$PORT)"
}

cmd_status() {
	local p
	if pid_alive "$DB_PID"; then
		echo "mariadb: running, pid $(cat "$DB_PID"), socket $SOCK"
	else
		echo "mariadb: stopped"
	fi
	if pid_alive "$AP_PID"; then
		echo "apache:  running, pid $(cat "$AP_PID"), $URL/ -> $(http_code /healthz)"
	else
		echo "apache:  stopped"
	fi
	p=$(app_pids | tr '\n' ' ')
	echo "fastcgi: ${p:-none}"
	pid_alive "$DB_PID" && pid_alive "$AP_PID"
}

case $CMD in
up) cmd_up ;;
down | stop) cmd_down ;;
db-stop)
	lock
	db_stop
	;;
db-start)
	lock
	db_start
	;;
status) cmd_status ;;
*) usage ;;
esac
