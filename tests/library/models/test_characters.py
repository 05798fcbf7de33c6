"""The letters-and-digits model through the API: every input form, drawn letters, its card,
its samples and its corrections."""

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from backend.predictions.apis import PredictDigitApi
from devtools.browser import LETTERS, interpolate
from devtools.images import data_url
from model_core.data.datasets import read_corrections, read_csv
from model_core.data.emnist import CHARACTER_LABELS, load_characters
from tests.conftest import TOKEN

pytestmark = pytest.mark.django_db

PREDICT = "/api/predict-digit/"


def drawn(strokes, size=280, width=18, dark_on_light=False) -> bytes:
    """Strokes (fractions of the side, as the browser tests draw them) on a canvas, as PNG."""
    ink, paper = (0, 255) if dark_on_light else (255, 0)
    image = Image.new("L", (size, size), paper)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line([(x * size, y * size) for x, y in interpolate(stroke)], fill=ink, width=width, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def answer_of(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == set(PredictDigitApi.OutputSerializer().fields)
    assert body["labels"] == CHARACTER_LABELS and body["prediction"] in CHARACTER_LABELS
    assert body["model"]["name"] == "characters"
    assert abs(sum(body["probabilities"]) - 1) < 1e-4
    digits = sum(p for label, p in zip(body["labels"], body["probabilities"], strict=True) if label.isdigit())
    assert body["digit_score"] == pytest.approx(digits, abs=1e-5)  # the ten digits' summed probability
    assert body["is_digit"] == body["prediction"].isdigit()
    return body


@pytest.fixture(scope="module")
def glyph():
    part = load_characters("test")
    index = int(np.flatnonzero(part.labels == CHARACTER_LABELS.index("R"))[0])
    return part.images[index]


def test_every_input_form_is_read_by_the_characters_model(client, glyph):
    png = io.BytesIO()
    Image.fromarray(glyph).save(png, "PNG")
    png = png.getvalue()
    forms = [
        client.post(PREDICT, {"model": "characters", "image": data_url(png)}, format="json"),
        client.post(PREDICT, {"model": "characters", "pixels": glyph.tolist()}, format="json"),
        client.post(PREDICT, {"model": "characters", "image": io.BytesIO(png), "top_k": 5}, format="multipart"),
    ]
    answers = [answer_of(response) for response in forms]
    batch = client.post(PREDICT, {"model": "characters", "images": [data_url(png), glyph.tolist()]}, format="json")
    assert batch.status_code == 200
    answers += [answer_of_item for answer_of_item in batch.json()["results"]]
    assert len({a["prediction"] for a in answers}) == 1  # one glyph, one answer, whatever its form
    assert len(answers[2]["top_k"]) == 5


@pytest.mark.parametrize("letter", sorted(LETTERS))
@pytest.mark.parametrize("dark_on_light", [False, True])
def test_a_drawn_letter_comes_back_as_itself_within_the_top_three(client, letter, dark_on_light):
    png = drawn(LETTERS[letter], dark_on_light=dark_on_light)
    body = answer_of(client.post(PREDICT, {"model": "characters", "image": data_url(png)}, format="json"))
    assert letter in [row["label"] for row in body["top_k"][:3]], body["top_k"]


def test_a_drawn_digit_is_a_digit_for_the_characters_model_too(client):
    seven = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]
    body = answer_of(client.post(PREDICT, {"model": "characters", "image": data_url(drawn(seven))}, format="json"))
    assert body["prediction"] == "7" and body["is_digit"] is True


def test_model_info_lists_the_characters_model_with_its_47_labels(client):
    listing = client.get("/api/model-info/").json()
    summary = {m["name"]: m for m in listing["models"]}["characters"]
    assert summary["reads"] == "characters" and summary["default"] is False
    card = client.get("/api/model-info/?model=characters").json()
    assert card["labels"] == CHARACTER_LABELS and card["input_recipe"] == "emnist"
    assert card["not_a_digit"]["method"] == "digit_labels"
    assert len(card["metrics"]["test"]["per_class"]) == 47
    assert card["dataset"]["class_weights"] == "balanced"


def test_character_samples_come_from_emnist_by_label(client):
    body = client.get("/api/display-images/?dataset=emnist&label=g&count=5&split=validation&seed=4").json()
    assert len(body["images"]) == 5 and {s["label"] for s in body["images"]} == {"g"}
    again = client.get("/api/display-images/?dataset=emnist&label=g&count=5&split=validation&seed=4").json()
    assert again == body
    none = ["/api/display-images/?dataset=mnist&label=A", "/api/display-images/?digit=3&label=4"]
    for url in none:  # MNIST has no letters; no sample is both a 3 and a 4
        response = client.get(url)
        assert response.status_code == 200 and response.json()["images"] == [], url
    assert {s["label"] for s in client.get("/api/display-images/?digit=3&label=3").json()["images"]} == {"3"}
    held_out = client.get("/api/display-images/?dataset=mnist&split=validation&count=3").json()["images"]
    assert len(held_out) == 3 and {s["split"] for s in held_out} == {"validation"}
    refused = client.get("/api/display-images/?dataset=emnist&label=c")  # ByMerge files c under C
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_label"


def test_a_character_correction_is_stored_under_its_class_and_exported_by_model(client, glyph, tmp_path):
    png = drawn(LETTERS["X"])
    stored = client.post(
        "/api/feedback/",
        {"image": data_url(png), "model": "characters", "predicted_label": "Y", "true_label": "x"},
        format="json",
    )
    assert stored.status_code == 201, stored.content
    assert stored.json()["true_label"] == "X" and stored.json()["model"] == "characters"  # x is filed under X
    seven = drawn([[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]])
    assert (
        client.post("/api/feedback/", {"image": data_url(seven), "true_label": "7"}, format="json").status_code == 201
    )
    # A digit model has no letters: a letter for it is refused, and nothing is stored.
    refused = client.post("/api/feedback/", {"image": data_url(png), "model": "cnn", "true_label": "X"}, format="json")
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_label"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    export = client.get("/api/feedback/export/", **auth)
    path = tmp_path / "all.csv"
    path.write_bytes(b"".join(export.streaming_content))
    images, labels, models = read_corrections(path)
    assert labels == ["X", "7"] and models == ["characters", "cnn"]
    # The stored 28×28 is the characters model's recipe (the ink fills a square frame), not MNIST's 20×20 box.
    rows = np.flatnonzero(images[0].max(axis=1) > 30)
    assert rows[-1] - rows[0] + 1 >= 21
    only_digits = client.get("/api/feedback/export/?model=cnn", **auth)
    path = tmp_path / "cnn.csv"
    path.write_bytes(b"".join(only_digits.streaming_content))
    digit_images, digit_labels = read_csv(path)  # the training loader reads it, model column and all
    assert digit_labels.tolist() == [7] and digit_images.shape == (1, 28, 28)


def test_the_characters_answer_of_a_ring_shows_the_zero_and_o_pair(client):
    ring = [[(0.5 + 0.25 * math.sin(a), 0.5 - 0.33 * math.cos(a)) for a in np.linspace(0, math.tau, 30)]]
    body = answer_of(client.post(PREDICT, {"model": "characters", "image": data_url(drawn(ring))}, format="json"))
    assert {row["label"] for row in body["top_k"][:2]} & {"0", "O"}


def test_letters_mode_samples_are_mostly_letters_unless_asked_for_the_splits_mix(client):
    def digits(query: str) -> int:
        images = client.get(f"/api/display-images/?dataset=emnist&count=12&{query}").json()["images"]
        return sum(image["label"].isdigit() for image in images)

    balanced = [digits(f"seed={seed}") for seed in range(10)]
    assert sum(balanced) <= 0.35 * 120  # 10 of the 47 labels are digits: about 2.6 a draw
    assert sum(digits(f"seed={seed}&balanced=false") for seed in range(10)) > sum(balanced)  # ByMerge's mix
    labels = [i["label"] for i in client.get("/api/display-images/?dataset=emnist&count=47&seed=5").json()["images"]]
    assert len(set(labels)) == 47  # one of each
