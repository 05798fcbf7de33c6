"""Corrections: stored durably, listed and exported only with a token, and usable for fine-tuning."""

import base64
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from devtools.servers import ROOT, start_api
from model_core import load_model
from model_core.data.datasets import read_csv
from model_core.imaging.encode import to_png
from tests.conftest import TOKEN

pytestmark = pytest.mark.django_db


def png_url(image28):
    return "data:image/png;base64," + base64.b64encode(to_png(image28)).decode()


def png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))


def correction(mnist_test, i, **extra):
    image = mnist_test.images[i] / 255.0
    return {"image": png_url(image), "predicted_label": "1", "true_label": str(mnist_test.labels[i]), **extra}


def test_feedback_is_stored_with_its_processed_image(client, mnist_test):
    response = client.post("/api/feedback/", correction(mnist_test, 0, model="mlp"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["true_label"] == "7" and body["predicted_label"] == "1" and body["model"] == "mlp"
    assert body["model_version"] == load_model("mlp").version  # filled in when not sent
    assert body["processed_image"].startswith("data:image/png;base64,")
    from backend.feedback.models import Feedback

    entry = Feedback.objects.get(pk=body["id"])
    assert entry.original_type == "image/png" and len(bytes(entry.processed)) == 784
    sent = base64.b64decode(correction(mnist_test, 0)["image"].split(",", 1)[1])
    # What was drawn is kept pixel for pixel (decoded and stored again as a PNG).
    np.testing.assert_array_equal(png_pixels(bytes(entry.original)), png_pixels(sent))
    assert body["reviewed"] is False and entry.stored_bytes == len(bytes(entry.original)) + 784


def test_feedback_accepts_pixels_and_uploads(client, mnist_test):
    pixels = client.post("/api/feedback/", {"pixels": mnist_test.images[1].tolist(), "true_label": "2"}, format="json")
    assert pixels.status_code == 201
    upload = io.BytesIO(to_png(mnist_test.images[2] / 255.0))
    upload.name = "d.png"
    form = client.post("/api/feedback/", {"file": upload, "true_label": "1"}, format="multipart")
    assert form.status_code == 201, form.content


@pytest.mark.parametrize(
    "change,status,code",
    [
        ({"true_label": "eleven"}, 400, "invalid_label"),
        ({"true_label": "x"}, 422, "invalid_label"),  # a letter, but not one the digit model has
        ({"true_label": ""}, 400, "invalid_input"),
        ({"image": None}, 400, "invalid_input"),
        ({"model": "nope"}, 400, "unknown_model"),
    ],
)
def test_bad_feedback_is_refused_and_nothing_is_stored(client, mnist_test, change, status, code):
    from backend.feedback.models import Feedback

    payload = {k: v for k, v in {**correction(mnist_test, 0), **change}.items() if v is not None}
    response = client.post("/api/feedback/", payload, format="json")
    assert response.status_code == status and response.json()["code"] == code
    assert Feedback.objects.count() == 0


def test_feedback_for_an_empty_canvas_is_422(client):
    response = client.post("/api/feedback/", {"pixels": [[0] * 28] * 28, "true_label": "3"}, format="json")
    assert response.status_code == 422


def test_anonymous_reads_are_refused(client, mnist_test):
    client.post("/api/feedback/", correction(mnist_test, 0), format="json")
    for url in ("/api/feedback/", "/api/feedback/export/"):
        anonymous = client.get(url)
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        wrong = client.get(url, HTTP_AUTHORIZATION="Bearer wrong")
        assert wrong.status_code == 401 and wrong.json()["code"] == "authentication_failed"


def test_reads_say_they_are_switched_off_when_no_token_is_configured(client, settings, mnist_test):
    settings.FEEDBACK_READ_TOKEN = ""
    assert client.post("/api/feedback/", correction(mnist_test, 0), format="json").status_code == 201
    for url in ("/api/feedback/", "/api/feedback/export/", "/api/feedback/1/"):
        for header in ({}, {"HTTP_AUTHORIZATION": "Bearer "}, {"HTTP_AUTHORIZATION": "Bearer anything"}):
            response = client.get(url, **header) if not url.endswith("1/") else client.delete(url, **header)
            body = response.json()
            assert response.status_code == 403 and body["code"] == "reading_disabled", (url, header)
            assert "start it with FEEDBACK_READ_TOKEN set" in body["detail"]  # the server's setting


def test_list_is_paginated_newest_first(client, mnist_test):
    for i in range(3):
        assert client.post("/api/feedback/", correction(mnist_test, i), format="json").status_code == 201
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    page = client.get("/api/feedback/?page_size=2", **auth).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert [r["true_label"] for r in page["results"]] == [str(mnist_test.labels[2]), str(mnist_test.labels[1])]
    second = client.get("/api/feedback/?page_size=2&page=2", **auth).json()
    assert [r["true_label"] for r in second["results"]] == [str(mnist_test.labels[0])]
    # What the schema documents is checked, not quietly replaced by the default.
    for query in ("page_size=abc", "page_size=0", "page_size=501", "page=0", "page=1&page=2"):
        response = client.get(f"/api/feedback/?{query}", **auth)
        assert response.status_code == 400 and query.split("=")[0] in response.json()["errors"], query
    assert client.get("/api/feedback/?page=3&page_size=2", **auth).status_code == 404  # past the last page


def test_export_round_trips_into_the_training_loader(client, mnist_test, tmp_path):
    for i in range(4):
        client.post("/api/feedback/", correction(mnist_test, i), format="json")
    response = client.get("/api/feedback/export/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    path = tmp_path / "feedback.csv"
    path.write_bytes(b"".join(response.streaming_content))
    images, labels = read_csv(path)
    assert images.shape == (4, 28, 28) and labels.tolist() == mnist_test.labels[:4].tolist()
    # MNIST test digits pass through preprocessing almost unchanged, so the export is near the original.
    assert np.abs(images.astype(int) - mnist_test.images[:4]).mean() < 3


def test_acknowledged_feedback_survives_a_kill(tmp_path, mnist_test):
    db = tmp_path / "feedback.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "backend.config.settings"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    process, base = start_api({"DATABASE_URL": f"sqlite:///{db}"})
    try:
        body = json.dumps(correction(mnist_test, 0)).encode()
        request = urllib.request.Request(f"{base}/api/feedback/", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            stored_id = json.loads(response.read())["id"]
        os.killpg(process.pid, signal.SIGKILL)  # no shutdown, no chance to flush anything
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, true_label, length(processed) FROM api_feedback").fetchall()
    assert rows == [(stored_id, "7", 784)]


def test_finetune_on_corrections_writes_a_loadable_model_recording_its_parent(tmp_path, mnist_test):
    from model_core.data.datasets import write_csv

    extra = tmp_path / "feedback.csv"
    write_csv(extra, mnist_test.images[:20], mnist_test.labels[:20])
    out = tmp_path / "mlp-ft"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "model_core",
            "finetune",
            "--base",
            "mlp",
            "--extra",
            str(extra),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--limit",
            "2000",
            "--quiet",
            "--promote",
            str(tmp_path / "promoted"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    model = load_model(out)
    parent = load_model("mlp")
    assert model.card["parent"] == f"mlp@{parent.version}"
    assert model.card["training"]["finetune"]["extra_samples"] == 20
    assert model.deskews == parent.deskews  # the base model's input recipe carries over
    assert "finetune" in model.card["training"]["command"]
    assert model.version != parent.version
    assert model.predict_proba(mnist_test.images[:5] / 255.0).shape == (5, 10)
    # Promoted exactly when not worse than its parent on the validation images both were scored on.
    after, before = map(float, re.search(r"validation ([\d.]+)% \(parent ([\d.]+)%\)", result.stdout).groups())
    assert after == pytest.approx(model.card["metrics"]["validation_accuracy"] * 100, abs=0.006)
    promoted = (tmp_path / "promoted.json").exists()
    assert promoted == (after >= before) == ("promoted to" in result.stdout)
