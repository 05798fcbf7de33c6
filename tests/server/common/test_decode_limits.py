"""Images that cost: refused before decoding, decoding slots shared across processes, batches
bounded by their model's cost."""

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from backend import runtime
from devtools.images import data_url, seven_png
from model_core.imaging import decode
from tests.conftest import PREDICT

pytestmark = pytest.mark.django_db


def test_a_16_bit_rgba_image_at_the_pixel_limit_is_refused_before_decoding(client):
    raw = np.zeros((5000, 5000, 4), np.uint16)
    image = Image.frombuffer("RGBA", (5000, 5000), raw.astype(">u2").tobytes(), "raw", "RGBA;16B", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=9)
    response = client.post(PREDICT, {"image": data_url(buffer.getvalue())}, format="json")
    assert response.status_code == 413 and "MiB" in response.json()["detail"]


def test_when_every_big_decode_slot_is_taken_the_answer_is_503_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(decode, "BUSY_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)  # a canvas counts as big here
    taken = [decode._big_decodes.acquire() for _ in range(decode.BIG_DECODES_AT_ONCE)]
    try:
        busy = client.post(PREDICT, {"image": data_url(seven_png())}, format="json")
    finally:
        for _ in taken:
            decode._big_decodes.release()
    assert busy.status_code == 503 and busy.json()["code"] == "busy" and busy.headers["Retry-After"] == "1"
    assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200


def test_big_decodes_share_the_servers_slots_across_processes(client, monkeypatch, tmp_path):
    # Two slots for the whole server; another process holds both: a big image is answered
    # 503 at once, a small one as usual, and once a slot is free the big one is decoded.
    monkeypatch.setenv("MODEL_CORE_DECODE_SLOTS_DIR", str(tmp_path))
    monkeypatch.setenv("MODEL_CORE_DECODE_SLOTS", "2")
    runtime.shared_slots.cache_clear()
    runtime.install()
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)  # a canvas counts as big here
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SLOTS, str(tmp_path), "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = client.post(PREDICT, {"image": data_url(seven_png())}, format="json")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1 << 30)
        assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200
    finally:
        holder.kill()
        holder.wait()
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)
    assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200  # freed on death
    monkeypatch.undo()
    runtime.shared_slots.cache_clear()
    runtime.install()


HOLD_SLOTS = """
import fcntl, os, sys, time
fds = [os.open(os.path.join(sys.argv[1], f"slot-{k}"), os.O_RDWR | os.O_CREAT) for k in range(int(sys.argv[2]))]
for fd in fds:
    fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def test_a_big_pixel_body_takes_a_shared_slot_and_is_a_503_when_none_is_free(client, settings, monkeypatch):
    from model_core.imaging import decode

    settings.MAX_PIXEL_VALUES = 2_000_000
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)  # any pixel body counts as big here
    monkeypatch.setattr(decode, "BUSY_WAIT_SECONDS", 0.05)
    body = {"pixels": np.zeros((40, 40), int).tolist()}
    held = decode._big_decodes
    taken = [held.acquire(timeout=1) for _ in range(decode.BIG_DECODES_AT_ONCE)]
    try:
        busy = client.post(PREDICT, body, format="json")
        assert busy.status_code == 503 and busy.json()["code"] == "busy" and "Retry-After" in busy.headers
    finally:
        for ok in taken:
            if ok:
                held.release()
    assert client.post(PREDICT, body, format="json").status_code == 422  # given back after each request
    assert client.post(PREDICT, body, format="json").status_code == 422


def test_a_batch_is_bounded_by_what_its_model_costs(client, settings):
    from backend.common import registry
    from backend.predictions.services import batch_limit

    ensemble = registry.get_model("ensemble")
    limit = batch_limit(ensemble)
    assert 1 <= limit < settings.MAX_BATCH_SIZE == batch_limit(registry.get_model("cnn"))
    item = data_url(seven_png(64))
    over = client.post(PREDICT, {"model": "ensemble", "images": [item] * (limit + 1)}, format="json")
    assert over.status_code == 413 and over.json()["code"] == "batch_too_costly"
    within = client.post(PREDICT, {"model": "ensemble", "images": [item] * limit}, format="json")
    assert within.status_code == 200 and len(within.json()["results"]) == limit
