"""The third hardening pass: files that cost seconds, charsets, metric labels, image modes and
multi-picture JPEGs, requests that hold a slot, failing neighbours (Redis, the database), and
the small ones (empty form values, full-width digits, the stored model version)."""

import io
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from django.db import OperationalError
from PIL import Image

from devtools.images import data_url, rle_bmp, seven_png
from model_core.imaging import decode

PREDICT, FEEDBACK, READY = "/api/predict-digit/", "/api/feedback/", "/api/ready/"


def test_a_big_run_length_bmp_is_refused_before_its_slow_decode(client):
    started = time.perf_counter()
    response = client.post(PREDICT, {"images": [data_url(rle_bmp(4000))] * 8}, format="json")
    assert response.status_code == 413 and "run-length" in response.json()["detail"]
    assert time.perf_counter() - started < 2  # 2-2.5 s a file when decoded
    small = client.post(PREDICT, {"image": data_url(rle_bmp(300))}, format="json")
    assert small.status_code in (200, 422)  # decoded: read, or nothing drawn


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


def test_a_multi_picture_jpeg_is_decoded_at_reduced_size():
    photo = np.full((3000, 4000, 3), 230, np.uint8)
    photo[1000:2000, 1800:2200] = 20
    buffer = io.BytesIO()
    image = Image.fromarray(photo)
    image.save(buffer, "MPO", save_all=True, append_images=[image.resize((400, 300))], quality=90)
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    decoded = decode.decode_bytes(buffer.getvalue())
    assert max(decoded.size) <= decode.WORK_MAX and decoded.mode == "L"


@pytest.mark.parametrize("mode", ["P", "1", "I;16", "GIF", "BMP"])
def test_images_of_every_mode_over_the_working_size_are_read(client, mode):
    ink = np.zeros((2000, 2000), np.uint8)
    ink[500:1500, 950:1050] = 255  # a 1
    image = Image.fromarray(ink)
    fmt = "PNG"
    if mode in ("P", "1"):
        image = image.convert(mode)
    elif mode == "I;16":
        image = Image.fromarray(ink.astype(np.uint16) * 257)
    else:
        fmt = mode
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    response = client.post(PREDICT, {"image": data_url(buffer.getvalue())}, format="json")
    assert response.status_code == 200 and response.json()["prediction"] == "1", response.content[:200]


def test_a_batch_of_a_big_pixel_body_and_a_big_image_takes_one_slot(client, settings, monkeypatch):
    settings.MAX_PIXEL_VALUES = 2_000_000
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)  # both parts count as big here
    monkeypatch.setattr(decode, "BUSY_WAIT_SECONDS", 0.05)
    held = [decode._big_decodes.acquire(timeout=1) for _ in range(decode.BIG_DECODES_AT_ONCE - 1)]
    try:  # one slot left: the body takes it, and its image decodes within it
        body = {"images": [np.zeros((40, 40), int).tolist(), data_url(seven_png())]}
        response = client.post(PREDICT, body, format="json")
    finally:
        for ok in held:
            if ok:
                decode._big_decodes.release()
    assert response.status_code == 422  # answered (the empty pixel array is nothing drawn), not 503 busy


def test_a_requests_images_decode_within_one_budget(client, settings):
    settings.MAX_REQUEST_DECODE_BYTES = 280 * 280 * 5 // 2  # two and a half grey canvases
    one = data_url(seven_png())
    assert client.post(PREDICT, {"images": [one, one]}, format="json").status_code == 200
    over = client.post(PREDICT, {"images": [one, one, one]}, format="json")
    assert over.status_code == 413 and "in all" in over.json()["detail"]


def test_readiness_is_degraded_not_down_when_the_database_is_and_hides_its_details(client, settings, monkeypatch):
    from backend.health import selectors

    def down():
        raise OperationalError('connection to server at "db.internal" (10.1.2.3), port 5432 failed: user digits')

    monkeypatch.setattr(selectors, "_database_round_trip", down)
    anonymous = client.get(READY)
    body = anonymous.json()
    assert anonymous.status_code == 200 and body["ready"] is True and body["status"] == "degraded"
    assert body["checks"]["database"] == "unavailable" and "10.1.2.3" not in anonymous.content.decode()
    settings.METRICS_TOKEN = "operator-token"
    operator = client.get(READY, HTTP_AUTHORIZATION="Bearer operator-token").json()
    assert "10.1.2.3" in operator["checks"]["database"]


def test_corrections_answer_503_with_retry_after_while_the_database_is_down(client, monkeypatch):
    from backend.feedback import services

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "feedback_purge_expired", down)
    response = client.post(FEEDBACK, {"image": data_url(seven_png()), "true_label": "7"}, format="json")
    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200


@pytest.mark.django_db
def test_a_correction_over_the_budget_is_refused_before_its_image_is_decoded(client, settings, monkeypatch):
    from backend.feedback import services

    settings.FEEDBACK_CLIENT_BYTES_PER_DAY = 3000
    payload = {"image": data_url(seven_png()), "true_label": "7"}
    while client.post(FEEDBACK, payload, format="json").status_code == 201:
        pass
    decoded = []
    original = services.correction_images
    monkeypatch.setattr(services, "correction_images", lambda *a, **k: decoded.append(1) or original(*a, **k))
    assert client.post(FEEDBACK, payload, format="json").status_code == 429 and not decoded


def test_a_hung_or_missing_redis_costs_one_short_wait_and_the_fallback_counts(settings, caplog, tmp_path):
    from backend.common import throttling

    settings.REDIS_URL = f"unix://{tmp_path}/nobody-listens.sock"
    settings.THROTTLE_DB = ""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "predict": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    throttling._redis_failed[0] = 0.0
    try:
        with caplog.at_level("WARNING", logger="backend.api"):
            answers = [throttling.take("predict", "10.0.0.1")[0] for _ in range(5)]
        assert answers == [True, True, True, False, False]  # still counted, in the fallback
        assert sum("Redis unavailable" in r.message for r in caplog.records) == 1  # said once
    finally:
        throttling._redis_failed[0] = 0.0
        throttling._store.cache_clear()


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


@pytest.mark.django_db
def test_the_stored_model_version_is_the_servers_own(client):
    from backend.common.registry import get_model
    from backend.feedback.models import Feedback

    sent = {"image": data_url(seven_png()), "true_label": "7", "model_version": "2020-01-01.deadbeef"}
    stored = client.post(FEEDBACK, sent, format="json")
    assert stored.status_code == 201
    assert Feedback.objects.get(pk=stored.json()["id"]).model_version == get_model().version
