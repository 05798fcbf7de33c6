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

if [ ! -x "$NGINX" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's nginx-light, to put in front of the API..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; } || true
fi

$PY manage.py migrate --noinput >/dev/null
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait 2>/dev/null' INT TERM EXIT
if [ -x "$NGINX" ]; then
  mkdir -p var/run var/nginx
  SOCKET="$PWD/var/run/api.sock"
  GUNICORN_BIND="unix:$SOCKET" API_TRUSTED_PROXIES="${API_TRUSTED_PROXIES:-127.0.0.1}" \
    .venv/bin/gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application &
  $PY scripts/nginx_conf.py --upstream "unix:$SOCKET" --listen "$API_PORT" --listen "$WEB_PORT" \
    --workdir var/nginx >var/nginx/nginx.conf
  "$NGINX" -p "$PWD/var/nginx" -c "$PWD/var/nginx/nginx.conf" -g "daemon off;" &
else
  echo "WARNING: no nginx; gunicorn answers directly (slow clients can tie it up: do not expose this)." >&2
  .venv/bin/gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application &
  $PY scripts/static_server.py --port "$WEB_PORT" --directory frontend &
fi
echo "API  http://127.0.0.1:${API_PORT}/api/   (docs: /api/docs/)"
echo "App  http://127.0.0.1:${WEB_PORT}/?api=http://127.0.0.1:${API_PORT}"
wait -n
