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


def test_the_digits_pieces_are_grouped_as_one_by_one_growth_groups_them():
    # digit_box grows the group a whole pass at a time (a page of noise has thousands of
    # pieces); the group is the same closure as adding the pieces one at a time.
    from model_core.imaging import pieces as module
    from model_core.imaging.decode import DEFAULT_LIMITS

    def one_by_one(mask):
        found = module.pieces(mask, None)
        seed = max(found, key=lambda p: p.mass)
        reach, box = module.NEAR * seed.size, seed.box
        rest = [p for p in found if p is not seed and p.mass >= module.DUST * seed.mass]
        grew = True
        while grew:
            grew = False
            for piece in list(rest):
                top, left, bottom, right = piece.box
                gap = max(0, box[0] - bottom, top - box[2], box[1] - right, left - box[3])
                if gap <= reach:
                    box, grew = module.union(box, piece.box), True
                    rest.remove(piece)
        return box

    rng = np.random.default_rng(6)
    for _ in range(30):
        mask = np.zeros((120, 120), bool)  # pieces clear of the border: none is a page's edge
        mask[40:80, 50:54] = True  # a stroke the group grows from
        for _ in range(rng.integers(2, 60)):
            top, left = rng.integers(2, 108, 2)
            mask[top : top + rng.integers(1, 10), left : left + rng.integers(1, 10)] = True
        assert module.digit_box(mask, None, DEFAULT_LIMITS) == one_by_one(mask)
