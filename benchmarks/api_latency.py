"""Latency and throughput of the running API (gunicorn on loopback), one client, one run.

p50/p99 for predict (a 280×280 canvas PNG sent as a data URL), display-images and health
(the framework's floor), measured sequentially on one keep-alive connection; then
--concurrency connections hammer predict for --duration seconds, counting errors. Last, the
work every prediction must do is timed in this process (PNG decoding, preprocessing, the
default model on one image), which with the floor bounds how fast predict can be.

    python benchmarks/api_latency.py [--requests 300] [--concurrency 32] [--duration 60]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in the gunicorn workers
from PIL import Image, ImageDraw  # noqa: E402
from timing import median_ms  # noqa: E402  (benchmarks/timing.py)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from model_core import load_model  # noqa: E402
from model_core.preprocess import decode_bytes, preprocess  # noqa: E402
from model_core.runtime import keep_freed_memory  # noqa: E402
from tests.servers import api_server  # noqa: E402


def canvas_png() -> bytes:
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(image).line([(80, 70), (200, 70), (130, 230)], fill=(255, 255, 255, 255), width=20)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def canvas_body() -> bytes:
    return json.dumps({"image": "data:image/png;base64," + base64.b64encode(canvas_png()).decode()}).encode()


def work_per_prediction(png: bytes, repeats: int) -> tuple[float, float, float, int]:
    """Median ms of what any predict must compute, in this process, set up as a worker is:
    decoding the PNG, preprocessing (decoding included), the default model on one image;
    and how many networks that model has."""
    keep_freed_memory()
    model = load_model()  # model.threads: MODEL_CORE_THREADS, as in the workers
    x = preprocess(png)[None]
    return (
        median_ms(lambda: decode_bytes(png), repeats),
        median_ms(lambda: preprocess(png), repeats),
        median_ms(lambda: model.predict_proba(x), repeats),
        len(model.members),
    )


def call(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None) -> int:
    headers = {"Content-Type": "application/json"} if body else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def latencies(host: str, port: int, method: str, path: str, body: bytes | None, n: int) -> list[float]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    for _ in range(10):  # warm-up
        call(conn, method, path, body)
    out = []
    for _ in range(n):
        started = time.perf_counter()
        status = call(conn, method, path, body)
        out.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    conn.close()
    return out


def load_test(host: str, port: int, body: bytes, concurrency: int, duration: float) -> tuple[int, int, float]:
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=30)
        ok = errors = 0
        while time.monotonic() < deadline:
            try:
                if call(conn, "POST", "/api/predict-digit/", body) == 200:
                    ok += 1
                else:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
        with lock:
            counts["ok"] += ok
            counts["errors"] += errors

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts["ok"], counts["errors"], time.monotonic() - started


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = {"API_THROTTLE_PREDICT": "1000000/min", "API_THROTTLE_SAMPLES": "1000000/min", "API_LOG_LEVEL": "WARNING"}
    with api_server(env, workers=args.workers) as base:
        host, port = base.removeprefix("http://").split(":")
        port = int(port)
        body = canvas_body()
        table = {
            "health (floor)": latencies(host, port, "GET", "/api/health/", None, args.requests),
            "predict (280×280 PNG)": latencies(host, port, "POST", "/api/predict-digit/", body, args.requests),
            "display-images (12)": latencies(host, port, "GET", "/api/display-images/?count=12", None, args.requests),
        }
        ok, errors, seconds = load_test(host, port, body, args.concurrency, args.duration)
    decoding, preprocessing, inference, networks = work_per_prediction(canvas_png(), args.requests)
    floor = statistics.median(table["health (floor)"])
    print(f"\ngunicorn workers: {args.workers}; sequential requests per endpoint: {args.requests}")
    print("| endpoint | p50 ms | p99 ms | req/s (one connection) | p50 ÷ health p50 |\n|---|---|---|---|---|")
    for name, values in table.items():
        p50 = statistics.median(values)
        print(
            f"| {name} | {p50:.2f} | {pct(values, 99):.2f} | {1000 / statistics.mean(values):.0f} | {p50 / floor:.2f} |"
        )
    print(
        f"\nload: {args.concurrency} connections × {seconds:.0f} s on predict: {ok} ok, {errors} errors, "
        f"{ok / seconds:.0f} req/s"
    )
    print("\n| work every prediction does (in process) | median ms |\n|---|---|")
    print(f"| PNG decoding | {decoding:.2f} |\n| preprocessing (decoding included) | {preprocessing:.2f} |")
    print(f"| default model ({networks} networks), one image | {inference:.2f} |")
    bound = floor + preprocessing + inference
    print(f"\nfloor + preprocessing + model = {bound:.2f} ms: predict p50 ≥ {bound / floor:.2f}× the floor")


if __name__ == "__main__":
    main()
