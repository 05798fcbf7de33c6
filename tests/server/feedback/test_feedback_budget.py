"""Corrections: the budget checked before decoding, the server's own model version stored."""

import pytest

from devtools.images import data_url, seven_png
from tests.conftest import FEEDBACK


@pytest.mark.django_db
def test_a_correction_over_the_budget_is_refused_before_its_image_is_decoded(client, settings, monkeypatch):
    from backend.feedback import services

    settings.FEEDBACK_CLIENT_BYTES_PER_DAY = 3000
    payload = {"image": data_url(seven_png()), "true_label": "7"}
    while client.post(FEEDBACK, payload, format="json").status_code == 201:
        pass
    decoded = []
    original = services.correction_images
    monkeypatch.setattr(services, "correction_images", lambda *a, **k: decoded.append(1) or original(*a, **k))
    assert client.post(FEEDBACK, payload, format="json").status_code == 429 and not decoded


@pytest.mark.django_db
def test_the_stored_model_version_is_the_servers_own(client):
    from backend.common.registry import get_model
    from backend.feedback.models import Feedback

    sent = {"image": data_url(seven_png()), "true_label": "7", "model_version": "2020-01-01.deadbeef"}
    stored = client.post(FEEDBACK, sent, format="json")
    assert stored.status_code == 201
    assert Feedback.objects.get(pk=stored.json()["id"]).model_version == get_model().version
