#!/usr/bin/env bash
# Serve the API (gunicorn) and the SPA (a static file server) side by side on loopback.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export API_PORT="${API_PORT:-8000}" WEB_PORT="${WEB_PORT:-8080}"
export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-http://127.0.0.1:${WEB_PORT},http://localhost:${WEB_PORT}}"
PY=.venv/bin/python

$PY manage.py migrate --noinput >/dev/null
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait 2>/dev/null' INT TERM EXIT
.venv/bin/gunicorn -c backend/gunicorn.conf.py backend.config.wsgi:application &
$PY scripts/static_server.py --port "$WEB_PORT" --directory frontend &
echo "API  http://127.0.0.1:${API_PORT}/api/   (docs: /api/docs/)"
echo "App  http://127.0.0.1:${WEB_PORT}/?api=http://127.0.0.1:${API_PORT}"
wait -n
