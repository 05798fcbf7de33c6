"""Small images (at most 64 px) are crops of one digit, in either polarity: every stroke is
kept, and only an image with no ink to speak of is "nothing drawn"; pages keep their rules."""

import io

import numpy as np
import pytest
from PIL import Image

from devtools.images import data_url
from model_core.data.synth import small_scan
from model_core.imaging.decode import EmptyImageError
from model_core.imaging.preprocess import preprocess

PREDICT = "/api/predict-digit/"


def png(grey: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, "PNG")
    return buffer.getvalue()


def scans(mnist_test, size: int, count: int, seed: int) -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(seed)
    return [(small_scan(mnist_test.images[i], size, rng), int(mnist_test.labels[i])) for i in range(count)]


def test_a_16_px_scan_and_its_inverse_give_the_same_answer_and_the_right_one(client, mnist_test):
    for scan, label in scans(mnist_test, 16, 12, seed=1):
        answers = [
            client.post(PREDICT, {"image": data_url(png(grey))}, format="json").json() for grey in (scan, 255 - scan)
        ]
        assert answers[0]["prediction"] == answers[1]["prediction"] == str(label)
        assert answers[0]["processed_image"] == answers[1]["processed_image"]


def test_a_12_px_digit_is_read(client, mnist_test):
    read = [
        client.post(PREDICT, {"image": data_url(png(scan))}, format="json").json().get("prediction") == str(label)
        for scan, label in scans(mnist_test, 12, 20, seed=2)
    ]
    assert sum(read) >= 18, read  # about 96% at 12 px: the network's limit, not the path's


@pytest.mark.parametrize("dark_ink", [True, False])
def test_four_pixels_forty_levels_off_the_background_are_ink(dark_ink):
    rng = np.random.default_rng(3)
    level = 200 if dark_ink else 40
    paper = np.clip(rng.normal(level, 2, (16, 16)), 0, 255)
    paper[6:10, 8] = level - 40 if dark_ink else level + 40  # a faint stroke, four pixels long
    crop = preprocess(np.rint(paper).astype(np.uint8))
    assert crop.max() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("speck", [0, 1, 3])
def test_a_blank_or_nearly_blank_16_px_image_is_nothing_drawn(client, speck):
    rng = np.random.default_rng(4)
    grey = np.clip(rng.normal(220, 3, (16, 16)), 0, 255)
    grey[5, 5 : 5 + speck] = 60  # a speck of up to three pixels: too little to be a digit
    response = client.post(PREDICT, {"image": data_url(png(np.rint(grey).astype(np.uint8)))}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "empty_image"


def test_a_page_with_a_speck_is_still_a_page(mnist_test):
    # Over 64 px the page's rules hold: a speck on a 200 px page is no digit.
    rng = np.random.default_rng(5)
    page = np.clip(rng.normal(215, 3, (200, 200)), 0, 255)
    page[100:103, 120:123] = 40
    with pytest.raises(EmptyImageError):
        preprocess(np.rint(page).astype(np.uint8))
