"""Phone photos of digits on paper (model_core.data.synth.phone_photo): uneven light, faint or
coloured ink, ruled lines, shadows, EXIF orientation; and the decode of a big photo at
reduced size. A slice of benchmarks/photos.py, which reports the full figures."""

import io

import numpy as np
import pytest
from PIL import Image

from model_core import load_model
from model_core.data.synth import phone_photo
from model_core.imaging.decode import WORK_MAX, WORK_MIN, decode_bytes
from model_core.imaging.preprocess import EmptyImageError, preprocess

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
