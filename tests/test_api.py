"""The REST API through DRF's test client, with the real shipped model."""

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.test import override_settings
from PIL import Image, ImageDraw

from backend.predictions.apis import PredictDigitApi
from devtools.images import data_url
from model_core import available_models, load_model
from model_core.imaging.encode import to_png

pytestmark = pytest.mark.django_db

PREDICT = "/api/predict-digit/"


def canvas_png(draw, size=280, mode="RGBA", background=(0, 0, 0, 0), ink=(255, 255, 255, 255), fmt="PNG"):
    image = Image.new(mode, (size, size), background)
    draw(ImageDraw.Draw(image), ink)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def seven(d, ink):
    d.line([(80, 70), (200, 70), (130, 230)], fill=ink, width=20, joint="curve")


def one(d, ink):
    d.line([(140, 50), (140, 230)], fill=ink, width=20)


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
    response = client.post(PREDICT, {"image": data_url(canvas_png(seven))}, format="json")
    assert response.status_code == 200, response.content
    assert_prediction(response.json(), "7")


def test_predict_bare_base64_dark_ink_on_white_jpeg(client):
    jpeg = canvas_png(one, mode="RGB", background=(255, 255, 255), ink=(20, 20, 20), fmt="JPEG")
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
    batch = [data_url(canvas_png(one)), image.tolist(), data_url(canvas_png(seven))]
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
    batch = [data_url(canvas_png(one)), data_url(canvas_png(lambda d, ink: None))]
    response = client.post(PREDICT, {"images": batch}, format="json")
    assert response.status_code == 422 and "images[1]" in response.json()["detail"]


