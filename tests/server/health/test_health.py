"""GET /api/health/ and /api/ready/."""

import pytest

from devtools.images import canvas_png, data_url, draw_one
from model_core import available_models

pytestmark = pytest.mark.django_db


PREDICT = "/api/predict-digit/"


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
        predict = client.post(PREDICT, {"image": data_url(canvas_png(draw_one))}, format="json")
        assert predict.status_code == 503 and predict.json()["code"] == "not_ready"
    finally:
        registry._models.update(loaded)
