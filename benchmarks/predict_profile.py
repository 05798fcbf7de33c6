"""Where one prediction's time goes, stage by stage, inside real requests: `POST
/api/predict-digit/` with what a script sends (a 280×280 greyscale PNG as a JSON data URL,
benchmarks/api_latency.py's) through Django's whole middleware stack in this process (the
test client, no socket), --repeats times, each stage timed where the request runs it (a
stage timed alone in a loop runs with warm caches and looks up to five times cheaper than
it is in a request), beside health's whole request, the framework's floor.

    parse       the JSON body read by the API's bounded parser
    validation  the input serializer (types, limits, exactly one image)
    decode      base64 → PNG → grey pixels
    ink         where the digit's ink is, and its crop
    fit         the crop fitted to 20×20, centred by mass in 28×28 (MNIST's recipe)
    network     the default model's scores for the one image, and its top labels
    answer      the answer's fields, the 28×28 PNG data URL among them
    JSON        the answer rendered as the response body
    the rest    middleware, throttle, routing, the test client: the request less its stages

    OPENBLAS_NUM_THREADS=1 python benchmarks/predict_profile.py [--repeats 1000]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in the gunicorn workers
os.environ.setdefault("MODEL_CORE_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
os.environ.setdefault("API_THROTTLE_PREDICT", "100000000/min")
os.environ.setdefault("API_THROTTLE_DEFAULT", "100000000/min")
os.environ.setdefault("API_LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api_latency import body, grey_canvas  # noqa: E402  (benchmarks/, run as scripts)

SPENT: dict[str, float] = defaultdict(float)  # this request's time so far, by stage


def timed(function, stage: str):
    """`function`, its calls' time added to SPENT[stage]."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[stage] += time.perf_counter() - started

    return wrapper


def instrument() -> list[str]:
    """Wrap each stage where the request calls it; the stages' names, in order."""
    from rest_framework.settings import api_settings

    from backend.common import parsers
    from backend.predictions.apis import PredictDigitApi
    from model_core import serving
    from model_core.imaging import preprocess

    wrapped = [
        (parsers.BoundedJSONParser, "parse", "parse"),
        (PredictDigitApi.InputSerializer, "is_valid", "validation"),
        (preprocess, "decode_base64", "decode"),
        (preprocess, "decode_bytes", "decode"),
        (preprocess, "grey_pixels", "decode"),
        (preprocess, "find_ink", "ink"),
        (serving, "classify", "network"),
        (serving, "to_data_url", "answer"),
        (api_settings.DEFAULT_RENDERER_CLASSES[0], "render", "JSON"),
    ]
    for owner, name, stage in wrapped:
        setattr(owner, name, timed(getattr(owner, name), stage))
    preprocess.RECIPES["mnist"] = timed(preprocess.RECIPES["mnist"], "fit")
    return ["parse", "validation", "decode", "ink", "fit", "network", "answer", "JSON"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=1000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client

    from backend.common.registry import get_model
    from backend.runtime import keep_freed_memory

    keep_freed_memory()  # as gunicorn.conf.py sets up each worker
    stages = instrument()
    client = Client(HTTP_HOST="127.0.0.1")
    payload = body(grey_canvas())

    def request() -> None:
        response = client.post("/api/predict-digit/", payload, content_type="application/json")
        assert response.status_code == 200, response.content[:300]

    samples: dict[str, list[float]] = defaultdict(list)
    for i in range(args.repeats + 20):  # the first 20 warm up
        SPENT.clear()
        started = time.perf_counter()
        request()
        whole = time.perf_counter() - started
        if i >= 20:
            for stage in stages:
                samples[stage].append(SPENT[stage])
            samples["the rest"].append(whole - sum(SPENT[s] for s in stages))
            samples["request"].append(whole)
    for i in range(args.repeats + 20):
        started = time.perf_counter()
        client.get("/api/health/")
        if i >= 20:
            samples["health"].append(time.perf_counter() - started)

    ms = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    model = get_model()
    print(f"model {model.name} {model.version}; a {len(payload):,}-byte request; medians of {args.repeats}\n")
    print("| stage | ms |\n|---|---|")
    for name in [*stages, "the rest"]:
        print(f"| {name} | {ms[name]:.3f} |")
    print(f"| **the whole request, in-process** | **{ms['request']:.3f}** |")
    print(f"| health's whole request (the framework's floor) | {ms['health']:.3f} |")
    print(json.dumps({"ms": ms}))


if __name__ == "__main__":
    main()
