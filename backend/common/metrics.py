"""What operators watch, in Prometheus's text format: requests and their latency by
endpoint, predictions by model and by whether the input looked like a digit, refusals by
error code (throttled ones among them).

gunicorn's workers are separate processes: each writes its counts to PROMETHEUS_MULTIPROC_DIR
(set by gunicorn.conf.py) and the endpoint adds them up. GET /api/metrics/ needs the
METRICS_TOKEN (a bearer token); without one configured the endpoint does not exist.
"""

from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter("digits_http_requests_total", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "digits_http_request_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PREDICTIONS = Counter("digits_predictions_total", "Images classified", ["model", "is_digit"])
REFUSED = Counter("digits_refused_total", "Requests refused with a 4xx or 5xx, by error code", ["code"])


def observe_predictions(model: str, is_digit: list[bool]) -> None:
    for flag in is_digit:
        PREDICTIONS.labels(model=model, is_digit=str(flag).lower()).inc()


class MetricsMiddleware:
    """Counts and times every request by the name of the endpoint that answered it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        endpoint = match.url_name if match and match.url_name else "other"
        REQUESTS.labels(endpoint=endpoint, method=request.method, status=str(response.status_code)).inc()
        LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        return response


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: set METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse(
            b'{"code": "not_authenticated", "detail": "Send the METRICS_TOKEN as a bearer token."}',
            status=401,
            content_type="application/json",
        )
        response["WWW-Authenticate"] = "Bearer"
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
