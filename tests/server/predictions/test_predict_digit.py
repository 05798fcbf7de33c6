"""POST /api/predict-digit/ through DRF's test client, with the real shipped model: every input
form, its errors and limits."""

import base64
import io

import numpy as np
import pytest
from django.test import override_settings
from PIL import Image

from backend.predictions.apis import PredictDigitApi
from devtools.images import canvas_png, data_url, draw_one, draw_seven
from model_core.imaging.encode import to_png

pytestmark = pytest.mark.django_db


PREDICT = "/api/predict-digit/"


@pytest.fixture(scope="module")
def mnist_digit(mnist_test):
    return mnist_test.images[0], str(mnist_test.labels[0])  # a 7


def assert_prediction(body, expected=None, labels=10):
    assert set(body) == set(PredictDigitApi.OutputSerializer().fields)  # the documented fields, no more, no fewer
    assert len(body["probabilities"]) == labels
    assert abs(sum(body["probabilities"]) - 1) < 1e-4
    assert body["confidence"] == max(body["probabilities"])
    assert body["top_k"][0]["label"] == body["prediction"]
    assert body["processed_image"].startswith("data:image/png;base64,")
    processed = Image.open(io.BytesIO(base64.b64decode(body["processed_image"].split(",", 1)[1])))
    assert processed.size == (28, 28)
    assert body["model"]["name"] == "cnn" and body["model"]["version"]
    assert body["elapsed_ms"] > 0
    if expected is not None:
        assert body["prediction"] == expected


def test_predict_canvas_data_url(client):
    response = client.post(PREDICT, {"image": data_url(canvas_png(draw_seven))}, format="json")
    assert response.status_code == 200, response.content
    assert_prediction(response.json(), "7")


def test_predict_bare_base64_dark_ink_on_white_jpeg(client):
    jpeg = canvas_png(draw_one, mode="RGB", background=(255, 255, 255), ink=(20, 20, 20), fmt="JPEG")
    response = client.post(PREDICT, {"image": base64.b64encode(jpeg).decode(), "top_k": 5}, format="json")
    assert response.status_code == 200
    assert_prediction(response.json(), "1")
    assert len(response.json()["top_k"]) == 5