@pytest.mark.parametrize(
    "payload,code",
    [
        ({}, "invalid_input"),
        ({"image": "not base64!!"}, "invalid_image"),
        ({"image": data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)}, "invalid_image"),
        ({"image": data_url(canvas_png(seven)[:300])}, "invalid_image"),
        ({"image": "data:image/png,rawtext"}, "invalid_image"),
        ({"image": "", "pixels": [[0]]}, "invalid_input"),
        ({"pixels": [[1, 2], [3]]}, "invalid_input"),
        ({"pixels": [[300, 0], [0, 0]]}, "invalid_input"),
        ({"pixels": "zeros"}, "invalid_input"),
        ({"images": []}, "min_length"),
        ({"images": [{"x": 1}]}, "invalid_input"),
        ({"image": data_url(canvas_png(one)), "top_k": 0}, "min_value"),
        ({"image": data_url(canvas_png(one)), "model": "resnet"}, "unknown_model"),
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
    body = '{"image": "' + header + base64.b64encode(canvas_png(seven)).decode() + '"}'
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


def test_wrong_method_is_json_405(client):
    response = client.get(PREDICT)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_unknown_url_is_json_404(client):
    response = client.get("/api/nothing-here/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@override_settings(MAX_REQUEST_BYTES=200)
def test_body_over_the_limit_is_413(client):
    response = client.post(PREDICT, {"image": data_url(canvas_png(seven))}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


@override_settings(MAX_IMAGE_PIXELS=10_000)
def test_image_with_too_many_pixels_is_413(client):
    response = client.post(PREDICT, {"image": data_url(canvas_png(seven))}, format="json")
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


def test_display_images_defaults(client):
    response = client.get("/api/display-images/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["images"]) == 12 and isinstance(body["seed"], int)
    sample = body["images"][0]
    assert sample["split"] == "test" and sample["label"] in "0123456789"
    assert sample["image"].startswith("data:image/png;base64,")


def test_display_images_filter_seed_and_split(client, mnist_train, mnist_test):
    first = client.get("/api/display-images/?count=5&digit=3&seed=7").json()
    again = client.get("/api/display-images/?count=5&digit=3&seed=7").json()
    assert first == again and {s["label"] for s in first["images"]} == {"3"}
    assert len({s["id"] for s in first["images"]}) == 5
    for split, data in (("train", mnist_train), ("test", mnist_test)):
        for sample in client.get(f"/api/display-images/?count=3&split={split}&seed=1").json()["images"]:
            np.testing.assert_array_equal(png_pixels(sample["image"]), data.images[sample["id"]])
            assert sample["label"] == str(data.labels[sample["id"]]) and sample["split"] == split


def png_pixels(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))


@pytest.mark.parametrize("query", ["count=0", "count=101", "digit=10", "digit=-1", "split=dev", "seed=x"])
def test_display_images_bounds(client, query):
    response = client.get(f"/api/display-images/?{query}")
    assert response.status_code == 400 and response.json()["detail"]


def test_model_info_is_the_card(client):
    body = client.get("/api/model-info/").json()
    card = json.loads(Path("artifacts/cnn.json").read_text())
    assert body["name"] == "cnn" and body["version"] == card["version"]
    assert set(body["available_models"]) >= {"cnn", "mlp"} and body["default_model"] == "cnn"
    assert body["parameter_count"] == card["parameter_count"]
    # Ten digits, and an eleventh output when the network learnt "not a digit" as a class.
    outputs = 10 + (card["not_a_digit"]["method"] == "class")
    assert body["layers"][0]["type"] == "conv2d" and body["layers"][-1]["output_shape"] == [outputs]
    assert body["labels"] == [str(d) for d in range(10)]
    assert body["dataset"]["checksums_md5"] == card["dataset"]["checksums_md5"]
    assert body["training"]["history"][0]["epoch"] == 1
    assert body["metrics"]["test"]["accuracy"] == card["metrics"]["test"]["accuracy"]
    assert len(body["metrics"]["test"]["confusion_matrix"]) == 10
    assert body["ensemble_size"] == len(card["members"])
    assert body["deskews_input"] is card.get("input", {}).get("deskew", False)
    # Every architecture of the ensemble, in the order its networks come, with its own layers.
    kinds = [m.get("architecture", card["architecture"]) for m in card["members"]]
    architectures = body["architectures"]
    assert [a["name"] for a in architectures] == list(dict.fromkeys(kinds))
    assert [a["networks"] for a in architectures] == [kinds.count(a["name"]) for a in architectures]
    assert sum(a["networks"] * a["parameter_count"] for a in architectures) == card["parameter_count"]
    assert architectures[0]["layers"] == body["layers"]
    # Every shipped model listed, with its size and (where measured) its speed; one default.
    listed = {m["name"]: m for m in body["models"]}
    assert set(listed) == set(body["available_models"]) and [m["default"] for m in body["models"]].count(True) == 1
    assert listed["cnn"]["version"] == card["version"] and listed["cnn"]["networks"] == len(card["members"])
    assert all(a["layers"][-1]["output_shape"] == [outputs] for a in architectures)


def test_model_info_for_another_model_and_an_unknown_one(client):
    mlp = client.get("/api/model-info/?model=mlp").json()
    assert mlp["architecture"] == "mlp"
    assert [(a["name"], a["networks"]) for a in mlp["architectures"]] == [("mlp", 1)]
    assert mlp["deskews_input"] is load_model("mlp").deskews
    response = client.get("/api/model-info/?model=nope")
    assert response.status_code == 400 and response.json()["code"] == "unknown_model"


def test_health_and_readiness(client):
    assert client.get("/api/health/").json() == {"status": "ok"}
    ready = client.get("/api/ready/")
    # Every shipped model is loaded before the service calls itself ready: none is loaded on a user's request.
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert set(ready.json()["models_loaded"]) >= set(available_models())


def test_readiness_is_503_when_the_model_cannot_load(client, settings, tmp_path):
    from backend.common import registry

    (tmp_path / "cnn.json").write_text("{}")
    settings.MODEL_DIR = tmp_path
    loaded = dict(registry._models)
    registry._models.clear()
    try:
        response = client.get("/api/ready/")
        assert response.status_code == 503 and response.json()["ready"] is False
        predict = client.post(PREDICT, {"image": data_url(canvas_png(one))}, format="json")
        assert predict.status_code == 503 and predict.json()["code"] == "not_ready"
    finally:
        registry._models.update(loaded)


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert {"/api/predict-digit/", "/api/display-images/", "/api/model-info/", "/api/health/"} <= set(paths)
    predict = paths["/api/predict-digit/"]["post"]
    assert {"200", "400", "413", "415", "422", "429", "503"} <= set(predict["responses"])
    assert {"application/json", "multipart/form-data"} <= set(predict["requestBody"]["content"])
    for page in ("/api/docs/", "/api/redoc/"):
        response = client.get(page)
        assert response.status_code == 200 and b"<html" in response.content.lower()


def test_schema_validates_against_openapi_3(client):
    from openapi_spec_validator import validate

    validate(json.loads(client.get("/api/schema/?format=json").content))


def test_cors_allows_the_spa_origin_only(client):
    allowed = client.get("/api/health/", HTTP_ORIGIN="http://127.0.0.1:8080")
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    preflight = client.options(
        PREDICT,
        HTTP_ORIGIN="http://localhost:8080",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    other = client.get("/api/health/", HTTP_ORIGIN="http://evil.example")
    assert "Access-Control-Allow-Origin" not in other.headers


def test_api_sets_no_cookies(client):
    responses = [
        client.get("/api/health/"),
        client.post(PREDICT, {"image": data_url(canvas_png(one))}, format="json"),
        client.get("/api/display-images/?count=1"),
    ]
    assert all(not r.cookies for r in responses)


def test_warm_up_leaves_the_default_model_built_for_inference(monkeypatch):
    from backend.common import registry
    from backend.health.selectors import warm_up
    from model_core.nn.parallel import THREADS

    monkeypatch.setattr(registry, "_models", {})  # a fresh worker: nothing loaded yet
    assert warm_up()["ready"] is True
    model = registry.get_model()
    assert model.threads == THREADS
    assert THREADS in model._lanes  # the inference form exists before any request
