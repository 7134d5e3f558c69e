# Shared by the hachaos node scripts (sourced, not run). Bash only.
#
# Everything the node knows about the cluster comes from HACHAOS_* environment variables set at
# `docker run`; scripts run by pgpool (failover_command) get them from /run/hachaos/env, which the
# entrypoint writes, because pgpool does not hand its environment to those commands reliably.

HACHAOS_LOG_DIR=/var/log/hachaos
HACHAOS_TEMPLATES=/etc/hachaos/templates
HACHAOS_RUN=/run/hachaos
PGDATA="${PGDATA:-/var/lib/postgresql/data/pgdata}"
# The data volume is mounted at DATA_DIR (PGDATA's parent). When the node may loop-mount (SYS_ADMIN
# and /dev/loop-control), the entrypoint mounts the ext4 image DATA_DISK (a sparse file in the
# volume) over DATA_DIR itself, errors=remount-ro: PGDATA keeps its path either way.
DATA_DIR="$(dirname "$PGDATA")"
# shellcheck disable=SC2034 # used by the entrypoint
DATA_DISK="$DATA_DIR/disk.img"
# shellcheck disable=SC2034 # used by the entrypoint
DATA_DISK_SIZE="${HACHAOS_DATA_DISK_SIZE:-1G}"
# REWIND_MARK exists while hachaos-rejoin's pg_rewind runs; it lives beside PGDATA, not in it,
# since pg_rewind removes the files its source lacks. Left behind, it says a pg_rewind was
# interrupted (its source crashed, say): PGDATA may then be a mix of both servers' files, which
# PostgreSQL's documentation calls likely unrecoverable. Nothing starts such a directory (the
# entrypoint and hachaos-start keep postgres down), and the next hachaos-rejoin takes a fresh base
# backup instead of rewinding it again.
# shellcheck disable=SC2034 # used by the entrypoint, hachaos-start and hachaos-rejoin
REWIND_MARK="$DATA_DIR/hachaos-rewind-incomplete"
# Ports, used by the scripts that source this file.
: "${PG_PORT:=5432}" "${PGPOOL_PORT:=9999}" "${PCP_PORT:=9898}" "${WD_PORT:=9000}" "${HB_PORT:=9694}"
# Every client call gets a connect timeout: against a dropped host, libpq otherwise waits for the
# kernel's TCP retries (40-100 s seen here).
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-3}"
if [ -r "$HACHAOS_RUN/env" ]; then
  # shellcheck disable=SC1091
  . "$HACHAOS_RUN/env"
fi
# HACHAOS_PG_MAJOR: the release's PostgreSQL major, set by the Dockerfile (and in the env file for
# scripts pgpool starts).
PGBIN="/usr/lib/postgresql/${HACHAOS_PG_MAJOR:?the image sets HACHAOS_PG_MAJOR}/bin"
export PATH="$PGBIN:$PATH"

# ts: the timestamp every hachaos log line starts with (millisecond precision, local time).
ts() { date '+%Y-%m-%d %H:%M:%S.%3N'; }

# log FILE MESSAGE...: one line, timestamp first, appended to $HACHAOS_LOG_DIR/FILE.
log_to() {
  local file="$1"; shift
  printf '%s %s\n' "$(ts)" "$*" >>"$HACHAOS_LOG_DIR/$file"
}

# as_postgres CMD...: run CMD as the postgres user (setpriv execs, no extra session like su).
as_postgres() {
  setpriv --reuid=postgres --regid=postgres --init-groups --reset-env -- \
    env PATH="$PATH" PGCONNECT_TIMEOUT="$PGCONNECT_TIMEOUT" HOME=/var/lib/postgresql "$@"
}

# psql_at HOST PORT SQL...: one-line, unaligned psql as postgres with a connect timeout; each SQL
# argument runs as its own statement (so ALTER SYSTEM is never inside a transaction block).
psql_at() {
  local host="$1" port="$2"; shift 2
  local args=()
  local s
  for s in "$@"; do args+=(-c "$s"); done
  psql "host=$host port=$port user=postgres dbname=postgres connect_timeout=$PGCONNECT_TIMEOUT" \
    -X -q -At -v ON_ERROR_STOP=1 "${args[@]}"
}

# local_pg SQL...: the same against the local server over its unix socket (trust).
local_pg() {
  local args=()
  local s
  for s in "$@"; do args+=(-c "$s"); done
  as_postgres psql -h /var/run/postgresql -p "$PG_PORT" -U postgres -d postgres -X -q -At \
    -v ON_ERROR_STOP=1 "${args[@]}"
}

pg_running() { as_postgres pg_ctl -D "$PGDATA" status >/dev/null 2>&1; }

# pg_start: start the local server in the background (pg_ctl daemonizes it; tini reaps it).
pg_start() {
  as_postgres pg_ctl -D "$PGDATA" -l "$HACHAOS_LOG_DIR/postgresql.log" -w -t 60 start >/dev/null
}

pg_stop() {
  if pg_running; then
    as_postgres pg_ctl -D "$PGDATA" -m fast -w -t 30 stop >/dev/null
  fi
}

