# tools/lib/pg.sh - a throwaway PostgreSQL cluster for the tests.  Sourced.
#
#   pg_start DIR   initdb a new cluster in DIR (removed first), start it on
#                  127.0.0.1 at a free port with its unix socket in DIR, wait
#                  until it accepts connections, create database "tandem" and
#                  export:
#                    TANDEM_PG_URL     postgresql://postgres@127.0.0.1:PORT/tandem
#                    TANDEM_PG_DIR     DIR (the cluster's data is DIR/data)
#                    TANDEM_PG_BIN     the server's bin directory
#                    TANDEM_PG_RUNAS   the OS user that runs the server ("" if us)
#   pg_stop        fast shutdown, remove DIR, unset the variables.
#
# Uses Debian's server binaries (/usr/lib/postgresql/N/bin, package
# postgresql); no system cluster needs to run.  As root the server runs as
# the "postgres" OS user, which must be able to reach DIR.
#
# Tests restart the server with:
#   ${TANDEM_PG_RUNAS:+runuser -u $TANDEM_PG_RUNAS --} \
#     "$TANDEM_PG_BIN/pg_ctl" -D "$TANDEM_PG_DIR/data" -m fast -w restart

pg__say() { echo "pg.sh: $*" >&2; }

pg__run() { # run a server command as the server's user
  if [ -n "${TANDEM_PG_RUNAS:-}" ]; then
    runuser -u "$TANDEM_PG_RUNAS" -- "$@"
  else
    "$@"
  fi
}

pg__free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
  local dir=${1:?usage: pg_start DIR} bindir port sockdir attempt deadline
  case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    pg__say "no PostgreSQL server binaries under /usr/lib/postgresql; run: apt-get install -y postgresql"
    return 1
  fi
  export TANDEM_PG_BIN=$bindir TANDEM_PG_DIR=$dir TANDEM_PG_RUNAS=
  rm -rf "$dir" && mkdir -p "$dir" || { pg__say "cannot create $dir"; return 1; }
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      pg__say "running as root but there is no 'postgres' OS user (the postgresql package creates it)"
      return 1
    fi
    TANDEM_PG_RUNAS=postgres
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      pg__say "the postgres OS user cannot reach $dir; make its parent directories searchable (chmod o+x)"
      return 1
    fi
  fi
  if ! pg__run "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
       --no-sync >"$dir/initdb.log" 2>&1; then
    pg__say "initdb failed; see $dir/initdb.log"
    cat "$dir/initdb.log" >&2
    return 1
  fi
  # A unix socket path is limited to about 100 bytes; past that, TCP only.
  sockdir=$dir
  [ ${#dir} -gt 80 ] && sockdir=
  for attempt in 1 2 3; do
    port=$(pg__free_port) || return 1
    # In the configuration file, not on the command line, so that a test
    # can stop and start the server with a plain pg_ctl.
    printf "%s\n" "listen_addresses = '127.0.0.1'" "port = $port" \
      "unix_socket_directories = '$sockdir'" >>"$dir/data/postgresql.conf"
    if pg__run "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
         >/dev/null 2>&1; then
      break
    fi
    port=
  done
  if [ -z "$port" ]; then
    pg__say "the server did not start; see $dir/server.log"
    tail -n 20 "$dir/server.log" >&2
    return 1
  fi
  deadline=$((SECONDS + 30))
  until "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; do
    if [ $SECONDS -ge $deadline ]; then
      pg__say "the server on port $port was not ready within 30 s; see $dir/server.log"
      return 1
    fi
    sleep 0.2
  done
  if ! "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres tandem; then
    pg__say "could not create database tandem"
    return 1
  fi
  export TANDEM_PG_URL="postgresql://postgres@127.0.0.1:$port/tandem"
  echo "pg.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') at $TANDEM_PG_URL"
}

pg_stop() {
  local dir=${TANDEM_PG_DIR:-}
  [ -n "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    pg__run "$TANDEM_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      pg__say "fast shutdown failed; see $dir/server.log"
  fi
  rm -rf "$dir"
  unset TANDEM_PG_URL TANDEM_PG_DIR TANDEM_PG_BIN TANDEM_PG_RUNAS
}
