"""The shipped model on digits drawn the way users draw them (a small slice of
benchmarks/robustness.py, which reports the full figures)."""

import numpy as np
import pytest

from model_core import load_model
from model_core.data.synth import VARIANTS, handwriting_fonts, redraw_mnist, render_font_digit
from model_core.imaging.preprocess import preprocess


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.mark.parametrize("variant", VARIANTS)
def test_redrawn_canvas_digits_are_recognised_like_mnist_itself(model, mnist_test, variant):
    rng = np.random.default_rng(11)
    index = rng.choice(len(mnist_test), 300, replace=False)
    images = np.stack([preprocess(redraw_mnist(mnist_test.images[i], rng, variant)) for i in index])
    redrawn = (model.predict(images) == mnist_test.labels[index]).mean()
    raw = (model.predict(mnist_test.images[index] / 255.0) == mnist_test.labels[index]).mean()
    assert redrawn >= raw - 0.02, (redrawn, raw)


def test_whole_canvas_shrinking_would_fail_where_preprocessing_succeeds(model, mnist_test):
    """The seeds' mistake, reproduced: shrink the whole 280×280 canvas to 28×28."""
    from io import BytesIO

    from PIL import Image

    rng = np.random.default_rng(3)
    index = rng.choice(len(mnist_test), 200, replace=False)
    naive, ours = [], []
    for i in index:
        png = redraw_mnist(mnist_test.images[i], rng, "canvas_png")
        canvas = Image.open(BytesIO(png)).convert("L").resize((28, 28), Image.Resampling.BOX)
        naive.append(np.asarray(canvas, np.float32) / 255)
        ours.append(preprocess(png))
    labels = mnist_test.labels[index]
    naive_accuracy = (model.predict(np.stack(naive)) == labels).mean()
    our_accuracy = (model.predict(np.stack(ours)) == labels).mean()
    # Measured on 1,000 such digits: 99.4% ours, 80.8% shrunk. A 10-point margin survives retraining.
    assert our_accuracy > 0.97 and our_accuracy > naive_accuracy + 0.1, (our_accuracy, naive_accuracy)


@pytest.mark.skipif(not handwriting_fonts(), reason="no Debian fonts installed (apt-get install fonts-dejavu-core)")
def test_typeset_digits_are_recognised(model):
    rng = np.random.default_rng(5)
    fonts = handwriting_fonts()
    images, labels = [], []
    for font in fonts:
        for digit in range(10):
            images.append(preprocess(render_font_digit(str(digit), font, rng)))
            labels.append(digit)
    accuracy = (model.predict(np.stack(images)) == np.array(labels)).mean()
    assert accuracy >= 0.95, accuracy
