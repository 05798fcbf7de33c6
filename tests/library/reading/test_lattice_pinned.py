"""The lattice reader reads as it did before the reading code moved into its package: the
readings devtools/readings.py recorded (300 validation numbers, 300 texts) are read again,
text, confidence to 6 places and boxes alike."""

import json

import pytest

from devtools.readings import material, reading_record
from model_core.reading import read_text
from tests.conftest import FIXTURES

PINNED = json.loads((FIXTURES / "readings" / "lattice.json").read_text())


@pytest.fixture(scope="module")
def pinned_material():
    return material()


def test_the_pinned_images_are_the_ones_recorded(pinned_material):
    import hashlib

    assert [hashlib.sha256(image).hexdigest() for _, _, image in pinned_material] == [r["png_sha256"] for r in PINNED]


def test_the_lattice_reader_reads_as_pinned(pinned_material, cnn_model, characters_model):
    models = {"digits": cnn_model, "characters": characters_model}
    changed = []
    for (alphabet, _, image), pinned in zip(pinned_material, PINNED, strict=True):
        now = reading_record(read_text(models[alphabet], image, alphabet=alphabet))
        if now != {k: pinned[k] for k in ("text", "confidence", "boxes")}:
            changed.append((pinned["truth"], pinned["text"], now["text"]))
    assert not changed, changed[:10]
