"""Every input form of `POST /api/predict-digit/` answers as it did when the golden answers
were recorded (`python -m devtools.golden`, tests/fixtures/golden/): the same fields, the
same labels, verdicts and model, probabilities to rounding, and `processed_image` the same
28×28 pixels once decoded (its PNG bytes may be encoded another way). `elapsed_ms` aside.
Speed work must leave these green; a deliberate change of answers (a new model) re-records."""

from __future__ import annotations

import base64
import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from devtools.golden import post, without_time
from tests.conftest import FIXTURES

GOLDEN = FIXTURES / "golden"
CASES = json.loads((GOLDEN / "cases.json").read_text())
FILES = {name: (GOLDEN / name).read_bytes() for name in {c["file"] for c in CASES if "file" in c}}
FLOAT_TOLERANCE = 1e-5  # float32 rounding, after softmax


def pixels(url: str) -> np.ndarray:
    header, _, data = url.partition(",")
    assert header == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))), dtype=np.int16)


def same(got, expected, where: str) -> None:
    """got equals expected field by field: floats to rounding, the 28×28 by its pixels."""
    if where.endswith("processed_image"):
        difference = np.abs(pixels(got) - pixels(expected))
        assert difference.max() <= 1, f"{where}: the 28×28 differs by up to {difference.max()} grey levels"
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), f"{where}: fields {sorted(got)}"
        for key in expected:
            same(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got!r}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            same(g, e, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert isinstance(got, float | int) and not isinstance(got, bool), f"{where}: {got!r}"
        assert math.isclose(got, expected, abs_tol=FLOAT_TOLERANCE), f"{where}: {got} != {expected}"
    else:
        assert got == expected and type(got) is type(expected), f"{where}: {got!r} != {expected!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_input_form_answers_as_recorded(client, case):
    response = post(client, case, FILES)
    assert response.status_code == case["status"], response.content[:300]
    answer = response.json()
    for result in answer.get("results", [answer]):
        assert isinstance(result["elapsed_ms"], float) and result["elapsed_ms"] >= 0
    same(without_time(answer), case["answer"], case["name"])


def test_the_comparison_notices_a_changed_answer():
    """The check above can fail: a probability off by more than rounding, a pixel, a field."""
    recorded = CASES[0]["answer"]
    changed = json.loads(json.dumps(recorded))
    changed["probabilities"][0] += 1e-3
    with pytest.raises(AssertionError):
        same(changed, recorded, "answer")
    image = pixels(recorded["processed_image"]).astype(np.uint8)
    image[14, 14] ^= 0x80
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    moved = {**recorded, "processed_image": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(AssertionError):
        same(moved, recorded, "answer")
    with pytest.raises(AssertionError):
        same({**recorded, "extra": 1}, recorded, "answer")
