"""Phone photos of digits on paper (model_core.data.synth.phone_photo): uneven light, faint or
coloured ink, ruled lines, shadows, EXIF orientation; and the decode of a big photo at
reduced size. A slice of benchmarks/photos.py, which reports the full figures."""

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from model_core import load_model
from model_core.data.synth import phone_photo
from model_core.imaging.decode import WORK_MAX, WORK_MIN, EmptyImageError, decode_bytes
from model_core.imaging.preprocess import preprocess

HARD = {
    "strong gradient": {"gradient": 70.0, "paper": 190.0},
    "faint ink": {"contrast": 0.4, "ink": "grey"},
    "blue ink": {"ink": "blue", "contrast": 0.5},
    "ruled lines": {"lines": "ruled", "rotation": 8.0},
    "squared paper": {"lines": "squared", "rotation": -6.0},
    "shadow": {"shadow": 0.35, "gradient": 40.0},
    "sideways with EXIF": {"sideways": True},
    "blurred, JPEG 60": {"blur": 1.5, "quality": 60},
}


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.mark.parametrize("condition", list(HARD), ids=list(HARD))
def test_hard_photos_are_read_as_the_right_digit(model, mnist_test, condition):
    rng = np.random.default_rng(sum(map(ord, condition)))
    wrong = []
    for i in (0, 1, 2, 3, 4, 7):  # 7 2 1 0 4 9
        data, conditions = phone_photo(mnist_test.images[i], rng, **HARD[condition])
        x = preprocess(data)
        predicted = int(model.predict(x[None])[0])
        if predicted != mnist_test.labels[i]:
            wrong.append((int(mnist_test.labels[i]), predicted, conditions))
    assert not wrong, wrong


@pytest.mark.parametrize("lines", ["none", "ruled", "squared"])
def test_a_blank_page_is_still_nothing_drawn(lines):
    rng = np.random.default_rng(3)
    for _ in range(3):
        data, _ = phone_photo(None, rng, lines=lines, gradient=60.0, shadow=0.3 if lines == "none" else 0.0)
        with pytest.raises(EmptyImageError, match="nothing drawn"):
            preprocess(data)


def test_a_stray_speck_far_from_the_digit_is_dropped(mnist_test):
    # Paper, with its grain (a flat page of one grey would be read as a drawing, inverted).
    page = np.clip(225 + np.random.default_rng(0).normal(0, 3, (600, 800)), 0, 255).astype(np.uint8)
    digit = np.asarray(Image.fromarray(255 - mnist_test.images[0]).resize((200, 200), Image.Resampling.BICUBIC))
    page[150:350, 300:500] = np.minimum(page[150:350, 300:500], digit)
    alone = preprocess(page.copy())
    page[560:575, 40:55] = 30  # a speck of dirt near the corner
    page[0:600, 790:800] = 60  # the page's edge, dark, along one side
    # The same crop (taking either in would move the digit), its levels read off a border that now has an edge.
    np.testing.assert_allclose(preprocess(page), alone, atol=0.05)


def test_a_big_photo_is_decoded_at_reduced_size(mnist_test):
    data, _ = phone_photo(mnist_test.images[0], np.random.default_rng(1), long_side=4000, quality=85)
    assert max(Image.open(io.BytesIO(data)).size) == 4000
    image = decode_bytes(data)
    assert WORK_MIN <= max(image.size) <= WORK_MAX and image.mode == "L"


def _page_with(digit: np.ndarray, height: int, size=(900, 1200), seed: int = 0) -> tuple[np.ndarray, tuple[int, int]]:
    """Grainy paper (grey 215) with an MNIST digit written dark, `height` px tall, its top-left
    at a fixed place; the page as float levels, and where the digit is."""
    rng = np.random.default_rng(seed)
    page = 215 + rng.normal(0, 3, size)
    ink = np.asarray(Image.fromarray(digit).resize((height, height), Image.Resampling.BICUBIC), np.float64) / 255
    y, x = size[0] // 3, size[1] // 2
    page[y : y + height, x : x + height] *= 1 - 0.75 * ink
    return page, (y, x)


def _jpeg(page: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_a_ruled_line_through_a_six_is_taken_out(model, mnist_test):
    six = mnist_test.images[int(np.flatnonzero(mnist_test.labels == 6)[0])]
    page, (y, x) = _page_with(six, 240)
    for row in range(y + 120 - 3 * 70, 900, 70):  # ruled every 70 px, one line through the 6's middle
        page[row : row + 3] *= 0.72
    assert int(model.predict(preprocess(_jpeg(page))[None])[0]) == 6


def test_a_shadow_over_half_the_page_is_not_taken_for_ink(model, mnist_test):
    for index in range(3):
        digit, label = mnist_test.images[index], int(mnist_test.labels[index])
        page, (y, x) = _page_with(digit, 200, seed=index)
        ys, xs = np.mgrid[0:900, 0:1200]
        # A shadow over half the page, its edge (a penumbra of a few pixels, as a hand's or a
        # phone's casts) running along the digit.
        shadow = ndimage.gaussian_filter(((xs - x - 230) + 0.6 * (ys - y) > 0).astype(float), 4)
        page *= 1 - 0.4 * shadow
        assert int(model.predict(preprocess(_jpeg(page))[None])[0]) == label


def test_a_forty_pixel_digit_on_a_twelve_megapixel_page_is_found(model, mnist_test):
    # Decoded at a quarter (1000 px) the digit is 10 px: found there, then looked at again finer.
    rng = np.random.default_rng(40)
    for i in (0, 1, 2):
        data, conditions = phone_photo(
            mnist_test.images[i], rng, long_side=4000, digit_share=40 / 3000, quality=90, lines="none"
        )
        assert int(model.predict(preprocess(data)[None])[0]) == mnist_test.labels[i], conditions
