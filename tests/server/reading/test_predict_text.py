"""POST /api/predict-text/: a handwritten number read whole, as documented: its text, each
character with its box and 28×28, alternatives, is_text false for a blank field of a batch,
and the 400s and 413s it promises."""

import difflib
import io

import numpy as np
import pytest

from devtools.images import data_url
from devtools.images import grey_png as png
from model_core.data.numbers import compose
from tests.conftest import apart_light_on_dark, first_drawn

TEXT = "/api/predict-text/"


def number(mnist_test, text: str, seed: int = 0) -> np.ndarray:
    """`text` written apart in the first MNIST test glyph of each digit, light on dark."""
    glyphs = [mnist_test.images[np.flatnonzero(mnist_test.labels == int(d))[0]] for d in text]
    rng = np.random.default_rng(seed)
    return first_drawn(lambda r: compose(glyphs, r), apart_light_on_dark, rng).canvas


def test_a_number_is_read_with_its_characters_boxes_and_images(client, mnist_test):
    canvas = number(mnist_test, "305")
    response = client.post(TEXT, {"image": data_url(png(canvas))}, format="json")
    body = response.json()
    assert response.status_code == 200 and body["text"] == "305" and body["is_text"] is True
    from backend.reading.apis import PredictTextApi
    from model_core.serving import TEXT_FIELDS

    assert tuple(body) == TEXT_FIELDS == tuple(PredictTextApi.OutputSerializer().fields)
    assert [c["label"] for c in body["characters"]] == ["3", "0", "5"]
    for c in body["characters"]:
        x, y, w, h = c["box"]
        assert all(isinstance(v, int) for v in c["box"]) and canvas[y : y + h, x : x + w].max() > 100
        assert c["processed_image"].startswith("data:image/png;base64,") and c["top_k"][0]["label"] == c["label"]
    assert len(body["alternatives"]) <= 3 and all(a["text"] != "305" for a in body["alternatives"])
    assert body["model"]["name"] == "line-digits" and 0 < body["confidence"] <= 1  # the line network, by default
    assert body["written"] == "305"


def test_a_digit_model_named_reads_with_the_cutting_reader_as_before(client, mnist_test):
    canvas = number(mnist_test, "305")
    body = client.post(TEXT, {"image": data_url(png(canvas)), "model": "cnn"}, format="json").json()
    assert body["model"]["name"] == "cnn" and body["text"] == body["written"] == "305"


def test_a_dark_on_light_upload_reads_the_same(client, mnist_test):
    canvas = 255 - number(mnist_test, "42")
    response = client.post(TEXT, {"image": io.BytesIO(png(canvas))}, format="multipart")
    assert response.status_code == 200 and response.json()["text"] == "42"


def test_a_batch_with_an_empty_field_is_answered_in_order(client, mnist_test):
    blank = np.full((60, 200), 240, np.uint8)
    images = [data_url(png(number(mnist_test, "42"))), data_url(png(blank)), number(mnist_test, "7", 1).tolist()]
    response = client.post(TEXT, {"images": images}, format="json")
    results = response.json()["results"]
    assert response.status_code == 200 and [r["text"] for r in results] == ["42", "", "7"]
    assert results[1] == {**results[1], "is_text": False, "characters": [], "alternatives": []}


@pytest.mark.parametrize(
    "extra, status, code",
    [({"alphabet": "runes"}, 400, "invalid_choice"), ({"model": "characters"}, 422, "invalid_alphabet"),
     ({"alphabet": "characters", "model": "cnn"}, 422, "invalid_alphabet")],
)  # fmt: skip
def test_an_unknown_alphabet_is_400_and_a_model_that_cannot_read_one_422(client, mnist_test, extra, status, code):
    response = client.post(TEXT, {"image": data_url(png(number(mnist_test, "42"))), **extra}, format="json")
    assert response.status_code == status and response.json()["code"] == code


def test_a_name_in_capitals_is_read_as_words_by_the_characters_model(client, write_words):
    canvas, _ = write_words("JOHN SMITH")
    sent = {"image": data_url(png(canvas)), "alphabet": "characters", "model": "characters"}  # the cutting reader
    response = client.post(TEXT, sent, format="json")
    body = response.json()
    assert response.status_code == 200 and body["text"] == "JOHN SMITH" and body["model"]["name"] == "characters"
    assert [c["label"] for c in body["characters"]] == list("JOHNSMITH")
    xs = [c["box"][0] for c in body["characters"]]
    assert xs == sorted(xs) and all(len(c["box"]) == 4 for c in body["characters"])
    assert all(" " in a["text"] for a in body["alternatives"]) and 0 < body["confidence"] <= 1


def test_a_code_of_letters_and_digits_is_read_as_written(client, write_words):
    canvas, _ = write_words("AB12", seed=3)
    sent = {"image": io.BytesIO(png(canvas)), "alphabet": "characters", "model": "characters"}
    response = client.post(TEXT, sent, format="multipart")
    assert response.status_code == 200 and response.json()["text"] == "AB12"


def test_a_word_beside_a_printed_label_is_read_without_it(client, clear_glyph):
    from model_core.data.words import boxed

    form = boxed("NINA", [clear_glyph(ch) for ch in "NINA"], np.random.default_rng(5))
    response = client.post(TEXT, {"image": data_url(png(form.page)), "alphabet": "characters"}, format="json")
    assert response.status_code == 200 and response.json()["text"] == "NINA"