# must_stay_fenced: true for a former primary (no standby.signal) whose peer is a writable primary
# now. Started as it is, it would be a second writable primary: pgpool keeps it detached, but
# direct clients could write to it and its timeline would fork. Used by every path that starts
# postgres on an existing cluster (the entrypoint at boot, hachaos-start after a process fault).
must_stay_fenced() {
  [ ! -e "$PGDATA/standby.signal" ] || return 1
  pin_peer_address >/dev/null 2>&1 || true
  [ "$(psql_at "$HACHAOS_PEER_NAME" "$PG_PORT" 'select pg_is_in_recovery()' 2>/dev/null)" = f ]
}

pgpool_pid() {
  local pid
  pid="$(tr -dc "0-9" 2>/dev/null <"$HACHAOS_RUN/pgpool.pid")" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# pgpool_start [keep-status]: start pgpool in the foreground mode (-n) as a background job,
# logging to pgpool.log. -D discards the saved backend status (pgpool_status in logdir/work_dir):
# the watchdog leader's view is the truth after a restart. With keep-status, -D is left out and
# pgpool reads the status it saved, as a pgpool started by its own service unit does (used to show
# pgpool-II's "health check never started for a backend that was down at start" bug).
pgpool_start() {
  local discard=-D
  [ "${1:-}" != keep-status ] || discard=
  mkdir -p "$HACHAOS_RUN/pgpool"
  rm -f "$HACHAOS_RUN/pgpool.pid"
  # shellcheck disable=SC2086 # $discard is one flag or none
  setsid pgpool -n $discard -f /etc/pgpool2/pgpool.conf -F /etc/pgpool2/pcp.conf \
    -a /etc/pgpool2/pool_hba.conf >>"$HACHAOS_LOG_DIR/pgpool.log" 2>&1 </dev/null &

  for _ in $(seq 1 50); do
    pgpool_pid >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# pgpool_stop: a smart-ish stop that tells the peer watchdog "shutting down" first.
pgpool_stop() {
  local pid
  pid="$(pgpool_pid)" || return 0
  pgpool -f /etc/pgpool2/pgpool.conf -m fast stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null

  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# sed_escape VALUE: escape VALUE for the replacement side of a sed s|||.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# render TEMPLATE OUT: replace @@VAR@@ with the variable's value for every HACHAOS_* and a few
# derived values, then append the override file (if any) so that its keys come last and win.
render() {
  local template="$1" out="$2" override="${3:-}"
  local script=() var
  for var in HACHAOS_NODE_NAME HACHAOS_NODE_ID HACHAOS_PEER_NAME HACHAOS_PEER_ID HACHAOS_VIP \
    HACHAOS_VIP_PREFIX HACHAOS_TRUSTED_SERVERS HACHAOS_WD_PRIORITY PGDATA NODE0_NAME NODE1_NAME; do
    script+=(-e "s|@@${var}@@|$(sed_escape "${!var}")|g")
  done
  sed "${script[@]}" "$template" >"$out.tmp"
  if [ -n "$override" ] && [ -s "$override" ]; then
    printf '\n# ---- appended from %s (last value wins) ----\n' "$override" >>"$out.tmp"
    cat "$override" >>"$out.tmp"
  fi
  mv "$out.tmp" "$out"
}

# render_postgres_conf: (re)write the node-specific postgresql.conf and pg_hba.conf in PGDATA.
# Run at every start and after pg_rewind/pg_basebackup, which copy the peer's files.
render_postgres_conf() {
  render "$HACHAOS_TEMPLATES/postgresql.conf.in" "$PGDATA/postgresql.conf"
  cp "$HACHAOS_TEMPLATES/pg_hba.conf" "$PGDATA/pg_hba.conf"
  chown postgres:postgres "$PGDATA/postgresql.conf" "$PGDATA/pg_hba.conf"
}

# node_name_of ID: the node name of backend ID (0 -> NODE0_NAME).
node_name_of() {
  if [ "$1" = "$HACHAOS_NODE_ID" ]; then echo "$HACHAOS_NODE_NAME"; else echo "$HACHAOS_PEER_NAME"; fi
}

# pin_peer_address: keep a static /etc/hosts entry for the peer, like a real host's address.
# Docker's DNS forgets a stopped container's name at once, and pgpool 4.6.1's heartbeat sender
# then crashes (segfault) and takes the survivor's watchdog down with it ("system has lost the
# network"). The entry follows the peer's address whenever Docker's DNS knows it
# (HACHAOS_PEER_IP pins it instead). Returns 1 while the peer's address is unknown.
pin_peer_address() {
  local peer="$HACHAOS_PEER_NAME" addr current
  addr="${HACHAOS_PEER_IP:-}"
  [ -n "$addr" ] || addr="$(getent -s hosts:dns ahostsv4 "$peer" 2>/dev/null | awk 'NR == 1 {print $1}')"
  current="$(awk -v p="$peer" '/# hachaos-peer$/ && $2 == p {print $1}' /etc/hosts)"
  if [ -z "$addr" ]; then
    [ -n "$current" ]
    return
  fi
  [ "$addr" = "$current" ] && return 0
  # Rewrite in place: /etc/hosts is a bind mount, a rename would not reach it.
  { grep -v '# hachaos-peer$' /etc/hosts; printf '%s\t%s # hachaos-peer\n' "$addr" "$peer"; } >"$HACHAOS_RUN/hosts.new" &&
    cat "$HACHAOS_RUN/hosts.new" >/etc/hosts
  log_to entrypoint.log "peer address pinned $peer=$addr${current:+ (was $current)}"
}
