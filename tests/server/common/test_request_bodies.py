"""Crafted requests, each a JSON 4xx: deep JSON, huge integers, strings for numbers, pixel bodies
bounded by their count, writes from foreign pages, the schema's promises, proxies believed only
when trusted."""

import io
import json

import numpy as np
import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from backend.feedback.models import Feedback
from devtools.images import data_url, seven_png
from model_core.imaging.encode import to_png
from tests.conftest import FEEDBACK, PREDICT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [PREDICT, FEEDBACK])
def test_json_nested_ten_thousand_deep_is_a_400(client, url):
    body = '{"pixels": ' + "[" * 10_000 + "]" * 10_000 + "}"
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    "url,payload",
    [
        (PREDICT, '{"pixels": [[1%s, 0], [0, 0]]}'),
        (PREDICT, '{"images": [[[1%s, 0], [0, 0]]]}'),
        (FEEDBACK, '{"pixels": [[1%s, 0], [0, 0]], "true_label": "1"}'),
    ],
)
def test_a_400_digit_integer_is_a_400(client, url, payload):
    response = client.post(url, payload % ("0" * 400), content_type="application/json")
    assert response.status_code == 400 and "digits" in response.json()["detail"]


def test_options_on_the_docs_pages_is_not_a_server_error(client):
    for page in ("/api/docs/", "/api/redoc/", "/api/schema/"):
        response = client.options(page)
        assert response.status_code < 500 and "json" in response["Content-Type"]


def test_no_endpoint_sets_a_cookie(client):
    for page in ("/api/docs/", "/api/redoc/", "/api/schema/", "/api/health/"):
        assert not client.get(page).cookies, page


def test_a_write_from_a_foreign_web_page_is_refused_but_scripts_and_the_app_may_write(client, mnist_test):
    upload = {"file": io.BytesIO(to_png(mnist_test.images[0] / 255)), "true_label": "7"}
    upload["file"].name = "d.png"
    foreign = client.post(FEEDBACK, upload, format="multipart", HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403 and foreign.json()["code"] == "cross_site_refused"
    assert Feedback.objects.count() == 0
    predict = client.post(PREDICT, {"image": data_url(seven_png())}, format="json", HTTP_ORIGIN="https://evil.example")
    assert predict.status_code == 403
    upload["file"].seek(0)
    app = client.post(FEEDBACK, upload, format="multipart", HTTP_ORIGIN="http://127.0.0.1:8080")
    assert app.status_code == 201
    script = client.post(FEEDBACK, {"image": data_url(seven_png()), "true_label": "7"}, format="json")
    assert script.status_code == 201 and Feedback.objects.count() == 2


def test_health_and_readiness_are_not_redirected_to_https(client):
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^api/health/$", r"^api/ready/$"]):
        fresh = APIClient()
        assert fresh.get("/api/ready/").status_code == 200
        assert fresh.get("/api/health/").status_code == 200
        assert fresh.get("/api/model-info/").status_code == 301


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(client, settings):
    import ipaddress

    from backend.common.throttling import store

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "samples": "3/min"},
    }
    spoofed = [client.get("/api/display-images/?count=1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}") for i in range(5)]
    assert [r.status_code for r in spoofed] == [200, 200, 200, 429, 429]  # one client, whatever it claims
    store().clear()
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    proxied = [
        client.get("/api/display-images/?count=1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}", REMOTE_ADDR="127.0.0.1")
        for i in range(5)
    ]
    assert all(r.status_code == 200 for r in proxied)  # five clients behind the proxy
    store().clear()


