"""Files that would cost seconds or fail to decode: run-length BMPs, multi-picture JPEGs, every
image mode over the working size, one slot and one budget a request."""

import io
import time

import numpy as np
import pytest
from PIL import Image

from devtools.images import data_url, rle_bmp, seven_png
from model_core.imaging import decode
from tests.conftest import PREDICT


def test_a_big_run_length_bmp_is_refused_before_its_slow_decode(client):
    started = time.perf_counter()
    response = client.post(PREDICT, {"images": [data_url(rle_bmp(4000))] * 8}, format="json")
    assert response.status_code == 413 and "run-length" in response.json()["detail"]
    assert time.perf_counter() - started < 2  # 2-2.5 s a file when decoded
    small = client.post(PREDICT, {"image": data_url(rle_bmp(300))}, format="json")
    assert small.status_code in (200, 422)  # decoded: read, or nothing drawn


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
