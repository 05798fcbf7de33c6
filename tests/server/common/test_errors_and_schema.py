"""What every endpoint shares: JSON errors for wrong methods and URLs, the schema and its docs
pages, CORS, no cookies."""

import json

import pytest

from devtools.images import canvas_png, data_url, draw_one

pytestmark = pytest.mark.django_db


PREDICT = "/api/predict-digit/"


def test_wrong_method_is_json_405(client):
    response = client.get(PREDICT)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_unknown_url_is_json_404(client):
    response = client.get("/api/nothing-here/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


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


def test_the_schema_describes_reading_numbers_and_words_with_an_example_for_every_body(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    description = schema["info"]["description"]
    assert "number" in description and "words" in description and "predict-text" in description
    content = schema["paths"]["/api/predict-text/"]["post"]["requestBody"]["content"]
    json_examples = [e["value"] for e in content["application/json"]["examples"].values()]
    assert {next(iter(v)) for v in json_examples} >= {"image", "pixels", "images"}  # each JSON form
    (upload,) = content["multipart/form-data"]["examples"].values()
    assert set(upload["value"]) == {"image", "alphabet"}
    answer = schema["components"]["schemas"]["TextReading"]["properties"]
    assert answer["suggested_alphabet"]["nullable"] is True


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
        client.post(PREDICT, {"image": data_url(canvas_png(draw_one))}, format="json"),
        client.get("/api/display-images/?count=1"),
    ]
    assert all(not r.cookies for r in responses)