@pytest.mark.parametrize("field", ["image", "file"])
def test_predict_multipart_upload(client, mnist_digit, field):
    image, label = mnist_digit
    upload = io.BytesIO(to_png(image / 255.0))
    upload.name = "digit.png"
    response = client.post(PREDICT, {field: upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert_prediction(response.json(), label)


@pytest.mark.parametrize("scale", [255, 1])
def test_predict_pixels(client, mnist_digit, scale):
    image, label = mnist_digit
    pixels = (image / 255.0 * scale).tolist()
    response = client.post(PREDICT, {"pixels": pixels}, format="json")
    assert response.status_code == 200
    assert_prediction(response.json(), label)
    flat = client.post(PREDICT, {"pixels": image.ravel().tolist()}, format="json")  # 784 numbers, 0-255
    np.testing.assert_allclose(flat.json()["probabilities"], response.json()["probabilities"], atol=1e-4)


def test_predict_batch_in_order_with_another_model(client, mnist_digit):
    image, label = mnist_digit
    batch = [data_url(canvas_png(draw_one)), image.tolist(), data_url(canvas_png(draw_seven))]
    response = client.post(PREDICT, {"images": batch, "model": "mlp"}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["prediction"] for r in results] == ["1", label, "7"]
    fields = set(PredictDigitApi.OutputSerializer().fields)
    assert all(set(r) == fields and r["model"]["name"] == "mlp" for r in results)


def test_empty_canvas_is_422_not_a_guess(client):
    blank = canvas_png(lambda d, ink: None)
    response = client.post(PREDICT, {"image": data_url(blank)}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "empty_image" and "nothing drawn" in response.json()["detail"]


def test_batch_error_names_the_item(client):
    batch = [data_url(canvas_png(draw_one)), data_url(canvas_png(lambda d, ink: None))]
    response = client.post(PREDICT, {"images": batch}, format="json")
    assert response.status_code == 422 and "images[1]" in response.json()["detail"]


@pytest.mark.parametrize(
    "payload,code",
    [
        ({}, "invalid_input"),
        ({"image": "not base64!!"}, "invalid_image"),
        ({"image": data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)}, "invalid_image"),
        ({"image": data_url(canvas_png(draw_seven)[:300])}, "invalid_image"),
        ({"image": "data:image/png,rawtext"}, "invalid_image"),
        ({"image": "", "pixels": [[0]]}, "invalid_input"),
        ({"pixels": [[1, 2], [3]]}, "invalid_input"),
        ({"pixels": [[300, 0], [0, 0]]}, "invalid_input"),
        ({"pixels": "zeros"}, "invalid_input"),
        ({"images": []}, "min_length"),
        ({"images": [{"x": 1}]}, "invalid_input"),
        ({"image": data_url(canvas_png(draw_one)), "top_k": 0}, "min_value"),
        ({"image": data_url(canvas_png(draw_one)), "model": "resnet"}, "unknown_model"),
    ],
)
def test_bad_input_is_a_clear_400(client, payload, code):
    response = client.post(PREDICT, payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and body["detail"]


def test_a_lone_surrogate_in_the_image_string_is_a_400(client):
    body = '{"image": "iVBORw0KGgo\\ud800AAAA"}'  # valid JSON, but no UTF-8 and no base64 can hold it
    response = client.post(PREDICT, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_image"


def test_a_nul_in_a_data_url_header_is_read_like_any_other_character(client):
    # The schema allows any header before ";base64,": a NUL in it is not a 400 of its own.
    header = "data:image/png\\u0000;base64,"  # JSON text: the escape, not the character
    body = '{"image": "' + header + base64.b64encode(canvas_png(draw_seven)).decode() + '"}'
    response = client.post(PREDICT, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["prediction"] == "7", response.content


def test_unsupported_image_format_is_415(client):
    tiff = io.BytesIO()
    Image.new("L", (30, 30)).save(tiff, format="TIFF")
    response = client.post(PREDICT, {"image": data_url(tiff.getvalue(), "image/tiff")}, format="json")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_image_type"


def test_unsupported_content_type_is_415(client):
    response = client.post(PREDICT, "7", content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


def test_malformed_json_is_400(client):
    response = client.post(PREDICT, "{bad", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


@override_settings(MAX_REQUEST_BYTES=200)
def test_body_over_the_limit_is_413(client):
    response = client.post(PREDICT, {"image": data_url(canvas_png(draw_seven))}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


@override_settings(MAX_IMAGE_PIXELS=10_000)
def test_image_with_too_many_pixels_is_413(client):
    response = client.post(PREDICT, {"image": data_url(canvas_png(draw_seven))}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "image_too_large"


@override_settings(MAX_BATCH_SIZE=2)
def test_batch_limit(client):
    limit = PredictDigitApi.InputSerializer().fields["images"].max_length
    response = client.post(PREDICT, {"images": [[[0] * 8] * 8] * (limit + 1)}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "max_length"


def test_throttled_requests_get_429(client, settings):
    from backend.common.throttling import store

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "samples": "2/min"},
    }
    statuses = [client.get("/api/display-images/?count=1").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/api/display-images/?count=1")
    assert response.json()["code"] == "throttled" and "Retry-After" in response.headers
    assert client.get("/api/health/").status_code == 200  # liveness is never throttled
    store().clear()


def test_warm_up_leaves_the_default_model_built_for_inference(monkeypatch):
    from backend.common import registry
    from backend.health.selectors import warm_up
    from model_core.nn.parallel import THREADS

    monkeypatch.setattr(registry, "_models", {})  # a fresh worker: nothing loaded yet
    assert warm_up()["ready"] is True
    model = registry.get_model()
    assert model.threads == THREADS
    assert THREADS in model._lanes  # the inference form exists before any request
