"""Deployment artefacts: the compose file against the Compose Specification, nginx for real,
the Dockerfiles' promises, and production settings under `check --deploy`."""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

from devtools.images import data_url, grey_png, seven_png
from devtools.servers import NGINX, ROOT, api_server, drip_clients, nginx_server, stack, start_api


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def compose_validator():
    schema = json.loads((ROOT / "tests/fixtures/compose-spec.schema.json").read_text())
    return jsonschema.Draft201909Validator(schema)  # the draft its $schema names


def test_compose_file_follows_the_compose_specification(compose, compose_validator):
    errors = sorted(compose_validator.iter_errors(compose), key=str)
    assert not errors, [e.message for e in errors]


def test_the_validator_does_reject_a_broken_compose_file(compose, compose_validator):
    broken = json.loads(json.dumps(compose))
    broken["services"]["api"]["healthcheck"]["retries"] = "three"
    broken["services"]["web"]["depends_on"] = {"api": {"condition": "whenever"}}
    assert len(list(compose_validator.iter_errors(broken))) >= 2


def test_compose_wires_api_web_db_and_redis(compose):
    services = compose["services"]
    assert set(services) == {"migrate", "api", "web", "db", "redis"}
    api = services["api"]
    assert api["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert api["depends_on"]["redis"]["condition"] == "service_healthy" and services["redis"]["healthcheck"]
    # Migrations run once, before any replica, never inside the replicas themselves.
    assert "migrate" in services["migrate"]["command"] and "migrate" not in " ".join(api["command"])
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["image"] == api["image"]  # built once, used by both
    assert "/api/ready/" in " ".join(api["healthcheck"]["test"])
    assert (
        api["environment"]["DATABASE_URL"].startswith("postgres://")
        and "@db:5432/" in api["environment"]["DATABASE_URL"]
    )
    assert "ports" not in api, "the API is reached through nginx only"
    assert services["web"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert services["db"]["image"].startswith("postgres:") and "db-data" in compose["volumes"]
    assert any(v.startswith("db-data:") for v in services["db"]["volumes"])


def test_dockerfiles_are_slim_non_root_and_bake_in_the_model():
    api = (ROOT / "docker/api.Dockerfile").read_text()
    assert "FROM python:3.11-slim" in api and "USER app" in api
    assert "artifacts/" in api and "HEALTHCHECK" in api
    for tool in ("build-essential", "gcc", "apt-get install"):
        assert tool not in api
    web = (ROOT / "docker/web.Dockerfile").read_text()
    assert "nginx" in web and "COPY frontend" in web
    assert 'apiBase: ""' in (ROOT / "frontend/config.js").read_text()  # the deployed SPA calls its own origin


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_serves_the_spa_proxies_the_api_and_answers_its_own_errors_in_json():
    with api_server() as api, nginx_server([api.removeprefix("http://")]) as base:
        with urllib.request.urlopen(f"{base}/") as response:
            assert b"Handwriting recognizer" in response.read()
        with urllib.request.urlopen(f"{base}/api/ready/") as response:
            assert json.loads(response.read())["ready"] is True
        host, port = base.removeprefix("http://").split(":")
        malformed = {
            "bad Content-Length": b"POST /api/predict-digit/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            "9 KB URL": b"GET /api/health/?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            "20 KB header": b"GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n",
            "a POST to the app": b"POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
            b"Connection: close\r\n\r\n",
            "an unknown method": b"FROB /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        }
        for name, request in malformed.items():
            status, headers, body = raw_request(host, int(port), request)
            assert 400 <= status < 600 and "application/json" in headers, (name, status, headers)
            assert b'"code":' in body, name
        # 150 small headers: within nginx's bounds, so gunicorn must not answer them in HTML (431).
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
        request = b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many + b"Connection: close\r\n\r\n"
        status, headers, body = raw_request(host, int(port), request)
        assert status == 200 and json.loads(body) == {"status": "ok"}, (status, body)


def raw_request(host: str, port: int, request: bytes) -> tuple[int, str, bytes]:
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode("latin-1").lower(), body


def run_deploy_check(env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_deploy_check(
        {
            "DJANGO_PRODUCTION": "1",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "digits.example",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_deploy_check({"DJANGO_PRODUCTION": "1"})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def setting_in_a_fresh_process(name: str, **env_extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="backend.config.settings", **env_extra)
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    return out.stdout.strip() or out.stderr


def test_debug_is_off_unless_asked_for():
    assert setting_in_a_fresh_process("DEBUG") == "False"
    assert setting_in_a_fresh_process("DEBUG", DJANGO_DEBUG="1") == "True"


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert Path(ROOT / ".ci/run").read_text().count("make test") == 1


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx-light)")
def test_behind_nginx_fifty_clients_dripping_bodies_do_not_stall_health_or_predict():
    import threading

    with api_server(workers=1) as api, nginx_server([api.removeprefix("http://")]) as base:
        stop = threading.Event()
        drips = drip_clients(base, 50, stop)
        try:
            body = json.dumps({"image": data_url(seven_png())}).encode()
            for _ in range(10):  # a gunicorn worker of 4 threads would be full after 4 drippers
                with urllib.request.urlopen(f"{base}/api/health/", timeout=5) as response:
                    assert response.status == 200
                request = urllib.request.Request(
                    f"{base}/api/predict-digit/", body, {"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert json.loads(response.read())["prediction"] == "7"
        finally:
            stop.set()
            for conn in drips:
                conn.close()


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx-light)")
def costly_strip(mnist_test, digits: int = 48) -> bytes:
    """A 28 px strip of overlapping MNIST digits: a few KB that cost the cutting reader seconds."""
    strip = np.zeros((28, 15 * digits + 13), np.uint8)
    for k in range(digits):
        np.maximum(strip[:, 15 * k : 15 * k + 28], mnist_test.images[k], out=strip[:, 15 * k : 15 * k + 28])
    return grey_png(strip)


UNPRICED = {"API_MAX_REQUEST_PRICE": "0", "API_PRICE_BUDGET_PER_MINUTE": "0"}  # costly readings let through


def test_behind_nginx_health_answers_at_once_while_every_worker_is_busy(mnist_test):
    import threading

    with api_server(UNPRICED, workers=1) as api, nginx_server([api.removeprefix("http://")]) as base:
        body = json.dumps({"image": data_url(costly_strip(mnist_test)), "model": "ensemble"}).encode()

        def costly():
            request = urllib.request.Request(f"{base}/api/predict-text/", body, {"Content-Type": "application/json"})
            with contextlib.suppress(urllib.error.HTTPError):  # refused or answered: the worker spent its time
                urllib.request.urlopen(request, timeout=60).read()

        readers = [threading.Thread(target=costly) for _ in range(3)]
        for thread in readers:
            thread.start()
        time.sleep(0.5)  # the one worker holds the first, two more wait behind it
        times, states = [], []
        for path in ["/api/health/", "/api/ready/"] * 4:
            started = time.monotonic()
            with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
                answer = json.loads(response.read())
            times.append(time.monotonic() - started)
            states.append(answer.get("status"))
        busy_now = any(thread.is_alive() for thread in readers)
        for thread in readers:
            thread.join()
        assert busy_now, "the costly readings ended before health was asked: the test measured nothing"
        assert max(times) < 0.25, times
        assert "busy" in states, states  # readiness says predictions queue, not only that it is alive
        with urllib.request.urlopen(f"{base}/api/ready/", timeout=10) as response:
            idle = json.loads(response.read())
        assert idle["status"] == "ok" and idle["workers_alive"] == 1 and idle["workers_busy"] == 0


def test_a_worker_stops_a_costly_reading_soon_after_its_client_leaves(mnist_test):
    body = json.dumps({"image": data_url(costly_strip(mnist_test)), "model": "ensemble"}).encode()
    quick = json.dumps({"image": data_url(seven_png())}).encode()
    with api_server(UNPRICED, workers=1) as api:
        host, port = api.removeprefix("http://").split(":")

        def post(payload: bytes, timeout: float) -> float:
            started = time.monotonic()
            path = "/api/predict-digit/" if payload is quick else "/api/predict-text/"
            request = urllib.request.Request(f"{api}{path}", payload, {"Content-Type": "application/json"})
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=timeout).read()
            return time.monotonic() - started

        whole = post(body, 60)  # what the costly reading takes when its client waits
        assert whole > 2.0, f"the reading took {whole:.2f} s: too cheap to show anything"
        leaver = socket.create_connection((host, int(port)))
        head = "POST /api/predict-text/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        leaver.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(0.3)
        leaver.close()  # gone before the answer
        left = time.monotonic()
        post(quick, 60)  # waits for the one worker
        assert time.monotonic() - left < 0.3 + 1.0 + 0.5, "the worker went on reading for nobody"


def test_behind_nginx_a_throttle_is_exact_across_two_workers_without_redis():
    """make run's topology with two workers and no Redis: 30 a minute lets 30 of 120 through,
    wherever they land (each worker counting alone let 60 through)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {"API_THROTTLE_SAMPLES": "30/min", "REDIS_URL": ""}
    with stack(env, workers=2) as front:

        def status(_):
            try:
                with urllib.request.urlopen(f"{front}/api/display-images/?count=1", timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(status, range(120)))
    assert statuses.count(200) == 30 and statuses.count(429) == 90, statuses


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx-light)")
def test_behind_nginx_a_write_from_the_apps_own_origin_is_accepted_and_links_keep_the_port():
    """nginx passes Host with its port: the API's same-origin check compares scheme, host and
    port (a page on another port is another site), and pagination links keep the port."""
    token = "deploy-token"
    with stack({"FEEDBACK_READ_TOKEN": token}) as front:
        other = front.rsplit(":", 1)[0]  # the same host on port 80: another origin
        body = json.dumps({"image": data_url(seven_png()), "true_label": "7"}).encode()

        def post(origin):
            request = urllib.request.Request(
                f"{front}/api/feedback/", body, {"Content-Type": "application/json", "Origin": origin}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert post(front) == 201 and post(front) == 201
        assert post(other) == 403
        request = urllib.request.Request(
            f"{front}/api/feedback/?page_size=1", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            page = json.load(response)
    assert page["next"].startswith(f"{front}/api/feedback/"), page["next"]


def test_gunicorn_alone_refuses_a_chunked_body_in_json_rather_than_ignoring_it():
    with api_server() as api:
        host, port = api.removeprefix("http://").split(":")
        body = json.dumps({"image": data_url(seven_png())}).encode()
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        request = (
            b"POST /api/predict-digit/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
        )
        status, headers, answer = raw_request(host, int(port), request)
    assert status == 411 and "application/json" in headers and b"length_required" in answer


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx-light)")
def test_behind_nginx_a_chunked_body_is_read_whole():
    with api_server() as api, nginx_server([api.removeprefix("http://")]) as base:
        host, port = base.removeprefix("http://").split(":")
        body = json.dumps({"image": data_url(seven_png())}).encode()
        request = (
            b"POST /api/predict-digit/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        )
        status, headers, answer = raw_request(host, int(port), request)
    assert status == 200 and b'"prediction"' in answer


def test_gunicorn_alone_answers_its_own_limits_in_json():
    with api_server() as api:
        host, port = api.removeprefix("http://").split(":")
        long_line = b"GET /api/health/?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        status, headers, body = raw_request(host, int(port), long_line)
        assert status == 414 and "application/json" in headers, (status, headers)
        assert json.loads(body)["code"] == "uri_too_long"
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(1200))  # past its 1,000 header fields
        status, headers, body = raw_request(
            host, int(port), b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many + b"Connection: close\r\n\r\n"
        )
        assert status in (400, 431) and "application/json" in headers and json.loads(body)["code"]


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (gunicorn's master: its workers)."""
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry))
    return found


@pytest.mark.parametrize("threads", ["1", "2"])
def test_workers_replaced_after_max_requests_answer_from_the_models_the_master_loaded(threads):
    """The workers fork from a master holding the app and every model (preload_app). With
    model_core on two threads (an ensemble's networks side by side), the master must not
    have started the library's thread pool, which a fork does not carry over: the replaced
    workers would hang on their first ensemble answer."""
    env = {
        "GUNICORN_CMD_ARGS": "--max-requests 4 --max-requests-jitter 0",
        "MODEL_CORE_THREADS": threads,
        "API_THROTTLE_PREDICT": "1000/min",
        "API_LOG_LEVEL": "WARNING",
    }
    process, base = start_api(env, workers=1)
    try:
        first = children(process.pid)
        body = json.dumps({"image": data_url(seven_png()), "model": "ensemble"}).encode()
        answers = []
        for _ in range(12):
            request = urllib.request.Request(f"{base}/api/predict-digit/", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=20) as response:
                answers.append(json.load(response)["prediction"])
        deadline = time.monotonic() + 10  # the last answer may have been a worker's last: its successor is forking
        while not (later := children(process.pid) - first) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert answers == ["7"] * 12
    assert first and later  # the first worker was replaced, and its successors answered


def test_a_worker_over_its_memory_bound_is_replaced_and_the_next_request_is_served():
    """API_WORKER_MAX_RSS_MB: a worker that still holds more after handing freed memory back is
    replaced once its answer is sent (here a bound every worker exceeds, so each is replaced)."""
    process, base = start_api({"API_WORKER_MAX_RSS_MB": "1", "API_LOG_LEVEL": "WARNING"}, workers=1)
    try:
        first = children(process.pid)
        body = json.dumps({"image": data_url(seven_png())}).encode()
        answers = []
        for _ in range(3):
            request = urllib.request.Request(f"{base}/api/predict-digit/", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=20) as response:
                answers.append(json.load(response)["prediction"])
        deadline = time.monotonic() + 10
        while not (later := children(process.pid) - first) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert answers == ["7"] * 3 and first and later
