"""Knowing when it is not a digit: the shipped default answers is_digit false for letters,
shapes, scribbles and numbers of several digits, and true for digits however plainly drawn;
every response form and the schema carry the two fields."""

import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from devtools.images import data_url
from model_core import load_model
from model_core.data.synth import redraw_mnist
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db
PREDICT = "/api/predict-digit/"


def canvas(strokes, width=20) -> bytes:
    """Polylines in 0..1 coordinates, drawn white on a black 280×280 canvas as the app does."""
    image = Image.new("L", (280, 280), 0)
    d = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * 280, y * 280) for x, y in stroke]
        d.line(points, fill=255, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            d.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def star():
    angles = [np.pi / 2 + 4 * np.pi * k / 5 for k in range(6)]
    return [[(0.5 + 0.35 * np.cos(a), 0.5 - 0.35 * np.sin(a)) for a in angles]]


def scribble():
    rng = np.random.default_rng(7)
    heading = np.cumsum(rng.normal(0, 0.5, 90))
    xs, ys = np.cumsum(np.cos(heading)), np.cumsum(np.sin(heading))
    xs = 0.15 + 0.7 * (xs - xs.min()) / np.ptp(xs)
    ys = 0.15 + 0.7 * (ys - ys.min()) / np.ptp(ys)
    return [list(zip(xs, ys, strict=True))]


NOT_DIGITS = {
    "letter A": [[(0.25, 0.85), (0.5, 0.15), (0.75, 0.85)], [(0.35, 0.58), (0.65, 0.58)]],
    "letter K": [[(0.3, 0.15), (0.3, 0.85)], [(0.7, 0.15), (0.32, 0.5), (0.7, 0.85)]],
    "letter X": [[(0.25, 0.2), (0.75, 0.8)], [(0.75, 0.2), (0.25, 0.8)]],
    "letter M": [[(0.2, 0.8), (0.25, 0.2), (0.5, 0.6), (0.75, 0.2), (0.8, 0.8)]],
    "a star": star(),
    "a scribble": scribble(),
}


def predict(client, png: bytes) -> dict:
    response = client.post(PREDICT, {"image": data_url(png)}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("name", list(NOT_DIGITS))
def test_letters_shapes_and_scribbles_are_not_digits(client, name):
    body = predict(client, canvas(NOT_DIGITS[name]))
    assert body["is_digit"] is False, (name, body["prediction"], body["digit_score"])
    assert 0 <= body["digit_score"] < load_model().not_a_digit["threshold"]
    assert abs(sum(body["probabilities"]) - 1) < 1e-4  # still ten probabilities over the digits


def test_two_digit_numbers_are_not_digits(client, mnist_test):
    # Pairs of unseen MNIST digits written side by side: of 100 pairs drawn this way, 96 were
    # flagged (the benchmark's own pairs 99.5%, validation's 99.8%); a clear "72" slips by.
    from model_core.data.negatives import digits_side_by_side

    rng = np.random.default_rng(3)
    answers = []
    for _ in range(40):
        image = Image.fromarray(digits_side_by_side(mnist_test.images[:100], rng))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        answers.append(predict(client, buffer.getvalue())["is_digit"])
    assert answers.count(False) >= 36, answers


# The one fixture the shipped default still takes for a digit (a "4", digit score 0.52 against
# a threshold of 0.46): strict, so the day it is flagged this says so.
KNOWN_MISSES = {"letter-t-lower": "this writer's t is read as a 4"}
HANDWRITTEN = [
    pytest.param(path, id=path.stem, marks=[pytest.mark.xfail(reason=KNOWN_MISSES[path.stem], strict=True)])
    if path.stem in KNOWN_MISSES
    else pytest.param(path, id=path.stem)
    for path in sorted((FIXTURES / "handwritten").glob("*.png"))
]


@pytest.mark.parametrize("path", HANDWRITTEN)
def test_real_writers_letters_and_numbers_are_not_digits(client, path):
    # EMNIST's test part (never trained on): the first of each letter, and "72" and "305"
    # written with its first digits (tests/fixtures/README.md).
    body = predict(client, path.read_bytes())
    assert body["is_digit"] is False, (path.stem, body["prediction"], body["digit_score"])


def test_digits_however_plainly_drawn_stay_digits(client, mnist_test):
    bare_one = canvas([[(0.5, 0.15), (0.5, 0.85)]])
    ring_zero = canvas([[(0.5 + 0.25 * np.sin(t), 0.5 - 0.33 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]])
    for png, label in ((bare_one, "1"), (ring_zero, "0")):
        body = predict(client, png)
        assert body["is_digit"] is True and body["prediction"] == label, body["digit_score"]
    rng = np.random.default_rng(17)
    for digit in range(10):
        index = int(np.flatnonzero(mnist_test.labels == digit)[0])
        body = predict(client, redraw_mnist(mnist_test.images[index], rng, "canvas_png"))
        assert body["is_digit"] is True and body["prediction"] == str(digit), (digit, body["digit_score"])


def test_every_response_form_and_the_schema_carry_the_fields(client, mnist_test):
    upload = io.BytesIO(canvas(star()))
    upload.name = "star.png"
    forms = [
        client.post(PREDICT, {"image": upload}, format="multipart").json(),
        client.post(PREDICT, {"pixels": mnist_test.images[0].tolist()}, format="json").json(),
        *client.post(
            PREDICT, {"images": [data_url(canvas(star())), mnist_test.images[0].tolist()]}, format="json"
        ).json()["results"],
    ]
    for body in forms:
        assert isinstance(body["is_digit"], bool) and 0 <= body["digit_score"] <= 1
    assert [body["is_digit"] for body in forms] == [False, True, False, True]
    schema = json.loads(client.get("/api/schema/?format=json").content)
    prediction = schema["components"]["schemas"]["Prediction"]
    assert {"is_digit", "digit_score"} <= set(prediction["required"])
    assert prediction["properties"]["is_digit"]["type"] == "boolean"
