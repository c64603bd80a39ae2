#!/bin/bash
# dockyard's entrypoint for mysql:* and mariadb:* (MariaDB from Debian), keeping the official
# mysql image's contract:
#   - one of MYSQL_ROOT_PASSWORD / MYSQL_ALLOW_EMPTY_PASSWORD / MYSQL_RANDOM_ROOT_PASSWORD is
#     required to initialise an empty data directory; MYSQL_DATABASE, MYSQL_USER +
#     MYSQL_PASSWORD, MYSQL_ROOT_HOST (default %), MYSQL_ONETIME_PASSWORD; each also as
#     MARIADB_* and as *_FILE;
#   - /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz run once, on first start;
#   - an existing data directory is used as it is;
#   - the server runs as user mysql, as PID 1, so SIGTERM shuts it down cleanly.
set -eo pipefail
shopt -s nullglob

log() {
	local kind=$1
	shift
	printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$kind" "$*"
}
note() { log Note "$@"; }
warn() { log Warn "$@" >&2; }
die() {
	log ERROR "$@" >&2
	exit 1
}

# file_env VAR: VAR from itself or from the file named by VAR_FILE (not both).
file_env() {
	local var=$1 file_var="$1_FILE" val=
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		die "Both $var and $file_var are set (but are exclusive)"
	fi
	if [ -n "${!var:-}" ]; then
		val=${!var}
	elif [ -n "${!file_var:-}" ]; then
		val=$(<"${!file_var}")
	fi
	export "$var"="$val"
	unset "$file_var"
}

# The settings, each from MYSQL_<name> or else from its MARIADB_<name> spelling.
read_env() {
	local pair mysql_name mariadb_name
	for pair in ROOT_PASSWORD:ROOT_PASSWORD ALLOW_EMPTY_PASSWORD:ALLOW_EMPTY_ROOT_PASSWORD \
		RANDOM_ROOT_PASSWORD:RANDOM_ROOT_PASSWORD DATABASE:DATABASE USER:USER \
		PASSWORD:PASSWORD ROOT_HOST:ROOT_HOST ONETIME_PASSWORD:ONETIME_PASSWORD; do
		mysql_name=MYSQL_${pair%%:*}
		mariadb_name=MARIADB_${pair##*:}
		file_env "$mysql_name"
		file_env "$mariadb_name"
		if [ -z "${!mysql_name}" ] && [ -n "${!mariadb_name}" ]; then
			export "$mysql_name"="${!mariadb_name}"
		fi
	done
	: "${MYSQL_ROOT_HOST:=%}"
}

# server_option NAME: the value mysqld would use (its --verbose --help table), with the
# command line's own options taken into account.
server_option() {
	local name=$1
	shift
	"$@" --verbose --help 2>/dev/null | awk -v name="$name" '/^[^ \t]/ && $1 == name && !found { print $2; found = 1 }'
}

check_config() {
	local out
	if ! out=$("$@" --verbose --help 2>&1 >/dev/null); then
		die "$(printf 'mysqld failed while attempting to check config\n\tcommand was: %s\n\t%s' "$*" "$out")"
	fi
}

sql_string() { # a quoted SQL string literal
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\\\'}"
}

sql_ident() { # a quoted SQL identifier
	printf '`%s`' "${1//\`/\`\`}"
}

# docker_process_sql [mysql options] < SQL: run SQL as root through the socket (also
# available to sourced initdb *.sh scripts, as in the official image).
docker_process_sql() {
	local database=()
	if [ -n "$MYSQL_DATABASE" ]; then
		database=(--database="$MYSQL_DATABASE")
	fi
	mariadb --defaults-extra-file="$CLIENT_CNF" --protocol=socket -uroot -hlocalhost \
		--socket="$SOCKET" --comments "${database[@]}" "$@"
}

start_temp_server() {
	"$@" --skip-networking --socket="$SOCKET" --skip-log-bin --expire-logs-days=0 \
		--loose-innodb-buffer-pool-load-at-startup=0 &
	TEMP_PID=$!
	local i
	for i in $(seq 300); do
		if mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" \
			-e 'SELECT 1' >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$TEMP_PID" 2>/dev/null || die "Unable to start server."
		sleep 0.1
	done
	die "Unable to start server."
}

stop_temp_server() {
	[ -n "${TEMP_PID:-}" ] || return 0
	kill "$TEMP_PID" 2>/dev/null || true
	wait "$TEMP_PID" || die "Unable to shut down server."
	TEMP_PID=
}

setup_users_sql() {
	local root_pw=$1 sql='SET @@SESSION.SQL_LOG_BIN=0;'
	# mariadb-install-db's extra root and anonymous accounts go; root@localhost stays.
	local user
	while read -r user; do
		[ -n "$user" ] && sql+="DROP USER $user;"
	done < <(mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" -N -e \
		"SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.global_priv
		 WHERE Host <> '' AND NOT (Host = 'localhost' AND User IN ('root', 'mariadb.sys'))")
	sql+="ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$root_pw");"
	if [ "$MYSQL_ROOT_HOST" != localhost ]; then
		local root_at_host
		root_at_host="'root'@$(sql_string "$MYSQL_ROOT_HOST")"
		sql+="CREATE USER $root_at_host IDENTIFIED BY $(sql_string "$root_pw");"
		sql+="GRANT ALL ON *.* TO $root_at_host WITH GRANT OPTION;"
		sql+="GRANT PROXY ON ''@'%' TO $root_at_host WITH GRANT OPTION;"
	fi
	if [ -n "$MYSQL_DATABASE" ]; then
		sql+="CREATE DATABASE IF NOT EXISTS $(sql_ident "$MYSQL_DATABASE");"
	fi
	if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
		sql+="CREATE USER $(sql_string "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_string "$MYSQL_PASSWORD");"
		if [ -n "$MYSQL_DATABASE" ]; then
			sql+="GRANT ALL ON $(sql_ident "$MYSQL_DATABASE").* TO $(sql_string "$MYSQL_USER")@'%';"
		fi
	fi
	if [ -n "$MYSQL_ONETIME_PASSWORD" ]; then
		sql+="ALTER USER 'root'@'%' PASSWORD EXPIRE;"
	fi
	printf '%s\n' "$sql"
}

