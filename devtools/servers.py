"""Servers on free loopback ports for tests, benchmarks and scripts: gunicorn (the API), the
static SPA server, nginx in front as `make run` puts it, PostgreSQL and Redis, and the
slowest of clients."""

from __future__ import annotations

import contextlib
import glob
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0, unix_socket: str | None = None) -> None:
    """Until `url` answers 200 (through `unix_socket` when given: its path is then all of
    the URL that counts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if unix_socket:
                if unix_status(unix_socket, urllib.parse.urlsplit(url).path) == 200:
                    return
            else:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


def unix_status(path: str, target: str) -> int:
    """The status of GET `target` from an HTTP server on the unix socket `path`."""
    conn = http.client.HTTPConnection("localhost", timeout=2)
    conn.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.sock.settimeout(2)
    try:
        conn.sock.connect(path)
        conn.request("GET", target)
        return conn.getresponse().status
    finally:
        conn.close()


def start_api(
    env_extra: dict[str, str] | None = None, workers: int = 1, port: int | None = None, unix_socket: bool = False
) -> tuple[subprocess.Popen, str]:
    """Start gunicorn serving the API on a loopback port (a free one unless given), or on a
    unix socket as `make run` binds it behind nginx, in its own process group; return the
    process and the base URL (`unix:PATH` for a socket) once it answers as ready."""
    port = port or free_port()
    scratch = [tempfile.mkdtemp(prefix="digits-api-")]  # removed by api_server when it stops
    path = os.path.join(scratch[0], "api.sock") if unix_socket else None
    env = {
        **os.environ,
        "API_PORT": str(port),
        **({"GUNICORN_BIND": f"unix:{path}"} if path else {}),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": "",
        # A database of its own, unless the caller names one: tests never touch var/db.sqlite3.
        "DATABASE_URL": f"sqlite:///{scratch[0]}/db.sqlite3",
        **(env_extra or {}),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "backend/gunicorn.conf.py", "backend.config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    process.scratch = scratch
    base = f"unix:{path}" if path else f"http://127.0.0.1:{port}"
    try:
        wait_for(f"http://127.0.0.1:{port}/api/ready/", unix_socket=path)
    except RuntimeError:
        process.kill()
        raise
    return process, base


@contextlib.contextmanager
def api_server(env_extra: dict[str, str] | None = None, workers: int = 1, unix_socket: bool = False):
    """gunicorn serving the API for the duration of a `with` block; yields its base URL
    (`unix:PATH` on a unix socket, an upstream for `nginx_server`)."""
    process, base = start_api(env_extra, workers, unix_socket=unix_socket)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        for folder in process.scratch:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def running(command: list[str], ready_url: str, **popen):
    """A server process for the duration of a `with` block, once `ready_url` answers."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    try:
        wait_for(ready_url)
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextlib.contextmanager
def static_server(directory: Path = ROOT / "frontend", api: str | None = None, port: int | None = None):
    """The app from a plain static server; with `api`, its config.js points there."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "scripts/static_server.py", "--port", str(port), "--directory", str(directory)]
    command += ["--api", api] if api else []
    with running(command, f"{base}/index.html", cwd=ROOT):
        yield base


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@contextlib.contextmanager
def nginx_server(upstreams: list[str], root: Path = ROOT / "frontend"):
    """nginx with docker/nginx.conf (scripts/nginx_conf.py points it at these upstreams), on a
    free loopback port, for the duration of a `with` block; yields its base URL."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from nginx_conf import local_config

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="digits-nginx-"))
    (workdir / "nginx.conf").write_text(local_config(upstreams, [port], root, workdir))
    command = [NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(check.stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        with running(command, f"{base}/index.html"):
            yield base
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def drip_clients(base: str, count: int, stop: threading.Event) -> list[socket.socket]:
    """`count` connections that send a POST's headers and then its body a byte every half
    second, until `stop` is set: the slowest of clients."""
    host, port = base.removeprefix("http://").split(":")
    conns = []
    for _ in range(count):
        conn = socket.create_connection((host, int(port)), timeout=60)
        conn.sendall(b"POST /api/predict-digit/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        conn.sendall(b"Content-Length: 1000000\r\n\r\n{")
        conns.append(conn)

    def drip():
        while not stop.wait(0.5):
            for conn in conns:
                with contextlib.suppress(OSError):
                    conn.send(b" ")

    threading.Thread(target=drip, daemon=True).start()
    return conns


def _postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


POSTGRES_MISSING = None if _postgres_bin("initdb") and _postgres_bin("pg_ctl") else "PostgreSQL is not installed"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_MISSING = None if os.path.exists(REDIS) else "redis-server is not installed (apt-get install redis-server)"


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL on a free loopback port, its data in a temporary folder;
    yields a DATABASE_URL for a fresh database."""
    import psycopg

    data = Path(tempfile.mkdtemp(prefix="digits-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres([_postgres_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {data} -h 127.0.0.1 -c fsync=off"
    pg_ctl = [_postgres_bin("pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-o", options, "-w"]
    subprocess.run(_as_postgres([*pg_ctl, "start"]), check=True, capture_output=True)
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE digits")
        yield f"postgres://postgres@127.0.0.1:{port}/digits"
    finally:
        subprocess.run(_as_postgres([*pg_ctl, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def redis_server(unix_socket: bool = False):
    """A throwaway Redis on a free loopback port, or on a unix socket as `make run` starts
    it, keeping nothing on disk; yields its URL."""
    port = free_port()
    path = os.path.join(tempfile.mkdtemp(prefix="digits-redis-"), "redis.sock") if unix_socket else None
    where = ["--port", "0", "--unixsocket", path, "--unixsocketperm", "700"] if path else ["--port", str(port)]
    process = subprocess.Popen(
        [REDIS, *where, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def connect() -> socket.socket:
        if not path:
            return socket.create_connection(("127.0.0.1", port), timeout=0.2)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(0.2)
        try:
            client.connect(path)
        except OSError:
            client.close()
            raise
        return client

    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), connect():
                break
            time.sleep(0.05)
        yield (f"unix://{path}" if path else f"redis://127.0.0.1:{port}/0"), process
    finally:
        process.terminate()
        process.wait(timeout=10)
        if path:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)


@contextlib.contextmanager
def stack(env_extra: dict[str, str] | None = None, workers: int = 1):
    """What `make run` serves: the docs' assets collected (hashed names), gunicorn, and nginx in
    front serving the app and /api/ on one port; yields that port's base URL."""
    static_root = tempfile.mkdtemp(prefix="digits-static-")
    env = {"STATIC_ROOT": static_root, **(env_extra or {})}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    try:
        with api_server(env, workers) as api, nginx_server([api.removeprefix("http://")]) as front:
            yield front
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