def test_a_line_wider_than_the_line_network_reads_is_413_naming_its_limit(client, mnist_test):
    glyphs = [mnist_test.images[i] for i in range(70)]
    line = np.concatenate([np.pad(g, ((4, 4), (6, 6))) for g in glyphs], axis=1)
    response = client.post(TEXT, {"pixels": line.tolist()}, format="json")
    body = response.json()
    assert response.status_code == 413 and body["code"] == "too_many_characters" and "512 columns" in body["detail"]
    cut = client.post(TEXT, {"pixels": line.tolist(), "model": "cnn"}, format="json").json()
    assert cut["code"] == "too_many_characters" and "64 characters" in cut["detail"]  # the cutting reader's own


def test_a_50_digit_number_is_read(client, mnist_test):
    glyphs = [mnist_test.images[i] for i in range(50)]
    line = np.concatenate([np.pad(g, ((4, 4), (6, 6))) for g in glyphs], axis=1)
    body = client.post(TEXT, {"pixels": line.tolist()}, format="json").json()
    truth = "".join(str(int(d)) for d in mnist_test.labels[:50])
    matched = difflib.SequenceMatcher(None, body["text"], truth).get_matching_blocks()
    assert body["is_text"] and sum(block.size for block in matched) >= 47, body["text"]  # read, not refused


def test_a_batch_too_costly_is_413(client, mnist_test):
    from backend.common.registry import batch_limit, get_model
    from backend.reading.services import LINE_COST

    limit = max(1, batch_limit(get_model("line-digits")) // LINE_COST)
    item = data_url(png(number(mnist_test, "42")))
    response = client.post(TEXT, {"images": [item] * (limit + 1)}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "batch_too_costly"


def test_predict_digit_says_a_number_is_several_characters_and_a_digit_is_one(client, mnist_test):
    two = client.post("/api/predict-digit/", {"image": data_url(png(number(mnist_test, "42")))}, format="json").json()
    assert two["is_digit"] is False and two["reason"] == "several_characters" and two["character_count"] == 2
    one = client.post("/api/predict-digit/", {"image": data_url(png(number(mnist_test, "7")))}, format="json").json()
    assert one["is_digit"] is True and one["reason"] is None and one["character_count"] == 1


@pytest.mark.parametrize("word", ["HELLO", "WATER", "REGAL"])
def test_a_word_read_as_a_number_suggests_the_characters_alphabet(client, write_words, word):
    canvas, _ = write_words(word)
    body = client.post(TEXT, {"image": data_url(png(canvas))}, format="json").json()
    assert body["model"]["name"] == "line-digits" and body["text"].isdigit()  # the number it makes of it
    assert body["confidence"] < 0.9 and body["suggested_alphabet"] == "characters", body["text"]
    again = client.post(TEXT, {"image": data_url(png(canvas)), "alphabet": "characters"}, format="json").json()
    assert again["text"] == word and again["suggested_alphabet"] is None


@pytest.mark.parametrize("text", ["305", "2024", "71", "86420"])
def test_a_number_suggests_nothing(client, mnist_test, text):
    body = client.post(TEXT, {"image": data_url(png(number(mnist_test, text)))}, format="json").json()
    assert body["text"] == text and body["suggested_alphabet"] is None


def test_every_request_example_of_the_schema_is_answered(client):
    import json

    schema = json.loads(client.get("/api/schema/?format=json").content)
    examples = schema["paths"]["/api/predict-text/"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert {"allowed", "template", "words"} <= {key for e in examples.values() for key in e["value"]}
    for name, example in examples.items():
        response = client.post(TEXT, example["value"], format="json")
        assert response.status_code == 200, (name, response.content)


def test_two_lines_are_read_in_order_with_a_box_each(client, mnist_test):
    top, bottom = number(mnist_test, "305"), number(mnist_test, "42", seed=1)
    canvas = np.zeros((top.shape[0] + bottom.shape[0], max(top.shape[1], bottom.shape[1])), np.uint8)
    canvas[: top.shape[0], : top.shape[1]] = top
    canvas[top.shape[0] :, : bottom.shape[1]] = bottom
    body = client.post(TEXT, {"image": data_url(png(canvas))}, format="json").json()
    assert body["text"] == "305\n42" and [line["text"] for line in body["lines"]] == ["305", "42"]
    assert body["lines"][0]["box"][1] < body["lines"][1]["box"][1] and body["alternatives"] == []


def test_allowed_characters_constrain_the_reading_and_keep_the_free_one(client, mnist_test):
    image = data_url(png(number(mnist_test, "305")))
    free = client.post(TEXT, {"image": image}, format="json").json()
    held = client.post(TEXT, {"image": image, "allowed": "0124"}, format="json").json()
    assert set(held["text"]) <= set("0124") and held["text"] != free["text"]
    assert {"text": free["text"], "confidence": free["confidence"], "constrained": False} in held["alternatives"]
    assert all(a["constrained"] for a in free["alternatives"])


@pytest.mark.parametrize(
    "extra, status, code",
    [({"allowed": ""}, 400, "invalid_input"), ({"template": "D" * 65}, 400, "max_length"),
     ({"words": ["x"] * 2001}, 400, "max_length"), ({"words": ["a" * 40] * 900}, 400, "invalid_constraint"),
     ({"words": "PILLET"}, 400, "not_a_list"), ({"model": "cnn", "allowed": "0123456789"}, 422, "invalid_constraint")],
)  # fmt: skip
def test_malformed_or_unusable_constraints_are_refused(client, mnist_test, extra, status, code):
    response = client.post(TEXT, {"image": data_url(png(number(mnist_test, "42"))), **extra}, format="json")
    assert response.status_code == status and response.json()["code"] == code, response.content
