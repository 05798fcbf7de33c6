from pathlib import Path

import numpy as np
import pytest
from rest_framework.test import APIClient

from model_core.data.datasets import load_mnist


@pytest.fixture(scope="session")
def mnist_train():
    return load_mnist("train")


@pytest.fixture(scope="session")
def mnist_test():
    return load_mnist("test")


@pytest.fixture(scope="session")
def small_split(mnist_train):
    """3,000 training and 1,000 validation images: enough for a network to visibly learn."""
    rng = np.random.default_rng(0)
    order = rng.permutation(len(mnist_train))
    return mnist_train.subset(order[:3000]), mnist_train.subset(order[3000:4000])


def pytest_collection_modifyitems(items):
    """Every test under tests/system/ is a system test (`pytest -m "not system"`: the fast part)."""
    system = Path(__file__).parent / "system"
    for item in items:
        if system in Path(item.fspath).parents:
            item.add_marker(pytest.mark.system)


PREDICT, FEEDBACK, READY = "/api/predict-digit/", "/api/feedback/", "/api/ready/"
FIXTURES = Path(__file__).parent / "fixtures"  # what every test folder reads its fixtures from
TOKEN = "test-read-token"  # the corrections' read token the in-process API is given


@pytest.fixture
def client(settings):
    """DRF's test client against the in-process API, which reads corrections with TOKEN."""
    settings.FEEDBACK_READ_TOKEN = TOKEN
    return APIClient()


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Every test starts with no request counted against any client (in-process counts)."""
    from backend.common.throttling import LocalLog, store

    counts = store()
    if isinstance(counts, LocalLog):
        counts.clear()
    yield


@pytest.fixture(scope="session")
def characters_model():
    from model_core import load_model

    return load_model("characters")


@pytest.fixture(scope="session")
def emnist_validation():
    from model_core.data.emnist import load_characters

    return load_characters("validation")


@pytest.fixture(scope="session")
def clear_glyph(characters_model, emnist_validation):
    """The first EMNIST validation glyph of a character's class that the characters model reads
    as that character on its own, first and at least 90% (a 1 at least 50%: the network shares
    a plain stroke with I and l), either case: what a test writes words with, so that it tests
    the reading of a line, not the network's doubt about one glyph."""
    from model_core.data.words import glyph_class
    from model_core.reading.spelling import folded

    data = emnist_validation
    found = {}

    def glyph(character: str) -> np.ndarray:
        k = glyph_class(character)
        if k not in found:
            candidates = np.flatnonzero(data.labels == k)[:2000]
            probs = folded(characters_model.scores(data.images[candidates].astype(np.float32) / 255).probabilities,
                           characters_model.labels)  # fmt: skip
            first = np.char.upper(np.array(characters_model.labels)[probs.argmax(axis=1)]) == character.upper()
            sure = first & (probs[:, k] >= (0.5 if character == "1" else 0.9))
            found[k] = data.images[candidates[np.flatnonzero(sure)[0]]]
        return found[k]

    return glyph


@pytest.fixture(scope="session")
def write_words(clear_glyph):
    """`text` (letters, digits, single spaces) written upright and apart on the pad, light on
    dark, by the words' composition (model_core.data.words): (canvas, its characters' boxes)."""
    from model_core.data.words import compose

    def write(text: str, seed: int = 0):
        rng = np.random.default_rng(seed)
        glyphs = [clear_glyph(ch) for ch in text if ch != " "]
        written = first_drawn(lambda r: compose(text, glyphs, r, upright=True), apart_light_on_dark, rng)
        return written.canvas, written.boxes

    return write


@pytest.fixture(scope="session")
def cnn_model():
    from model_core import load_model

    return load_model("cnn")


def quick_config(seed=0, epochs=2, **kwargs):
    """A short training run's settings, for tests that train a network."""
    from model_core.training.train import TrainConfig

    return TrainConfig(epochs=epochs, batch_size=64, lr=3e-3, seed=seed, **kwargs)


def apart_light_on_dark(written) -> bool:
    """A composition whose characters stand apart, drawn light on dark."""
    return not written.touching and not written.dark_on_light


def first_drawn(make, suits, rng: np.random.Generator, tries: int = 100):
    """The first of at most `tries` draws `make(rng)` that `suits`: a bounded, seeded search
    for a composition of the kind a test needs, failing loudly when none comes."""
    for _ in range(tries):
        if suits(drawn := make(rng)):
            return drawn
    raise AssertionError(f"none of {tries} draws suited the test: change its seed or its condition")
