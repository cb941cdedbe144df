# Shared by the scripts: signals end a script through its EXIT trap, so nothing it started is
# left running.
trap 'exit 130' INT TERM

# Shared by scripts/dev and scripts/test: a private PostgreSQL cluster from the system's
# binaries, installed from Debian's `postgresql` package when missing. Postgres refuses to run
# as root, so as root the cluster runs as the `postgres` system user (created by the package).
# Source this file; it defines functions only.

pg_log() { printf '\033[1;34m[postgres]\033[0m %s\n' "$*" >&2; }

# Prints the directory holding initdb/pg_ctl/postgres, installing them if needed.
# (Every `return` here names its status: a bare `return` in code run from a trap handler
# returns the status of whatever the trap interrupted.)
pg_bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  if command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    pg_log "installing PostgreSQL from Debian's packages (once)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    pg_bin_dir
    return $?
  fi
  pg_log "PostgreSQL binaries not found: install PostgreSQL (e.g. apt-get install postgresql)"
  return 1
}

# The user the server runs as: ourselves, or `postgres` when we are root.
pg_user() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    echo postgres
  else
    id -un
  fi
}

pg_as() {
  local user; user=$(pg_user)
  if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

# Can the server user reach (traverse) this directory?
pg_can_use_dir() {
  pg_as test -x "$1" 2>/dev/null && pg_as test -w "$1" 2>/dev/null
}

# pg_start DATA_DIR PORT [extra postgres -c options...]
# Initialises DATA_DIR on first use, starts the server on 127.0.0.1:PORT, waits until it accepts
# connections. Unix sockets are off: everything talks TCP on loopback.
pg_start() {
  local data_dir=$1 port=$2; shift 2
  local bin; bin=$(pg_bin_dir)
  local user; user=$(pg_user)
  mkdir -p "$data_dir"
  [ "$(id -u)" = 0 ] && chown "$user" "$data_dir" && chmod 700 "$data_dir"
  if [ ! -f "$data_dir/PG_VERSION" ]; then
    pg_log "initialising a cluster in $data_dir"
    pg_as "$bin/initdb" -D "$data_dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if pg_as "$bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
    pg_log "already running from $data_dir; using it"
    return 0
  fi
  local options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories= $*"
  pg_as "$bin/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -o "$options" -w -t 60 start >/dev/null \
    || { pg_log "postgres failed to start; its log:"; tail -n 30 "$data_dir/server.log" >&2; return 1; }
  pg_log "running on 127.0.0.1:$port (data: $data_dir)"
}

# Stops the cluster if it runs. Never fails: it runs from EXIT traps under `set -e`, where a
# failing command would end the trap before the rest of the clean-up.
pg_stop() {
  local data_dir=$1 bin
  bin=$(pg_bin_dir) || return 0
  if [ -f "$data_dir/postmaster.pid" ]; then
    pg_as "$bin/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  return 0
}

# pg_psql PORT SQL: runs SQL as the superuser.
pg_psql() {
  local port=$1; shift
  local bin; bin=$(pg_bin_dir)
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc "$*"
}

# A free TCP port on loopback, starting the search at $1.
free_port() {
  local port=$1
  while (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

# A free TCP port somewhere above $1, picked at random so that concurrent runs rarely collide.
random_free_port() {
  free_port $(( $1 + RANDOM % 2000 ))
}
