"""Health and readiness that never queue behind predictions: answered by gunicorn's master.

A sync worker answers one request at a time, so while every worker reads a costly image a
health check waits behind them (1-2 s, or nginx's 30 s timeout under a flood). The master
process never serves a request: here it answers GET /api/health/ and /api/ready/ itself, from
a thread of its own, on a socket of its own (HEALTH_BIND: the API's unix socket's path with
`.health`, or the API's port + 1), which nginx sends those two paths to (docker/nginx.conf,
falling back to the workers when it is not there). What it says is what the workers' own
endpoints say (health.selectors: the models it loaded before forking them, the database, the
cache and Redis), and what only the master knows: how many workers are alive (a heartbeat
within gunicorn's timeout) and how many are busy with a request (each worker marks its
request in HEALTH_STATE_DIR while it runs it). No live worker is `not_ready` (503); every
worker busy is `busy`: still ready, predictions queue (`workers_busy`, `workers_alive`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import UnixStreamServer

log = logging.getLogger("backend.api")
STATE_DIR = "HEALTH_STATE_DIR"


def health_bind(api_bind: str) -> str:
    """Where the master answers health: HEALTH_BIND, else beside the API's own bind."""
    given = os.environ.get("HEALTH_BIND", "").strip()
    if given:
        return given
    if api_bind.startswith("unix:"):
        return api_bind + ".health"
    host, _, port = api_bind.rpartition(":")
    return f"{host or '127.0.0.1'}:{int(port) + 1}"


def _busy_marker(pid: int) -> Path:
    return Path(os.environ[STATE_DIR]) / f"busy-{pid}"


def request_started(pid: int) -> None:
    """A worker's pre_request: it holds a request now."""
    if STATE_DIR in os.environ:
        _busy_marker(pid).touch()


def request_finished(pid: int) -> None:
    """A worker's post_request (and its exit): it holds none."""
    if STATE_DIR in os.environ:
        _busy_marker(pid).unlink(missing_ok=True)


def worker_counts(arbiter) -> tuple[int, int]:
    """(alive, busy): workers whose heartbeat is within the timeout, and those of them holding a request."""
    now, alive, busy = time.monotonic(), 0, 0  # gunicorn stamps its heartbeats in monotonic time
    for pid, worker in list(arbiter.WORKERS.items()):
        try:
            fresh = now - worker.tmp.last_update() <= arbiter.timeout
        except (OSError, ValueError):
            fresh = False
        alive += fresh
        busy += fresh and _busy_marker(pid).exists()
    return alive, busy


def state(arbiter, path: str, details: bool) -> tuple[int, dict]:
    """The answer to GET `path` (health or ready) from the master: (status code, body)."""
    from django.db import connection

    from . import selectors

    if path == "/api/health/":
        return 200, {"status": "ok"}
    try:
        body = selectors.readiness(details=details)
    finally:
        connection.close()  # no connection of the master's is left open when it forks a worker
    alive, busy = worker_counts(arbiter)
    body.update(workers_alive=alive, workers_busy=busy)
    if not alive:
        body.update(ready=False, status="not_ready", detail="no worker answers")
    elif body["ready"] and busy >= alive and body["status"] == "ok":
        body.update(status="busy", detail=f"busy: all {alive} workers hold a request; predictions queue")
    return (200 if body["ready"] else 503), body


class _Handler(BaseHTTPRequestHandler):
    arbiter = None
    server_version = "digits-health"

    def do_GET(self):  # noqa: N802  (http.server's name)
        from backend.common.metrics import holds_metrics_token

        path = self.path.split("?", 1)[0]
        if path not in ("/api/health/", "/api/ready/"):
            self._send(404, {"code": "not_found", "detail": "No such endpoint."})
            return
        try:
            self._send(*state(self.arbiter, path, holds_metrics_token(self)))
        except Exception as exc:  # noqa: BLE001  a health check reports, it never fails
            log.warning("health: %s", exc)
            self._send(503, {"ready": False, "status": "not_ready", "detail": "the health check failed"})

    def do_HEAD(self):  # noqa: N802
        self.do_GET()

    def send_error(self, code, message=None, explain=None):
        """Every other method, a malformed request: JSON, as the API answers them."""
        if code == 501:  # a method http.server has no do_ for: only GET and HEAD are answered here
            code, message = 405, "Method not allowed: health and readiness are GET."
        self.close_connection = True
        self._send(code, {"code": "method_not_allowed" if code == 405 else "bad_request", "detail": message or ""})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, *args):  # the access log is nginx's
        pass


class _UnixHTTPServer(UnixStreamServer, ThreadingHTTPServer):
    address_family = socket.AF_UNIX

    def server_bind(self):
        UnixStreamServer.server_bind(self)
        self.server_name, self.server_port = "health", 0

    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)


def serve(arbiter, bind: str) -> None:
    """Answer health on `bind` from a daemon thread of the master (a warning if it cannot bind)."""
    _Handler.arbiter = arbiter
    try:
        if bind.startswith("unix:"):
            path = bind[5:]
            Path(path).unlink(missing_ok=True)
            server = _UnixHTTPServer(path, _Handler)
        else:
            host, _, port = bind.rpartition(":")
            server = ThreadingHTTPServer((host, int(port)), _Handler)
    except OSError as exc:
        log.warning("health: cannot listen on %s (%s): the workers answer health", bind, exc)
        return
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    log.info("health and readiness answered by the master on %s", bind)
