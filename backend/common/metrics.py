"""What operators watch, in Prometheus's text format: requests and their latency by
endpoint, predictions by model and by whether the input looked like a digit, refusals by
error code (throttled ones among them).

gunicorn's workers are separate processes: each writes its counts to PROMETHEUS_MULTIPROC_DIR
(set by gunicorn.conf.py) and the endpoint adds them up; a worker that exits (replaced after
max_requests) has its counts added into one archive file and its own removed, so the files
do not grow with every worker ever started. GET /api/metrics/ needs the METRICS_TOKEN (a
bearer token; wrong ones count in the strict auth_failures throttle, like the corrections'
token); without one configured the endpoint does not exist.

Every label comes from a closed set: the endpoint's URL name (or "other"), the method among
HTTP's own (or "other"), the status the server answered, the model names and error codes
the server defines. A client cannot add series by sending odd methods or paths.
"""

from __future__ import annotations

import hmac
import math
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.mmap_dict import MmapedDict

from .throttling import client_ip, take

REQUESTS = Counter("digits_http_requests_total", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "digits_http_request_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PREDICTIONS = Counter("digits_predictions_total", "Images classified", ["model", "is_digit"])
REFUSED = Counter("digits_refused_total", "Requests refused with a 4xx or 5xx, by error code", ["code"])
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ARCHIVE = "archive"  # the file name's process part for the counts of workers that exited


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
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(endpoint=endpoint, method=method, status=str(response.status_code)).inc()
        LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        return response


def holds_metrics_token(request) -> bool:
    """Whether the request carries the METRICS_TOKEN (an operator's) as a bearer token."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: set METRICS_TOKEN")
    client = client_ip(request)
    allowed, wait = take("auth_failures", client, record=False)
    if not allowed:  # guessed too often: not compared at all
        response = HttpResponse(
            b'{"code": "throttled", "detail": "Too many wrong tokens from this client."}',
            status=429,
            content_type="application/json",
        )
        response["Retry-After"] = str(math.ceil(wait))
        return response
    if not holds_metrics_token(request):
        if request.headers.get("Authorization", "").partition(" ")[2]:
            take("auth_failures", client)  # a wrong token counts against the client's strict scope
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


def archive_worker(pid: int, directory: str | None = None) -> None:
    """Add an exited worker's counts (counters and histograms) into the archive files and
    remove its own, so that the totals stay whole and the files do not pile up. Run by the
    master as each worker exits (gunicorn.conf.py's child_exit)."""
    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    multiprocess.mark_process_dead(pid, directory)  # its live gauges, if any
    for kind in ("counter", "histogram"):
        path = os.path.join(directory, f"{kind}_{pid}.db")
        if not os.path.exists(path):
            continue
        archive = MmapedDict(os.path.join(directory, f"{kind}_{ARCHIVE}.db"))
        try:
            for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(path):
                archived, _ = archive.read_value(key)
                archive.write_value(key, archived + value, timestamp)
        finally:
            archive.close()
        os.remove(path)