def test_the_schema_tells_the_truth_about_feedback_models_and_empty_parameters(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    feedback = schema["paths"]["/api/feedback/"]
    assert not feedback["post"].get("security") and feedback["get"]["security"] == [{"feedbackToken": []}]
    model = schema["components"]["schemas"]["PredictJSONRequest"]["properties"]["model"]
    assert model["allOf"] == [{"$ref": "#/components/schemas/ModelEnum"}]
    assert set(schema["components"]["schemas"]["ModelEnum"]["enum"]) >= {"cnn", "mlp"}
    for query in ("/api/display-images/?split=", "/api/model-info/?model=", "/api/display-images/?count="):
        response = client.get(query)
        assert response.status_code == 400 and "empty" in response.json()["detail"], query
    # A parameter the schema gives one value is refused when repeated, not read as its last.
    for query in ("/api/display-images/?seed=true&seed=3", "/api/model-info/?model=cnn&model=mlp"):
        response = client.get(query)
        assert response.status_code == 400 and "once" in response.json()["detail"], query
    assert client.get("/api/display-images/?seed=3&count=2").status_code == 200


def test_the_schemas_types_are_enforced_no_strings_for_numbers(client):
    pixels = np.zeros((28, 28), int).tolist()
    as_text = [[str(v) for v in row] for row in pixels]
    for body in ({"pixels": as_text}, {"pixels": pixels, "top_k": "3"}, {"pixels": [*pixels[:-1], ["0"] * 28]}):
        response = client.post(PREDICT, body, format="json")
        assert response.status_code == 400, body.keys()
    assert client.post(PREDICT, {"pixels": pixels, "top_k": 3}, format="json").status_code in (200, 422)
    # A form's values are all text: there top_k "5" is how an integer is written.
    upload = client.post(PREDICT, {"image": io.BytesIO(seven_png()), "top_k": "5"}, format="multipart")
    assert upload.status_code == 200 and len(upload.json()["top_k"]) == 5


def test_pixels_are_bounded_by_their_count_before_they_are_parsed(client, settings, monkeypatch):
    from backend.common import parsers

    settings.MAX_PIXEL_VALUES = 10_000
    parsed = []  # the first step of parsing: looking at the nesting
    monkeypatch.setattr(parsers, "nesting_depth", lambda body: parsed.append(1) or 1)
    too_many = json.dumps({"pixels": np.zeros((120, 100), int).tolist()})  # 12,000 values
    response = client.post(PREDICT, too_many, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "too_large" and not parsed
    monkeypatch.undo()
    settings.MAX_PIXEL_VALUES = 10_000
    batch = {"images": [np.zeros((80, 80), int).tolist()] * 2}  # 12,800 in all, 6,400 each
    assert client.post(PREDICT, batch, format="json").status_code == 413
    fits = client.post(PREDICT, {"pixels": np.zeros((90, 90), int).tolist()}, format="json")
    assert fits.status_code == 422  # parsed and read: an empty drawing


def test_two_image_parts_in_one_form_are_a_400(client):
    parts = {"image": [io.BytesIO(seven_png()), io.BytesIO(seven_png(200))]}
    for part in parts["image"]:
        part.name = "d.png"
    response = client.post(PREDICT, parts, format="multipart")
    assert response.status_code == 400 and "one image" in response.json()["detail"]
    both = {"image": io.BytesIO(seven_png()), "file": io.BytesIO(seven_png())}  # the schema allows both: image is read
    assert client.post(PREDICT, both, format="multipart").status_code == 200


def test_a_data_url_must_carry_an_image_and_a_non_string_image_gets_one_error(client):
    html = "data:text/html;base64," + data_url(seven_png()).split(",", 1)[1]
    refused = client.post(PREDICT, {"image": html}, format="json")
    assert refused.status_code == 400 and "media type" in refused.json()["detail"]
    untyped = "data:;base64," + data_url(seven_png()).split(",", 1)[1]  # no type: read as today
    assert client.post(PREDICT, {"image": untyped}, format="json").status_code == 200
    answers = [client.post(PREDICT, {"image": value}, format="json").json() for value in (5, True, {"a": 1})]
    assert len({(a["code"], a["detail"]) for a in answers}) == 1 and answers[0]["code"] == "invalid_input"
