#!/usr/bin/env bash
# Serve the app and the API on loopback: nginx in front (it reads whole requests before the
# API sees them, so slow clients tie up nothing, and answers malformed ones in JSON), with
# gunicorn behind it on a unix socket. nginx is Debian's nginx-light, installed here when
# missing and this runs as root; without it gunicorn answers directly, which is fine on
# your own machine but not safe to expose. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export API_PORT="${API_PORT:-8000}" WEB_PORT="${WEB_PORT:-8080}"
export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-http://127.0.0.1:${WEB_PORT},http://localhost:${WEB_PORT}}"
PY=.venv/bin/python
# Sockets, nginx's files, the workers' shared counters: here, removed on exit (RUN_DIR lets a
# second instance, such as the tests', keep its own).
RUN_DIR="${RUN_DIR:-$PWD/var/run}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
REDIS="$(command -v redis-server || echo /usr/bin/redis-server)"

say() { echo "make run: $*" >&2; } # the steps, on stderr: standard output is the addresses

install() { # a Debian package, when missing and this runs as root
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 0
  say "installing Debian's $1"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$1" >/dev/null; } || true
}
[ -x "$NGINX" ] || install nginx-light
[ -x "$REDIS" ] || install redis-server

say "preparing the database"
$PY manage.py migrate --noinput >/dev/null
# The docs' assets, under content-hashed names that browsers may cache for a year.
say "collecting the API docs' files"
$PY manage.py collectstatic --noinput >/dev/null
stop() { # everything this started, then its scratch folders (ignoring the TERM it sends itself)
  trap '' INT TERM
  # Its process group, but not the make above it: make, told of a Ctrl-C too, then ends
  # quietly (a TERM from here would have a shell report it "Terminated").
  if command -v pgrep >/dev/null; then
    for p in $(pgrep -g 0); do [ "$p" = "$$" ] || [ "$p" = "$PPID" ] || kill "$p" 2>/dev/null || true; done
  else
    kill 0 2>/dev/null
  fi
  wait 2>/dev/null
  rm -rf "$RUN_DIR"/{metrics,decode-slots}
}
trap stop EXIT
# Ctrl-C is how `make run` is meant to end: say so before make reports its interrupt.
trap 'echo "make run: stopped" >&2; exit 0' INT
trap 'exit 143' TERM
mkdir -p "$RUN_DIR"/{metrics,decode-slots}
# Reading corrections takes a token. On your own machine (everything here listens on loopback
# only) one is made for you when none is set, kept in RUN_DIR (mode 0600) for the next start;
# a deployment sets its own (compose refuses reads without one).
TOKEN_FILE=""
if [ -z "${FEEDBACK_READ_TOKEN:-}" ]; then
  TOKEN_FILE="$RUN_DIR/feedback-read-token"
  [ -s "$TOKEN_FILE" ] || (umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(24))' >"$TOKEN_FILE")
  FEEDBACK_READ_TOKEN="$(cat "$TOKEN_FILE")"
  export FEEDBACK_READ_TOKEN
fi
rm -f "$RUN_DIR"/metrics/*
export PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/metrics" MODEL_CORE_DECODE_SLOTS_DIR="$RUN_DIR/decode-slots"
# The throttles' counts, shared by the workers (and exact across a minute's turn): a local
# Redis on a unix socket, keeping nothing on disk. Without one the workers share a SQLite
# file instead (backend/common/throttling.py); a REDIS_URL you set is used as it is.
if [ -z "${REDIS_URL:-}" ] && [ -x "$REDIS" ]; then
  rm -f "$RUN_DIR/redis.sock"
  # Restarted whenever it exits: meanwhile the workers count throttles in their shared file
  # (throttling.py), and gunicorn and nginx serve on.
  while :; do
    "$REDIS" --port 0 --unixsocket "$RUN_DIR/redis.sock" --unixsocketperm 700 --save '' --appendonly no \
      --loglevel warning --logfile "$RUN_DIR/redis.log" || true # (set -e would end the loop)
    echo "redis-server exited; starting it again" >&2
    sleep 1
  done &
  for _ in $(seq 50); do [ -S "$RUN_DIR/redis.sock" ] && break; sleep 0.1; done
  export REDIS_URL="unix://$RUN_DIR/redis.sock"
fi
if [ -x "$NGINX" ]; then
  mkdir -p "$RUN_DIR/nginx"
  SOCKET="$RUN_DIR/api.sock"
  # nginx reaches gunicorn on a unix socket, whose peer has no address: "unix" trusts that
  # peer's X-Forwarded-For (nginx's own $remote_addr), so each client is counted as itself.
  GUNICORN_BIND="unix:$SOCKET" API_TRUSTED_PROXIES="${API_TRUSTED_PROXIES:-unix}" \
    .venv/bin/gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application &
  $PY scripts/nginx_conf.py --upstream "unix:$SOCKET" --listen "$API_PORT" --listen "$WEB_PORT" \
    --workdir "$RUN_DIR/nginx" >"$RUN_DIR/nginx/nginx.conf"
  "$NGINX" -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf" -g "daemon off;" &
else
  echo "WARNING: no nginx; gunicorn answers directly (slow clients can tie it up: do not expose this)." >&2
  .venv/bin/gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application &
  # The app is told where the API is through the config.js it is served.
  $PY scripts/static_server.py --port "$WEB_PORT" --directory frontend --api "http://127.0.0.1:${API_PORT}" &
fi
say "starting the API (the models load in a few seconds)"
# The addresses once the API answers, so that whoever follows them is served at once.
$PY -c "from devtools.servers import wait_for; wait_for('http://127.0.0.1:${API_PORT}/api/ready/', 120)"
echo "API  http://127.0.0.1:${API_PORT}/api/   (docs: /api/docs/)"
echo "App  http://127.0.0.1:${WEB_PORT}/"
if [ -n "$TOKEN_FILE" ]; then
  echo "Corrections: read them with this machine's token: export FEEDBACK_READ_TOKEN=\$(cat ${TOKEN_FILE#"$PWD"/})"
fi
wait -n
