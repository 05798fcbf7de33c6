"""Request forms and their details: charsets, empty and full-width values, metric labels from
closed sets, metrics tokens throttled, exited workers' counts archived."""

import io
import json
import os
import subprocess
import sys

import pytest

from devtools.images import data_url, seven_png
from tests.conftest import FEEDBACK, PREDICT


def test_json_in_another_charset_is_415_and_utf16_is_read(client):
    body = json.dumps({"pixels": [[0, 1], [1, 0]] * 4})
    ebcdic = client.post(PREDICT, body.encode("cp500"), content_type="application/json; charset=cp500")
    assert ebcdic.status_code == 415 and ebcdic.json()["code"] == "unsupported_media_type"
    for method in (client.post, client.patch):
        assert method(FEEDBACK, b"{}", content_type="application/json; charset=cp500").status_code in (401, 405, 415)
    seven = json.dumps({"image": data_url(seven_png())})
    utf16 = client.post(PREDICT, seven.encode("utf-16"), content_type="application/json; charset=utf-16")
    assert utf16.status_code == 200 and utf16.json()["prediction"] == "7"


def test_odd_methods_add_no_metric_series(client):
    from backend.common.metrics import METHODS, REQUESTS

    for k in range(30):
        client.generic(f"M{k}X", "/api/health/")
    methods = {s.labels["method"] for metric in REQUESTS.collect() for s in metric.samples}
    assert methods <= METHODS | {"other"} and "other" in methods


def test_an_exited_workers_counts_are_archived_and_its_files_removed(tmp_path):
    from backend.common.metrics import archive_worker

    script = (
        "from prometheus_client import Counter; c = Counter('t_total', 'x', ['k']); "
        "c.labels(k='a').inc(3); import os; print(os.getpid())"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    pids = [int(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True).stdout)]
    pids.append(int(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True).stdout))
    for pid in pids:
        archive_worker(pid, str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_archive.db"]
    from prometheus_client import CollectorRegistry, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, str(tmp_path))
    totals = {s.name: s.value for metric in registry.collect() for s in metric.samples}
    assert totals["t_total"] == 6.0


def test_wrong_metrics_tokens_are_throttled(client, settings):
    settings.METRICS_TOKEN = "operator-token"
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_failures": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    guesses = [client.get("/api/metrics/", HTTP_AUTHORIZATION=f"Bearer guess-{i}").status_code for i in range(5)]
    assert guesses == [401, 401, 401, 429, 429]
    right = client.get("/api/metrics/", HTTP_AUTHORIZATION="Bearer operator-token", REMOTE_ADDR="10.9.8.7")
    assert right.status_code == 200


@pytest.mark.parametrize(
    "form",
    [{"model": ""}, {"top_k": ""}, {"top_k": "\uff11"}],
    ids=["empty model", "empty top_k", "full-width top_k"],
)
def test_a_forms_empty_or_full_width_values_are_400_as_in_json(client, form):
    upload = client.post(PREDICT, {"image": io.BytesIO(seven_png()), **form}, format="multipart")
    assert upload.status_code == 400 and upload.json()["code"] == "invalid_input"


def test_full_width_digits_in_a_query_are_400(client):
    assert client.get("/api/display-images/?count=\uff13").status_code == 400
    assert client.get("/api/display-images/?count=3").status_code == 200
