"""`make run` itself (scripts/serve.sh: nginx in front of gunicorn on a unix socket, Redis on
another): the addresses it prints answer at once, and clients at different addresses are
different clients to the throttles, the wrong-token lockout and the storage budgets."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from types import SimpleNamespace

import pytest

from devtools.images import data_url, seven_png
from devtools.servers import NGINX, REDIS_MISSING, ROOT, free_port

pytestmark = pytest.mark.skipif(
    not os.path.exists(NGINX) or bool(REDIS_MISSING), reason="make run's nginx and Redis are not installed"
)
API_PAGE = (ROOT / "docs" / "api.md").read_text()


@pytest.fixture(scope="module")
def make_run():
    """scripts/serve.sh on free ports with folders and a database of its own; yields the API's
    port and its run folder once it has printed the app's address."""
    api_port, web_port = free_port(), free_port()
    scratch = tempfile.mkdtemp(prefix="digits-make-run-")
    env = {
        **os.environ,
        "API_PORT": str(api_port),
        "WEB_PORT": str(web_port),
        "RUN_DIR": f"{scratch}/run",
        "DATABASE_URL": f"sqlite:///{scratch}/db.sqlite3",
        "STATIC_ROOT": f"{scratch}/static",
        "API_THROTTLE_PREDICT": "3/min",
        "API_THROTTLE_AUTH_FAILURES": "3/min",
        "FEEDBACK_CLIENT_BYTES_PER_DAY": "3000",
        "GUNICORN_ACCESS_LOG": "",
    }
    env.pop("REDIS_URL", None)
    env.pop("FEEDBACK_READ_TOKEN", None)  # make run makes one for this machine
    process = subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        printed = [process.stdout.readline() for _ in range(3)]
        assert printed[0].startswith("API  http://127.0.0.1:") and printed[1].startswith("App  "), printed
        assert "export FEEDBACK_READ_TOKEN=$(cat " in printed[2], printed
        yield SimpleNamespace(port=api_port, run_dir=f"{scratch}/run")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    left = os.path.exists(f"{scratch}/run/metrics")
    shutil.rmtree(scratch, ignore_errors=True)
    assert not left, "make run leaves its workers' counters behind"


def call(port: int, source: str, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    """One request to 127.0.0.1:port from the loopback address `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, payload, {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


A, B = "127.0.0.21", "127.0.0.22"


def test_the_printed_address_answers_at_once(make_run):
    status, body = call(make_run.port, "127.0.0.1", "GET", "/api/ready/")
    assert status == 200 and body["ready"] is True


def test_two_addresses_are_two_clients_to_the_prediction_throttle(make_run):
    seven = {"image": data_url(seven_png())}
    first = [call(make_run.port, A, "POST", "/api/predict-digit/", seven)[0] for _ in range(4)]
    assert first == [200, 200, 200, 429]
    assert call(make_run.port, B, "POST", "/api/predict-digit/", seven)[0] == 200


def local_token(make_run) -> str:
    path = f"{make_run.run_dir}/feedback-read-token"
    assert os.stat(path).st_mode & 0o777 == 0o600, "the token file is readable by others"
    with open(path) as file:
        return file.read().strip()


def test_wrong_tokens_from_one_address_do_not_lock_out_another(make_run):
    wrong = {"Authorization": "Bearer guess"}
    guesses = [call(make_run.port, A, "GET", "/api/feedback/", headers=wrong)[0] for _ in range(4)]
    assert guesses == [401, 401, 401, 429]
    assert (
        call(make_run.port, B, "GET", "/api/feedback/", headers={"Authorization": f"Bearer {local_token(make_run)}"})[0]
        == 200
    )


def test_one_addresss_storage_budget_is_its_own(make_run):
    correction = {"image": data_url(seven_png()), "true_label": "7"}
    answers = [call(make_run.port, A, "POST", "/api/feedback/", correction) for _ in range(6)]
    assert answers[0][0] == 201 and answers[-1][0] == 429, [s for s, _ in answers]
    assert answers[-1][1]["code"] == "feedback_client_budget"
    assert call(make_run.port, B, "POST", "/api/feedback/", correction)[0] == 201


def test_a_client_cannot_name_itself_through_x_forwarded_for(make_run):
    # nginx replaces the header with the connection's own address: a third address that
    # claims to be a fresh one is still itself.
    seven = {"image": data_url(seven_png())}
    claims = [
        call(make_run.port, "127.0.0.23", "POST", "/api/predict-digit/", seven, {"X-Forwarded-For": f"10.1.1.{i}"})[0]
        for i in range(4)
    ]
    assert claims == [200, 200, 200, 429]


def test_predictions_go_on_while_redis_is_stopped_and_it_comes_back(make_run):
    socket = f"{make_run.run_dir}/redis.sock"
    found = subprocess.run(["pgrep", "-f", socket], capture_output=True, text=True).stdout.split()
    assert found, "make run started no Redis"
    for pid in found:
        os.kill(int(pid), signal.SIGKILL)
    seven = {"image": data_url(seven_png())}
    answers = [call(make_run.port, "127.0.0.31", "POST", "/api/predict-digit/", seven)[0] for _ in range(3)]
    assert answers == [200, 200, 200]
    status, body = call(make_run.port, "127.0.0.31", "GET", "/api/ready/")
    assert status == 200 and body["ready"] is True
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # serve.sh starts it again
        again = subprocess.run(["pgrep", "-f", socket], capture_output=True, text=True).stdout.split()
        if again and again != found:
            break
        time.sleep(0.2)
    assert again and again != found, "Redis was not started again"


def test_the_docs_corrections_block_runs_as_written_against_make_run(make_run, tmp_path):
    block = next(b for b in re.findall(r"```sh\n(.*?)```", API_PAGE, re.S) if "Idempotency-Key" in b)
    shutil.copy(ROOT / "tests/fixtures/digit7.png", tmp_path / "digit.png")
    script = block.replace("localhost:8000", f"127.0.0.1:{make_run.port}")
    script = script.replace("var/run/feedback-read-token", f"{make_run.run_dir}/feedback-read-token")
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert (tmp_path / "feedback.csv").read_text().startswith("label,pixel0")
