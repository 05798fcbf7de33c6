"""Text corrections: a reading's image stored with the text it really holds, exported whole
(`?kind=text`) and, when the text has as many characters as the reading found, a row a
character in the MNIST-style export."""

import base64
import csv
import io

import numpy as np
import pytest
from PIL import Image

from devtools.images import data_url
from devtools.images import grey_png as png
from model_core.data.datasets import read_corrections
from tests.conftest import TOKEN

pytestmark = pytest.mark.django_db
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def export(client, query: str = "") -> bytes:
    response = client.get(f"/api/feedback/export/{query}", **AUTH)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    return b"".join(response.streaming_content)


def test_a_text_correction_is_stored_and_exported_whole_and_a_row_a_character(client, write_words):
    canvas, _ = write_words("JOHN")
    sent = {"image": data_url(png(canvas)), "model": "characters", "true_text": "John", "predicted_text": "JOHM"}
    response = client.post("/api/feedback/", sent, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["true_text"] == "John" and body["predicted_text"] == "JOHM" and body["true_label"] == ""
    strip = Image.open(io.BytesIO(base64.b64decode(body["processed_image"].split(",", 1)[1])))
    assert strip.size == (4 * 28, 28)  # the four characters the reader found, side by side

    rows = list(csv.reader(io.StringIO(export(client, "?kind=text").decode())))
    assert rows[0] == ["id", "true_text", "predicted_text", "model", "image", "lines_image"]
    assert rows[1][:4] == [str(body["id"]), "John", "JOHM", "characters"] and rows[1][5] == ""  # a cutting reader
    stored = Image.open(io.BytesIO(base64.b64decode(rows[1][4].split(",", 1)[1])))
    np.testing.assert_array_equal(np.asarray(stored.convert("L")), canvas)  # the user's pixels, all of them

    images, labels, models = read_corrections(export(client, "?model=characters"))
    # "o" is filed under its capital, which EMNIST merges; "h" and "n" are letters it keeps apart.
    assert labels == ["J", "O", "h", "n"] and images.shape == (4, 28, 28) and set(models) == {"characters"}


def test_a_text_of_another_length_than_the_reading_gives_no_character_rows(client, write_words):
    canvas, _ = write_words("AB12", seed=3)
    sent = {"image": data_url(png(canvas)), "model": "characters", "true_text": "AB123"}
    assert client.post("/api/feedback/", sent, format="json").status_code == 201
    assert export(client).decode().count("\n") == 1  # the header only
    assert export(client, "?kind=text").decode().count("\n") == 2


@pytest.mark.parametrize("text", ["JEAN-PIERRE", "O'NEIL", "Anne-Marie O'Hara"])
def test_a_hyphen_or_an_apostrophe_inside_a_word_is_a_text_correction(client, write_words, text):
    canvas, _ = write_words("JOHN")
    sent = {"image": data_url(png(canvas)), "model": "characters", "true_text": text}
    response = client.post("/api/feedback/", sent, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["true_text"] == text
    assert list(csv.reader(io.StringIO(export(client, "?kind=text").decode())))[1][1] == text


def test_a_label_correction_lists_null_text_and_is_not_in_the_text_export(client, mnist_test):
    image = data_url(png(mnist_test.images[0]))
    body = client.post("/api/feedback/", {"image": image, "true_label": "7"}, format="json").json()
    assert body["true_text"] is None and body["predicted_text"] is None
    assert export(client, "?kind=text").decode().count("\n") == 1


@pytest.mark.parametrize(
    "change, status, code",
    [
        ({"true_label": "7"}, 400, "invalid_input"),  # both kinds
        ({"true_text": None}, 400, "invalid_input"),  # neither
        ({"true_text": "A" * 65}, 400, "max_length"),
        ({"true_text": "-JOHN"}, 400, "invalid_input"),  # a hyphen or an apostrophe inside a word only
        ({"true_text": "JOHN-"}, 400, "invalid_input"),
        ({"true_text": "JOHN--PAUL"}, 400, "invalid_input"),
        ({"true_text": "'JOHN"}, 400, "invalid_input"),
        ({"true_text": "JOHN -PAUL"}, 400, "invalid_input"),
        ({"true_text": "=SUM(A1)"}, 400, "invalid_input"),
        ({"true_text": "12-3", "model": "cnn"}, 422, "invalid_label"),  # a digit model's text is digits
        ({"true_text": "JO  HN"}, 400, "invalid_input"),
        ({"predicted_label": "eleven"}, 400, "invalid_label"),
        ({"model": "cnn"}, 422, "invalid_label"),  # letters the digit model does not read
    ],
)
def test_bad_text_corrections_are_refused_and_nothing_is_stored(client, write_words, change, status, code):
    from backend.feedback.models import Feedback

    canvas, _ = write_words("JOHN")
    payload = {"image": data_url(png(canvas)), "model": "characters", "true_text": "JOHN", **change}
    response = client.post("/api/feedback/", {k: v for k, v in payload.items() if v is not None}, format="json")
    assert response.status_code == status and response.json()["code"] == code, response.content
    assert Feedback.objects.count() == 0


def test_an_exported_image_cell_stays_under_100_kib_and_the_stored_image_is_kept(client):
    from backend.feedback.models import Feedback

    noise = np.random.default_rng(48).integers(0, 256, (900, 900, 3), dtype=np.uint8)  # 2.4 MB of noise
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG")
    sent = {"image": data_url(buffer.getvalue()), "model": "characters", "true_text": "NOISE"}
    response = client.post("/api/feedback/", sent, format="json")
    assert response.status_code == 201, response.content
    stored = bytes(Feedback.objects.get(pk=response.json()["id"]).original)
    assert len(stored) > 100 * 1024  # what the user sent, kept as decoded pixels (bounded at 256 KiB)
    csv.field_size_limit(131_072)  # Python's default: an export every csv reader takes
    rows = list(csv.reader(io.StringIO(export(client, "?kind=text").decode())))
    cell = rows[1][4]
    assert cell.startswith("data:image/png;base64,") and len(cell) <= 100 * 1024
    assert Image.open(io.BytesIO(base64.b64decode(cell.split(",", 1)[1]))).size[0] > 64  # a reduced copy
    assert bytes(Feedback.objects.get(pk=response.json()["id"]).original) == stored


def test_a_correction_of_two_lines_keeps_each_characters_cut_and_each_lines_crop(client, mnist_test):
    from tests.server.reading.test_predict_text import number

    top, bottom = number(mnist_test, "305"), number(mnist_test, "42", seed=1)
    canvas = np.zeros((top.shape[0] + bottom.shape[0], max(top.shape[1], bottom.shape[1])), np.uint8)
    canvas[: top.shape[0], : top.shape[1]] = top
    canvas[top.shape[0] :, : bottom.shape[1]] = bottom
    sent = {"image": data_url(png(canvas)), "model": "line-digits", "true_text": "305\n42", "predicted_text": "305\n47"}
    response = client.post("/api/feedback/", sent, format="json")
    assert response.status_code == 201, response.content
    rows = list(csv.reader(io.StringIO(export(client, "?kind=text").decode())))
    assert rows[1][1] == "305\n42"
    crops = Image.open(io.BytesIO(base64.b64decode(rows[1][5].split(",", 1)[1])))
    assert crops.height == 2 * 32 and crops.width >= 32  # each line as the line network read it, top first
    images, labels, _ = read_corrections(export(client, "?model=line-digits"))
    assert labels == ["3", "0", "5", "4", "2"] and images.shape == (5, 28, 28)  # each character where it was cut
    too_many = {**sent, "true_text": "\n".join(["1"] * 9)}
    assert client.post("/api/feedback/", too_many, format="json").json()["code"] == "max_length"
