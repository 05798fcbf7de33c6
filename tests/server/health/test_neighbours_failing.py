"""Failing neighbours: the database down (readiness degraded, corrections 503), Redis hung or
missing (the fallback counts)."""

from django.db import OperationalError

from devtools.images import data_url, seven_png
from tests.conftest import FEEDBACK, PREDICT, READY


def test_readiness_is_degraded_not_down_when_the_database_is_and_hides_its_details(client, settings, monkeypatch):
    from backend.health import selectors

    def down():
        raise OperationalError('connection to server at "db.internal" (10.1.2.3), port 5432 failed: user digits')

    monkeypatch.setattr(selectors, "_database_round_trip", down)
    anonymous = client.get(READY)
    body = anonymous.json()
    assert anonymous.status_code == 200 and body["ready"] is True and body["status"] == "degraded"
    assert body["checks"]["database"] == "unavailable" and "10.1.2.3" not in anonymous.content.decode()
    settings.METRICS_TOKEN = "operator-token"
    operator = client.get(READY, HTTP_AUTHORIZATION="Bearer operator-token").json()
    assert "10.1.2.3" in operator["checks"]["database"]


def test_corrections_answer_503_with_retry_after_while_the_database_is_down(client, monkeypatch):
    from backend.feedback import services

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "feedback_purge_expired", down)
    response = client.post(FEEDBACK, {"image": data_url(seven_png()), "true_label": "7"}, format="json")
    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200


def test_a_hung_or_missing_redis_costs_one_short_wait_and_the_fallback_counts(settings, caplog, tmp_path):
    from backend.common import throttling

    settings.REDIS_URL = f"unix://{tmp_path}/nobody-listens.sock"
    settings.THROTTLE_DB = ""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "predict": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    throttling._redis_failed[0] = 0.0
    try:
        with caplog.at_level("WARNING", logger="backend.api"):
            answers = [throttling.take("predict", "10.0.0.1")[0] for _ in range(5)]
        assert answers == [True, True, True, False, False]  # still counted, in the fallback
        assert sum("Redis unavailable" in r.message for r in caplog.records) == 1  # said once
    finally:
        throttling._redis_failed[0] = 0.0
        throttling._store.cache_clear()
