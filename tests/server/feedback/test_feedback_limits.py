"""Corrections under abuse: bounded storage, shaped labels, idempotent retries, budgets, expiry,
the read token's own throttle."""

import io
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from backend.feedback.models import NOT_A_DIGIT, Feedback
from devtools.images import data_url, seven_png
from tests.conftest import FEEDBACK, TOKEN

pytestmark = pytest.mark.django_db


def test_a_padded_png_and_a_big_pixel_array_are_stored_bounded(client):
    padded = seven_png() + b"\0" * 6_000_000  # a real image, then 6 MB of junk
    response = client.post(FEEDBACK, {"image": data_url(padded), "true_label": "7"}, format="json")
    assert response.status_code == 201, response.content
    noise = np.random.default_rng(1).integers(0, 256, (900, 900)).tolist()  # incompressible pixels
    noisy = client.post(FEEDBACK, {"pixels": noise, "true_label": "8"}, format="json")
    assert noisy.status_code in (201, 422)
    for entry in Feedback.objects.all():
        assert entry.stored_bytes <= 300 * 1024 and len(bytes(entry.original)) <= 256 * 1024


@pytest.mark.parametrize(
    "change,field",
    [({"predicted_label": "<script>"}, "predicted_label"), ({"model_version": "anything at all"}, "model_version")],
)
def test_labels_and_versions_must_have_their_documented_shape(client, change, field):
    payload = {"image": data_url(seven_png()), "true_label": "7", **change}
    response = client.post(FEEDBACK, payload, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert Feedback.objects.count() == 0


def test_a_retried_correction_with_an_idempotency_key_is_stored_once(client):
    payload = {"image": data_url(seven_png()), "true_label": "7"}
    first = client.post(FEEDBACK, payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-42")
    again = client.post(FEEDBACK, payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-42")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true" and Feedback.objects.count() == 1
    other = client.post(FEEDBACK, payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-43")
    assert other.json()["id"] != first.json()["id"]
    bad = client.post(FEEDBACK, payload, format="json", HTTP_IDEMPOTENCY_KEY="no spaces please")
    assert bad.status_code == 400


def test_a_retry_is_recognised_by_what_it_says_and_a_reused_key_for_another_correction_is_a_422(client):
    png = seven_png()
    first = client.post(FEEDBACK, {"image": data_url(png), "true_label": "7"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    # The same correction again, as an upload this time (another body, another boundary): a replay.
    upload = {"image": io.BytesIO(png), "true_label": "7"}
    again = client.post(FEEDBACK, upload, format="multipart", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    # Another correction under the same key is not "stored": it is refused, and nothing changes.
    for other in ({"image": data_url(png), "true_label": "1"}, {"image": data_url(seven_png(200)), "true_label": "7"}):
        reused = client.post(FEEDBACK, other, format="json", HTTP_IDEMPOTENCY_KEY="k1")
        assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
        assert "Idempotent-Replayed" not in reused.headers
    assert Feedback.objects.count() == 1 and Feedback.objects.get().true_label == "7"


def test_storage_budgets_are_a_clear_429(client, settings):
    settings.FEEDBACK_CLIENT_BYTES_PER_DAY = 3000
    payload = {"image": data_url(seven_png()), "true_label": "7"}
    statuses = [client.post(FEEDBACK, payload, format="json").status_code for _ in range(6)]
    assert statuses[0] == 201 and statuses[-1] == 429
    over = client.post(FEEDBACK, payload, format="json")
    assert over.json()["code"] == "feedback_client_budget" and "Retry-After" in over.headers
    settings.FEEDBACK_CLIENT_BYTES_PER_DAY = 10**9
    settings.FEEDBACK_MAX_TOTAL_BYTES = 1000
    full = client.post(FEEDBACK, payload, format="json")
    assert full.status_code == 429 and full.json()["code"] == "feedback_store_budget"


def test_old_corrections_expire_and_a_token_holder_can_review_and_delete(client, settings):
    settings.FEEDBACK_RETENTION_DAYS = 30
    payload = {"image": data_url(seven_png()), "true_label": NOT_A_DIGIT, "predicted_label": "7"}
    old = client.post(FEEDBACK, payload, format="json").json()["id"]
    Feedback.objects.filter(pk=old).update(created=timezone.now() - timedelta(days=31))
    kept = client.post(FEEDBACK, {**payload, "true_label": "7"}, format="json").json()["id"]
    assert list(Feedback.objects.values_list("id", flat=True)) == [kept]  # the expired one went
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert client.patch(f"{FEEDBACK}{kept}/", {"reviewed": True}, format="json").status_code == 401
    reviewed = client.patch(f"{FEEDBACK}{kept}/", {"reviewed": True}, format="json", **auth)
    assert reviewed.status_code == 200 and reviewed.json()["reviewed"] is True
    unreviewed = client.post(FEEDBACK, payload, format="json").json()["id"]
    export = b"".join(client.get("/api/feedback/export/?reviewed=only", **auth).streaming_content).decode()
    assert export.count("\n") == 2 and export.splitlines()[1].startswith("7,")
    everything = b"".join(client.get("/api/feedback/export/", **auth).streaming_content).decode()
    assert everything.splitlines()[2].startswith("-1,")  # "not a digit" exports as -1
    assert client.delete(f"{FEEDBACK}{unreviewed}/").status_code == 401
    assert client.delete(f"{FEEDBACK}{unreviewed}/", **auth).status_code == 204
    assert client.delete(f"{FEEDBACK}{unreviewed}/", **auth).status_code == 404
    assert Feedback.objects.count() == 1


def test_token_guessing_is_throttled_in_its_own_strict_scope(client, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_failures": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    guesses = [client.get(FEEDBACK, HTTP_AUTHORIZATION=f"Bearer guess-{i}") for i in range(5)]
    assert [r.status_code for r in guesses] == [401, 401, 401, 429, 429]
    assert guesses[-1].json()["code"] == "throttled" and "Retry-After" in guesses[-1].headers
    # Used up: not even the right token is compared now, so guessing cannot go faster.
    assert client.get(FEEDBACK, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 429
    # Another client, and right tokens, are not counted.
    other = {"REMOTE_ADDR": "10.9.8.7", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert [client.get(FEEDBACK, **other).status_code for _ in range(5)] == [200] * 5


def test_a_flood_of_anonymous_corrections_does_not_lock_the_token_holder_out(client, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "feedback": "5/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    payload = {"image": data_url(seven_png()), "true_label": "7"}
    statuses = [client.post(FEEDBACK, payload, format="json").status_code for _ in range(8)]
    assert statuses[:5] == [201] * 5 and statuses[5:] == [429] * 3  # the same address, anonymous
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert client.get(FEEDBACK, **auth).status_code == 200
    export = client.get("/api/feedback/export/", **auth)
    assert export.status_code == 200 and b"".join(export.streaming_content).count(b"\n") == 6
    assert client.get(FEEDBACK).status_code == 401  # and without the token nothing is read
