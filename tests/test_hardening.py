"""What an attacker's probe found, each answered with a JSON 4xx and everything left intact:
crafted bodies, costly images, abused feedback, deployment settings, the schema's promises."""

import io
import json
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pytest
from django.test import override_settings
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from backend import runtime
from backend.feedback.models import NOT_A_DIGIT, Feedback
from devtools.images import data_url, seven_png
from model_core.imaging import decode
from model_core.imaging.encode import to_png

from .conftest import TOKEN

pytestmark = pytest.mark.django_db
PREDICT, FEEDBACK = "/api/predict-digit/", "/api/feedback/"


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


def test_a_16_bit_rgba_image_at_the_pixel_limit_is_refused_before_decoding(client):
    raw = np.zeros((5000, 5000, 4), np.uint16)
    image = Image.frombuffer("RGBA", (5000, 5000), raw.astype(">u2").tobytes(), "raw", "RGBA;16B", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=9)
    response = client.post(PREDICT, {"image": data_url(buffer.getvalue())}, format="json")
    assert response.status_code == 413 and "MiB" in response.json()["detail"]


def test_when_every_big_decode_slot_is_taken_the_answer_is_503_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(decode, "BUSY_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)  # a canvas counts as big here
    taken = [decode._big_decodes.acquire() for _ in range(decode.BIG_DECODES_AT_ONCE)]
    try:
        busy = client.post(PREDICT, {"image": data_url(seven_png())}, format="json")
    finally:
        for _ in taken:
            decode._big_decodes.release()
    assert busy.status_code == 503 and busy.json()["code"] == "busy" and busy.headers["Retry-After"] == "1"
    assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200


def test_big_decodes_share_the_servers_slots_across_processes(client, monkeypatch, tmp_path):
    # Two slots for the whole server; another process holds both: a big image is answered
    # 503 at once, a small one as usual, and once a slot is free the big one is decoded.
    monkeypatch.setenv("MODEL_CORE_DECODE_SLOTS_DIR", str(tmp_path))
    monkeypatch.setenv("MODEL_CORE_DECODE_SLOTS", "2")
    runtime.shared_slots.cache_clear()
    runtime.install()
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)  # a canvas counts as big here
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SLOTS, str(tmp_path), "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = client.post(PREDICT, {"image": data_url(seven_png())}, format="json")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1 << 30)
        assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200
    finally:
        holder.kill()
        holder.wait()
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)
    assert client.post(PREDICT, {"image": data_url(seven_png())}, format="json").status_code == 200  # freed on death
    monkeypatch.undo()
    runtime.shared_slots.cache_clear()
    runtime.install()


HOLD_SLOTS = """
import fcntl, os, sys, time
fds = [os.open(os.path.join(sys.argv[1], f"slot-{k}"), os.O_RDWR | os.O_CREAT) for k in range(int(sys.argv[2]))]
for fd in fds:
    fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


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


def test_a_limit_holds_over_any_period_not_per_fixed_window(monkeypatch):
    from backend.common import throttling

    now = [1000.0]
    monkeypatch.setattr(throttling.time, "monotonic", lambda: now[0])
    log = throttling.LocalLog()
    # 3 a minute: three late in one minute, then at the turn of the next, none more until a minute after each.
    taken = []
    for t in (50, 55, 59, 60.5, 65, 109.9, 110.1, 115.1, 119.5):
        now[0] = 1000.0 + t
        taken.append(log.take("c", 3, 60)[0])
    assert taken == [True, True, True, False, False, False, True, True, True]
    allowed, wait = log.take("c", 3, 60)
    assert not allowed and 0 < wait <= 60


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


def test_a_big_pixel_body_takes_a_shared_slot_and_is_a_503_when_none_is_free(client, settings, monkeypatch):
    from model_core.imaging import decode

    settings.MAX_PIXEL_VALUES = 2_000_000
    monkeypatch.setattr(decode, "BIG_DECODE_BYTES", 1000)  # any pixel body counts as big here
    monkeypatch.setattr(decode, "BUSY_WAIT_SECONDS", 0.05)
    body = {"pixels": np.zeros((40, 40), int).tolist()}
    held = decode._big_decodes
    taken = [held.acquire(timeout=1) for _ in range(decode.BIG_DECODES_AT_ONCE)]
    try:
        busy = client.post(PREDICT, body, format="json")
        assert busy.status_code == 503 and busy.json()["code"] == "busy" and "Retry-After" in busy.headers
    finally:
        for ok in taken:
            if ok:
                held.release()
    assert client.post(PREDICT, body, format="json").status_code == 422  # given back after each request
    assert client.post(PREDICT, body, format="json").status_code == 422


def test_a_batch_is_bounded_by_what_its_model_costs(client, settings):
    from backend.common import registry
    from backend.predictions.services import batch_limit

    ensemble = registry.get_model("ensemble")
    limit = batch_limit(ensemble)
    assert 1 <= limit < settings.MAX_BATCH_SIZE == batch_limit(registry.get_model("cnn"))
    item = data_url(seven_png(64))
    over = client.post(PREDICT, {"model": "ensemble", "images": [item] * (limit + 1)}, format="json")
    assert over.status_code == 413 and over.json()["code"] == "batch_too_costly"
    within = client.post(PREDICT, {"model": "ensemble", "images": [item] * limit}, format="json")
    assert within.status_code == 200 and len(within.json()["results"]) == limit