process_init_files() {
	local f
	for f; do
		case "$f" in
		*.sh)
			if [ -x "$f" ]; then
				note "$0: running $f"
				"$f"
			else
				note "$0: sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql)
			note "$0: running $f"
			docker_process_sql <"$f"
			;;
		*.sql.gz)
			note "$0: running $f"
			gunzip -c "$f" | docker_process_sql
			;;
		*) note "$0: ignoring $f" ;;
		esac
	done
}

init_database() {
	if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ] &&
		[ -z "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
		die "$(printf '%s\n' 'Database is uninitialized and password option is not specified' \
			'    You need to specify one of the following as an environment variable:' \
			'    - MYSQL_ROOT_PASSWORD' \
			'    - MYSQL_ALLOW_EMPTY_PASSWORD' \
			'    - MYSQL_RANDOM_ROOT_PASSWORD')"
	fi
	if [ "$MYSQL_USER" = root ]; then
		die "$(printf '%s\n' 'MYSQL_USER="root", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user' \
			'    Remove MYSQL_USER="root" and use one of the following to control the root user password:' \
			'    - MYSQL_ROOT_PASSWORD' \
			'    - MYSQL_ALLOW_EMPTY_PASSWORD' \
			'    - MYSQL_RANDOM_ROOT_PASSWORD')"
	fi
	if [ -n "$MYSQL_USER" ] && [ -z "$MYSQL_PASSWORD" ]; then
		warn "MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created"
	fi

	note "Initializing database files"
	mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --skip-log-bin --expire-logs-days=0 \
		--default-time-zone=SYSTEM --loose-innodb-buffer-pool-load-at-startup=0 \
		--loose-innodb-buffer-pool-dump-at-shutdown=0 "${@:2}" >/dev/null
	note "Database files initialized"

	note "Starting temporary server"
	trap stop_temp_server EXIT
	start_temp_server "$@"
	note "Temporary server started."

	local root_pw=$MYSQL_ROOT_PASSWORD
	if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
		# (no `head` cutting a stream: its SIGPIPE would fail the pipeline under pipefail)
		root_pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
		note "GENERATED ROOT PASSWORD: $root_pw"
	fi
	setup_users_sql "$root_pw" |
		mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" --comments
	CLIENT_CNF=$(mktemp)
	local pw=${root_pw//\\/\\\\}
	printf '[client]\npassword="%s"\n' "${pw//\"/\\\"}" >"$CLIENT_CNF"
	if [ -n "$MYSQL_DATABASE" ]; then
		note "Creating database $MYSQL_DATABASE"
	fi
	if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
		note "Creating user $MYSQL_USER"
	fi

	process_init_files /docker-entrypoint-initdb.d/*

	note "Stopping temporary server"
	stop_temp_server
	trap - EXIT
	rm -f "$CLIENT_CNF"
	note "Temporary server stopped"
	echo
	note "MySQL init process done. Ready for start up."
	echo
}

wants_help() {
	local arg
	for arg; do
		case "$arg" in
		-'?' | --help | --print-defaults | -V | --version) return 0 ;;
		esac
	done
	return 1
}

if [ "${1:0:1}" = - ]; then
	set -- mysqld "$@"
fi

if { [ "$1" = mysqld ] || [ "$1" = mariadbd ]; } && ! wants_help "$@"; then
	note "Entrypoint script for MySQL Server (MariaDB ${MARIADB_VERSION#1:} from Debian) started."
	check_config "$@"
	DATADIR=$(server_option datadir "$@")
	SOCKET=$(server_option socket "$@")
	if [ -z "$DATADIR" ] || [ -z "$SOCKET" ]; then
		die "cannot read datadir and socket from: $* --verbose --help"
	fi
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
		find "$DATADIR" "$(dirname "$SOCKET")" /var/log/mysql \! -user mysql -exec chown mysql:mysql '{}' +
		note "Switching to dedicated user 'mysql'"
		exec setpriv --reuid=mysql --regid=mysql --init-groups "$BASH_SOURCE" "$@"
	fi
	if [ ! -d "$DATADIR/mysql" ]; then
		read_env
		init_database "$@"
	fi
fi

exec "$@"
