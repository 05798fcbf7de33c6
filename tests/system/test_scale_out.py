"""The deployment's parts working together, on loopback: Redis (shared throttle counts),
PostgreSQL (corrections), three API replicas (gunicorn) and nginx with the compose file's
own nginx.conf in front of them."""

import http.client
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from devtools.images import data_url, seven_png
from devtools.servers import (
    NGINX,
    POSTGRES_MISSING,
    REDIS_MISSING,
    nginx_server,
    postgres_server,
    redis_server,
    start_api,
    wait_for,
)

pytestmark = [
    pytest.mark.skipif(POSTGRES_MISSING is not None, reason=str(POSTGRES_MISSING)),
    pytest.mark.skipif(REDIS_MISSING is not None, reason=str(REDIS_MISSING)),
    pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx-light)"),
]
TOKEN = "scale-token"
LIMIT = 12  # display-images per minute and client, across all replicas


class Deployment:
    def __init__(self, database: str, redis: str):
        self.env = {
            "DATABASE_URL": database,
            "REDIS_URL": redis,
            "API_TRUSTED_PROXIES": "127.0.0.1",
            "API_THROTTLE_SAMPLES": f"{LIMIT}/min",
            "API_THROTTLE_PREDICT": "100000/min",
            "FEEDBACK_READ_TOKEN": TOKEN,
            "API_LOG_LEVEL": "WARNING",
        }
        self.replicas: list[tuple[object, str]] = []

    def start(self, port: int | None = None) -> str:
        process, base = start_api(self.env, workers=1, port=port)
        self.replicas.append((process, base))
        return base

    def kill(self, base: str) -> None:
        for process, b in list(self.replicas):
            if b == base:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
                self.replicas.remove((process, b))

    def stop_all(self) -> None:
        for process, _ in self.replicas:
            process.terminate()
            process.wait(timeout=15)
        self.replicas.clear()


@pytest.fixture(scope="module")
def deployment():
    with postgres_server() as database, redis_server() as (redis, redis_process):
        deploy = Deployment(database, redis)
        deploy.redis_process = redis_process
        bases = [deploy.start() for _ in range(3)]
        try:
            with nginx_server([b.removeprefix("http://") for b in bases]) as front:
                deploy.front = front
                yield deploy
        finally:
            deploy.stop_all()


def call(url: str, body: dict | None = None, token: str | None = None, timeout: float = 30) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except (OSError, http.client.HTTPException):  # refused, reset, or an answer cut off mid-body
        return 0, {}


def fresh_throttle_window(deployment) -> None:
    """Start from empty counts, far enough from the minute's end that one window holds the test."""
    import redis

    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    redis.Redis.from_url(deployment.env["REDIS_URL"]).flushdb()


def test_the_throttle_is_exact_across_replicas_one_request_at_a_time(deployment):
    fresh_throttle_window(deployment)
    statuses = [call(f"{deployment.front}/api/display-images/?count=1")[0] for _ in range(3 * LIMIT)]
    assert statuses.count(200) == LIMIT and statuses.count(429) == 2 * LIMIT


def test_the_throttle_is_exact_with_eight_clients_at_once(deployment):
    fresh_throttle_window(deployment)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: call(f"{deployment.front}/api/display-images/?count=1")[0], range(48)))
    assert statuses.count(200) == LIMIT and statuses.count(429) == 48 - LIMIT


def test_a_correction_sent_to_one_replica_is_read_through_another_from_postgresql(deployment):
    (_, first), (_, second) = deployment.replicas[:2]
    status, entry = call(f"{first}/api/feedback/", {"image": data_url(seven_png()), "true_label": "7"})
    assert status == 201
    status, page = call(f"{second}/api/feedback/", token=TOKEN)
    assert status == 200 and entry["id"] in [row["id"] for row in page["results"]]
    request = urllib.request.Request(f"{second}/api/feedback/export/", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = response.read().decode().splitlines()
    assert rows[0].startswith("label,pixel0") and any(row.startswith("7,") for row in rows[1:])


def test_killing_a_replica_under_load_fails_only_what_it_was_answering(deployment):
    body = {"image": data_url(seven_png())}
    statuses: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        while not stop.is_set():
            status, _ = call(f"{deployment.front}/api/predict-digit/", body)
            with lock:
                statuses.append(status)

    clients = [threading.Thread(target=client) for _ in range(12)]
    for t in clients:
        t.start()
    time.sleep(2)
    victim = deployment.replicas[-1][1]
    before = len(statuses)
    deployment.kill(victim)
    time.sleep(3)
    stop.set()
    for t in clients:
        t.join()
    failed = [s for s in statuses if s != 200]
    # At most what the killed replica was answering when it died: nginx re-sends a
    # prediction that got no answer to the next replica, but not one whose answer it had
    # begun to pass on.
    assert len(failed) <= 4, failed
    assert len(statuses) - before > 20  # the others carried on
    deployment.start(port=int(victim.rsplit(":", 1)[1]))  # back, for the tests after this one


def test_a_replica_still_loading_its_model_costs_no_client_an_error(deployment):
    victim = deployment.replicas[0][1]
    port = int(victim.rsplit(":", 1)[1])
    deployment.kill(victim)
    statuses: list[int] = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            statuses.append(call(f"{deployment.front}/api/ready/")[0])

    runner = threading.Thread(target=client)
    runner.start()
    deployment.start(port=port)  # starts, loads its model, then answers: meanwhile nginx waits or moves on
    time.sleep(1)
    stop.set()
    runner.join()
    assert statuses and set(statuses) == {200}


def test_corrections_survive_a_restart_of_every_replica(deployment):
    (_, base), *_ = deployment.replicas
    status, entry = call(f"{base}/api/feedback/", {"image": data_url(seven_png()), "true_label": "7"})
    assert status == 201
    ports = [int(b.rsplit(":", 1)[1]) for _, b in deployment.replicas]
    deployment.stop_all()
    bases = [deployment.start(port=port) for port in ports]
    wait_for(f"{bases[0]}/api/ready/")
    status, page = call(f"{bases[-1]}/api/feedback/?page_size=500", token=TOKEN)
    assert status == 200 and entry["id"] in [row["id"] for row in page["results"]]


def test_without_redis_predictions_go_on_and_readiness_says_what_is_missing(deployment):
    deployment.redis_process.terminate()
    deployment.redis_process.wait(timeout=10)
    status, body = call(f"{deployment.front}/api/predict-digit/", {"image": data_url(seven_png())})
    assert status == 200 and body["prediction"] == "7"
    status, ready = call(f"{deployment.front}/api/ready/")
    assert status == 200 and ready["ready"] is True
    assert ready["checks"]["cache"].startswith("unavailable") and ready["checks"]["database"] == "ok"
