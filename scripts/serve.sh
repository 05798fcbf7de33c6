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
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
REDIS="$(command -v redis-server || echo /usr/bin/redis-server)"

install() { # a Debian package, when missing and this runs as root
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 0
  echo "Installing Debian's $1..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$1" >/dev/null; } || true
}
[ -x "$NGINX" ] || install nginx-light
[ -x "$REDIS" ] || install redis-server

$PY manage.py migrate --noinput >/dev/null
# The docs' assets, under content-hashed names that browsers may cache for a year.
$PY manage.py collectstatic --noinput >/dev/null
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait 2>/dev/null' INT TERM EXIT
mkdir -p var/run
# The throttles' counts, shared by the workers (and exact across a minute's turn): a local
# Redis on a unix socket, keeping nothing on disk. Without one the workers share a SQLite
# file instead (backend/api/throttling.py); a REDIS_URL you set is used as it is.
if [ -z "${REDIS_URL:-}" ] && [ -x "$REDIS" ]; then
  rm -f var/run/redis.sock
  "$REDIS" --port 0 --unixsocket "$PWD/var/run/redis.sock" --unixsocketperm 700 --save '' --appendonly no \
    --loglevel warning &
  for _ in $(seq 50); do [ -S var/run/redis.sock ] && break; sleep 0.1; done
  export REDIS_URL="unix://$PWD/var/run/redis.sock"
fi
if [ -x "$NGINX" ]; then
  mkdir -p var/nginx
  SOCKET="$PWD/var/run/api.sock"
  GUNICORN_BIND="unix:$SOCKET" API_TRUSTED_PROXIES="${API_TRUSTED_PROXIES:-127.0.0.1}" \
    .venv/bin/gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application &
  $PY scripts/nginx_conf.py --upstream "unix:$SOCKET" --listen "$API_PORT" --listen "$WEB_PORT" \
    --workdir var/nginx >var/nginx/nginx.conf
  "$NGINX" -p "$PWD/var/nginx" -c "$PWD/var/nginx/nginx.conf" -g "daemon off;" &
else
  echo "WARNING: no nginx; gunicorn answers directly (slow clients can tie it up: do not expose this)." >&2
  .venv/bin/gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application &
  # The app is told where the API is through the config.js it is served.
  $PY scripts/static_server.py --port "$WEB_PORT" --directory frontend --api "http://127.0.0.1:${API_PORT}" &
fi
echo "API  http://127.0.0.1:${API_PORT}/api/   (docs: /api/docs/)"
echo "App  http://127.0.0.1:${WEB_PORT}/"
wait -n
