"""What an abusive client can do to the running service, measured: the topology `make run`
starts (nginx in front of gunicorn), on loopback.

1. Slow clients: 50 connections send headers, then drip a body a byte every half second;
   meanwhile health is timed, through nginx and (for comparison) straight to gunicorn.
2. A burst of 16 of the costliest images the API accepts (a 4096×4096 RGBA PNG: 64 MiB
   decoded, the limit) at once, while one client keeps sending a normal canvas: that
   client's latency, and each gunicorn worker's resident memory, sampled every 50 ms.
3. Feedback: what the worst corrections one can send take in storage.
4. Attacks while health is timed, each by 4 clients for --attack-seconds: the largest pixel
   arrays allowed (1,000,000 JSON numbers), damaged image headers (every accepted format),
   wrong bearer tokens, the largest ensemble batch allowed; for each, health's p50/p99, the
   answers' statuses, how many were 5xx or not JSON, and the workers' memory before/after.
5. Throttles: 120 requests at once at 30/min, through nginx in front of two workers, with
   the workers' shared SQLite counts (no Redis) and with a local Redis when one is installed;
   and 60 each from two client addresses (127.0.0.21 and .22) at once: each its own 30.
6. Decoding cost: the costliest file of every accepted format and mode at the largest size
   the limits accept (or the largest its decoder is allowed), read by `preprocess` on one
   core in this process; each must take at most 0.5 s.
7. Metric series before and after 20,000 requests with random HTTP methods.
8. Costly readings: 24 in flight (the ensemble on a strip of digits, a quarter of them text
   corrections that read it): a 48-digit strip from one client, priced and refused before
   any network runs, and a 6-digit strip under the ceiling from 24 clients, which keeps
   every worker busy; the answers' times, health's p99 and another client's predictions
   meanwhile. Then the export's largest cell after a correction of 3 MB of noise, and each
   worker's memory (resident, and its own, which its bound counts) after every attack.
9. Neighbours: predictions a second with Redis up, paused (SIGSTOP: hung) and stopped, the
   throttles' Redis on a unix socket as `make run` runs it.

    python benchmarks/abuse.py [--drip-seconds 20] [--burst 16] [--attack-seconds 12]
"""

from __future__ import annotations

import argparse
import base64
import collections
import http.client
import io
import json
import os
import random
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from backend.runtime import private_bytes  # noqa: E402
from devtools.images import rle_bmp  # noqa: E402
from devtools.servers import drip_clients, nginx_server, redis_server, stack, start_api  # noqa: E402
from model_core.imaging.decode import DEFAULT_LIMITS, RLE_BMP_MAX_PIXELS  # noqa: E402
from model_core.imaging.preprocess import preprocess  # noqa: E402
from model_core.saved import read_card  # noqa: E402

ATTACK_CLIENTS = 4


def canvas_png(size: int = 280, mode: str = "L") -> bytes:
    image = Image.new(mode, (size, size), 0)
    ImageDraw.Draw(image).line(
        [(size * 0.3, size * 0.25), (size * 0.7, size * 0.25), (size * 0.45, size * 0.8)],
        fill=(255,) * len(image.getbands()),
        width=max(2, size // 14),
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def body(png: bytes) -> bytes:
    return json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()}).encode()


def timed(url: str, data: bytes | None = None, timeout: float = 5.0) -> tuple[float, int]:
    headers = {"Content-Type": "application/json"} if data else {}
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0  # timed out or refused
    return (time.perf_counter() - started) * 1000, status


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def slow_clients(target: str, seconds: float) -> dict:
    stop = threading.Event()
    conns = drip_clients(target, 50, stop)
    latencies, failures = [], 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ms, status = timed(f"{target}/api/health/", timeout=2.0)
            if status == 200:
                latencies.append(ms)
            else:
                failures += 1
            time.sleep(0.05)
    finally:
        stop.set()
        for conn in conns:
            conn.close()
    return {"answered": len(latencies), "failed": failures, "p50": p(latencies, 50), "p99": p(latencies, 99)}


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(c) for c in children]


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():  # the worker is gone (gunicorn replaced it)
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def burst(base: str, master: int, size: int) -> dict:
    big = Image.new("RGBA", (4096, 4096), (0, 0, 0, 255))
    ImageDraw.Draw(big).line([(1200, 1000), (2900, 1000), (1800, 3300)], fill=(255, 255, 255, 255), width=280)
    buffer = io.BytesIO()
    big.save(buffer, "PNG")
    heavy, light = body(buffer.getvalue()), body(canvas_png())
    pids = worker_pids(master)
    before = {pid: rss_mb(pid) for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            for pid in pids:
                peak[pid] = max(peak[pid], rss_mb(pid))

    statuses: list[int] = []
    normal: list[float] = []

    def heavy_one():
        statuses.append(timed(f"{base}/api/predict-digit/", heavy, timeout=60)[1])

    def normal_client():
        while not done.is_set():
            ms, status = timed(f"{base}/api/predict-digit/", light, timeout=10)
            if status == 200:
                normal.append(ms)

    threading.Thread(target=sample, daemon=True).start()
    client = threading.Thread(target=normal_client)
    client.start()
    time.sleep(1.0)  # the normal client's own pace first
    quiet = len(normal)
    started = time.perf_counter()
    heavies = [threading.Thread(target=heavy_one) for _ in range(size)]
    for t in heavies:
        t.start()
    for t in heavies:
        t.join()
    seconds = time.perf_counter() - started
    done.set()
    client.join()
    time.sleep(1.0)
    after = {pid: rss_mb(pid) for pid in pids}
    during = normal[quiet:]
    return {
        "heavy_statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
        "burst_seconds": seconds,
        "normal_p50": p(during, 50),
        "normal_p99": p(during, 99),
        "normal_count": len(during),
        "rss_before": before,
        "rss_peak": peak,
        "rss_after": after,
        "heavy_png_bytes": len(buffer.getvalue()),
    }


def feedback_storage(base: str, database: Path) -> list[tuple[str, int, int]]:
    """(what was sent, bytes sent, bytes stored) for the worst corrections we know of."""
    padded = canvas_png() + b"\0" * 7_000_000
    noise = np.random.default_rng(0).integers(0, 256, (1000, 1000)).tolist()
    photo = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (1800, 2400, 3), np.uint8)).save(photo, "PNG")
    cases = {
        "a canvas PNG padded with 7 MB of junk": {"image": base64.b64encode(padded).decode(), "true_label": "7"},
        "1000×1000 pixel array of noise (JSON)": {"pixels": noise, "true_label": "8"},
        "2400×1800 colour noise PNG": {"image": base64.b64encode(photo.getvalue()).decode(), "true_label": "5"},
        "a normal 280×280 canvas": {"image": base64.b64encode(canvas_png()).decode(), "true_label": "7"},
    }
    out = []
    for name, payload in cases.items():
        data = json.dumps(payload).encode()
        _, status = timed(f"{base}/api/feedback/", data, timeout=60)
        with sqlite3.connect(database) as db:
            stored = db.execute("SELECT stored_bytes FROM api_feedback ORDER BY id DESC LIMIT 1").fetchone()
        out.append((f"{name} (HTTP {status})", len(data), stored[0] if stored and status == 201 else 0))
    return out


def send(url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 30.0) -> tuple[int, str]:
    """(status, content type) of a GET, or of a JSON POST with `data`; 0 when it got no answer."""
    headers = {**({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=timeout) as response:
            response.read()
            return response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, exc.headers.get("Content-Type", "")
    except OSError:
        return 0, ""


def damaged_headers() -> list[bytes]:
    """A small drawing in every accepted format, cut inside its header or with a header byte flipped."""
    out = []
    for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP"):
        buffer = io.BytesIO()
        Image.open(io.BytesIO(canvas_png(64))).convert("RGB").save(buffer, fmt)
        data = buffer.getvalue()
        out += [data[:n] for n in (8, 16, 24, 33)]
        for place in (12, 20, 26):
            flipped = bytearray(data)
            flipped[place] ^= 0x40
            out.append(bytes(flipped))
    return out


def costly_files() -> dict[str, bytes]:
    """The costliest file we know of each accepted format and mode, at the largest size the
    limits accept: 25 M pixels (64 MiB decoded for one byte a pixel; fewer pixels for more)."""
    rng = np.random.default_rng(0)
    limit = DEFAULT_LIMITS.max_decode_bytes

    def noisy(mode: str, side: int) -> Image.Image:
        """`side`² pixels, as much of them noise (which compresses worst and decodes slowest) as
        keeps the file within the API's 8 MiB, the rest a flat page."""
        bands = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}.get(mode, 1)
        pixels = np.full((side, side, bands), 200, np.uint8)
        rows = min(side, 6_000_000 // (side * bands))
        pixels[:rows] = rng.integers(0, 256, (rows, side, bands), np.uint8)
        return Image.fromarray(pixels[..., 0] if bands == 1 else pixels, mode)

    def encoded(image: Image.Image, fmt: str, **options) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **options)
        return buffer.getvalue()

    # The side of a square of the most pixels accepted at n bytes a pixel decoded.
    side = {n: min(5000, int((limit // n) ** 0.5)) for n in (1, 2, 3, 4)}
    deep = np.full((side[2], side[2]), 30000, np.uint16)
    deep[: 3_000_000 // side[2]] = rng.integers(0, 65535, (3_000_000 // side[2], side[2]), np.uint16)
    cmyk = np.asarray(noisy("RGBA", side[4]))
    stored = int((DEFAULT_LIMITS.max_bytes / 3) ** 0.5) - 8  # an uncompressed BMP within 8 MiB
    out = {
        "PNG L (grey)": encoded(noisy("L", 4096), "PNG", compress_level=1),
        "PNG RGBA": encoded(noisy("RGBA", side[4]), "PNG", compress_level=1),
        "PNG P (palette)": encoded(noisy("L", 4096).convert("P"), "PNG"),
        "PNG 1 (1-bit)": encoded(noisy("L", 5000).convert("1"), "PNG"),
        "PNG I;16 (16-bit grey)": encoded(Image.fromarray(deep), "PNG"),
        "JPEG RGB 5000×5000": encoded(noisy("RGB", 5000), "JPEG", quality=95),
        "JPEG CMYK": encoded(Image.fromarray(cmyk, "CMYK"), "JPEG"),
        "WEBP RGBA": encoded(noisy("RGBA", min(side[4], 4000)), "WEBP", quality=90),
        "GIF (palette)": encoded(noisy("L", 4096).convert("P"), "GIF"),
        "BMP RGB": encoded(noisy("RGB", stored), "BMP"),
        "BMP 1-bit": encoded(noisy("L", 5000).convert("1"), "BMP"),
    }
    image = noisy("RGB", 5000)
    out["MPO 5000×5000"] = encoded(image, "MPO", save_all=True, append_images=[image.resize((500, 500))], quality=95)
    rle_side = int(RLE_BMP_MAX_PIXELS**0.5)
    out[f"BMP RLE8 {rle_side}×{rle_side} (the largest allowed)"] = rle_bmp(rle_side, 8)
    out[f"BMP RLE4 {rle_side}×{rle_side} (the largest allowed)"] = rle_bmp(rle_side, 4)
    out["BMP RLE8 4000×4000 (17 KB; refused)"] = rle_bmp(4000, 8)
    return out


def decode_costs() -> list[tuple[str, int, float, str]]:
    """(file, bytes, seconds to read it on one core, the answer) for each costly file."""
    rows = []
    for name, data in costly_files().items():
        started = time.process_time()
        try:
            preprocess(data)
            answer = "read"
        except ValueError as exc:  # refused or nothing drawn: also an answer
            answer = f"{type(exc).__name__}"
        rows.append((name, len(data), time.process_time() - started, answer))
    return rows


def attacks(front: str) -> dict:
    """name → a function sending one abusive request, returning (status, content type)."""
    pixels = json.dumps({"pixels": np.zeros((1000, 1000), int).tolist()}).encode()
    broken = [json.dumps({"image": base64.b64encode(d).decode()}).encode() for d in damaged_headers()]
    cycle = iter(range(10**9))
    # The most images a batch for the ensemble may hold (services.batch_limit: 50 ms of its time).
    largest = max(1, int(50 / read_card("ensemble")["speed"]["one_image_ms"]))
    batch = json.dumps({"model": "ensemble", "images": [base64.b64encode(canvas_png()).decode()] * largest}).encode()
    rle = json.dumps({"images": [base64.b64encode(rle_bmp(4000)).decode()] * 32}).encode()
    cp500 = json.dumps({"pixels": np.zeros((500, 500), int).tolist()}).encode("cp500")
    return {
        "batches of 32 RLE BMPs, 4000×4000, 17 KB each": lambda: send(f"{front}/api/predict-digit/", rle),
        "JSON in EBCDIC (charset=cp500)": lambda: send(
            f"{front}/api/predict-digit/", cp500, {"Content-Type": "application/json; charset=cp500"}
        ),
        "largest pixel arrays (1,000,000 numbers)": lambda: send(f"{front}/api/predict-digit/", pixels),
        "damaged image headers (5 formats)": lambda: send(
            f"{front}/api/predict-digit/", broken[next(cycle) % len(broken)]
        ),
        "wrong bearer tokens": lambda: send(
            f"{front}/api/feedback/", headers={"Authorization": f"Bearer guess-{next(cycle)}"}
        ),
        "largest ensemble batch allowed": lambda: send(f"{front}/api/predict-digit/", batch),
    }


def under_attack(front: str, master: int, attack, seconds: float) -> dict:
    """ATTACK_CLIENTS clients repeating `attack` for `seconds` while health is timed. Memory is
    the workers' sum before and after (gunicorn may have replaced a worker meanwhile: its
    max_requests)."""
    before = {pid: rss_mb(pid) for pid in worker_pids(master)}
    answers: list[tuple[int, str]] = []
    health: list[float] = []
    stop = threading.Event()

    def attacker():
        while not stop.is_set():
            answers.append(attack())

    threads = [threading.Thread(target=attacker) for _ in range(ATTACK_CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ms, status = timed(f"{front}/api/health/", timeout=5.0)
        health.append(ms if status == 200 else 5000.0)
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    time.sleep(1.0)
    after = {pid: rss_mb(pid) for pid in worker_pids(master)}
    statuses = [status for status, _ in answers]
    return {
        "requests": len(answers),
        "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
        "server_errors": sum(1 for s in statuses if s >= 500 and s != 503) + statuses.count(0),
        "not_json": sum(1 for s, kind in answers if "json" not in kind),
        "health_p50": p(health, 50),
        "health_p99": p(health, 99),
        "rss_before": sum(before.values()),
        "rss_after": sum(after.values()),
    }


def throttle_exactness() -> list[tuple[str, int]]:
    """(store, requests let through of 120 sent at once at 30/min) through nginx, two workers."""
    from concurrent.futures import ThreadPoolExecutor

    def through(env: dict) -> int:
        with stack({"API_THROTTLE_SAMPLES": "30/min", **env}, workers=2) as front, ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: send(f"{front}/api/display-images/?count=1")[0], range(120)))
        return statuses.count(200)

    rows = [("two workers sharing a SQLite file (no Redis)", through({"REDIS_URL": ""}))]
    try:
        with redis_server() as (url, _):
            rows.append(("two workers sharing a local Redis", through({"REDIS_URL": url})))
    except (FileNotFoundError, RuntimeError) as exc:
        rows.append((f"Redis: not measured ({exc})", -1))
    return rows


def two_addresses(front: str) -> list[tuple[str, int]]:
    """(address, let through of 60 sent at 30/min) for two client addresses at once."""
    from concurrent.futures import ThreadPoolExecutor

    host, port = front.removeprefix("http://").split(":")

    def one(source: str) -> int:
        conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
        try:
            conn.request("GET", "/api/display-images/?count=1")
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    with ThreadPoolExecutor(8) as pool:
        futures = {a: [pool.submit(one, a) for _ in range(60)] for a in ("127.0.0.21", "127.0.0.22")}
        return [(a, [f.result() for f in fs].count(200)) for a, fs in futures.items()]


def costly_strip(digits: int = 48) -> bytes:
    """A 28 px strip of 48 overlapping MNIST test digits: 7.7 KB that the cutting reader with the
    ensemble would spend seconds on (7,248 units: over the price ceiling)."""
    from model_core.data.datasets import load_mnist

    images = load_mnist("test").images
    strip = np.zeros((28, 15 * digits + 13), np.uint8)
    for k in range(digits):
        np.maximum(strip[:, 15 * k : 15 * k + 28], images[k], out=strip[:, 15 * k : 15 * k + 28])
    buffer = io.BytesIO()
    Image.fromarray(strip).save(buffer, "PNG")
    return buffer.getvalue()


def posted(front: str, path: str, data: bytes, source: str, timeout: float = 40.0) -> tuple[float, int]:
    """(ms, status) of a JSON POST sent from the loopback address `source`; 0 without an answer."""
    host, port = front.removeprefix("http://").split(":")
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=(source, 0))
    try:
        conn.request("POST", path, data, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000, status


def costly_readings(front: str, seconds: float, digits: int, clients: int, in_flight: int = 24) -> dict:
    """`in_flight` costly readings at a time (the ensemble on a strip of `digits`, every fourth
    the strip as a text correction, which reads it) from `clients` addresses for `seconds`,
    while health is timed and another client (127.0.0.22) asks for a digit: statuses, 5xx,
    the answers' times, health's p99."""
    from concurrent.futures import ThreadPoolExecutor

    image = "data:image/png;base64," + base64.b64encode(costly_strip(digits)).decode()
    reading = json.dumps({"image": image, "model": "ensemble"}).encode()
    correction = json.dumps({"image": image, "model": "ensemble", "true_text": "7210414959"}).encode()
    deadline = time.monotonic() + seconds
    answers: list[tuple[int, float]] = []
    health: list[float] = []
    others: list[int] = []

    def costly(k: int) -> None:
        path, data = ("/api/feedback/", correction) if k % 4 == 3 else ("/api/predict-text/", reading)
        source = f"127.0.1.{1 + k % clients}"
        while time.monotonic() < deadline:
            ms, status = posted(front, path, data, source)
            answers.append((status, ms))

    def other() -> None:
        seven = body(canvas_png())
        while time.monotonic() < deadline:
            others.append(posted(front, "/api/predict-digit/", seven, "127.0.0.22", timeout=30)[1])

    with ThreadPoolExecutor(in_flight + 1) as pool:
        futures = [pool.submit(costly, k) for k in range(in_flight)] + [pool.submit(other)]
        while time.monotonic() < deadline:
            health.append(timed(f"{front}/api/health/")[0])
            time.sleep(0.05)
        for future in futures:
            future.result()
    times = [ms for _, ms in answers]
    return {
        "requests": len(answers),
        "statuses": dict(sorted(collections.Counter(s for s, _ in answers).items())),
        "server_errors": sum(1 for s, _ in answers if s >= 500 and s != 503),
        "p50": p(times, 50),
        "p99": p(times, 99),
        "health_p99": p(health, 99),
        "others": dict(collections.Counter(others)),
    }


def largest_export_cell(front: str, token: str) -> tuple[int, int]:
    """(bytes sent, the export's largest cell) after a text correction whose image is 3 MB of
    noise: the export, read with the csv module's default field limit (131,072)."""
    import csv

    noise = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (1000, 1000, 3), np.uint8)).save(noise, "PNG")
    data = json.dumps({"image": base64.b64encode(noise.getvalue()).decode(), "true_text": "4071"}).encode()
    status = posted(front, "/api/feedback/", data, "127.0.0.31", timeout=60)[1]
    assert status == 201, f"the correction was answered {status}"
    text = token_get(front, "/api/feedback/export/?kind=text", token)
    return len(data), max(len(cell) for row in csv.reader(io.StringIO(text)) for cell in row)


def token_get(front: str, path: str, token: str) -> str:
    """A GET with a bearer token, from an address of its own (the attacks' wrong tokens have
    locked 127.0.0.1 out of every token check for a minute, as they should)."""
    host, port = front.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60, source_address=("127.0.0.9", 0))
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def metric_series(front: str, token: str) -> int:
    """The series on the metrics page."""
    text = token_get(front, "/api/metrics/", token)
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def random_methods(front: str, count: int) -> collections.Counter:
    """The status lines `count` requests with made-up methods were answered with (a request
    left unanswered for 5 s is counted as "no answer", not waited for)."""
    host, port = front.removeprefix("http://").split(":")
    rng, answers = random.Random(0), collections.Counter()
    for _ in range(count):
        method = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
        received = b""
        try:
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(f"{method} /api/health/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                while chunk := conn.recv(65536):
                    received += chunk
        except OSError:
            pass
        answers[received[9:12].decode(errors="replace") or "no answer"] += 1
    return answers


def predictions_a_second(front: str, seconds: float) -> float:
    from concurrent.futures import ThreadPoolExecutor

    data, deadline = body(canvas_png()), time.monotonic() + seconds
    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(lambda _: _until(deadline, f"{front}/api/predict-digit/", data), range(8)))
    return sum(done) / seconds


def _until(deadline: float, url: str, data: bytes) -> int:
    answered = 0
    while time.monotonic() < deadline:
        answered += send(url, data, timeout=10)[0] == 200
    return answered


def neighbours(seconds: float) -> list[tuple[str, float]]:
    """Predictions a second with the throttles' Redis up, paused and stopped."""
    rows = []
    with redis_server(unix_socket=True) as (url, redis):
        env = {"REDIS_URL": url, "API_THROTTLE_PREDICT": "1000000/min", "API_LOG_LEVEL": "ERROR"}
        with stack(env, workers=2) as front:
            rows.append(("Redis up", predictions_a_second(front, seconds)))
            os.kill(redis.pid, signal.SIGSTOP)
            rows.append(("Redis paused (hung)", predictions_a_second(front, seconds)))
            os.kill(redis.pid, signal.SIGCONT)
            redis.kill()
            redis.wait()
            rows.append(("Redis stopped", predictions_a_second(front, seconds)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drip-seconds", type=float, default=20)
    parser.add_argument("--burst", type=int, default=16)
    parser.add_argument("--attack-seconds", type=float, default=12)
    parser.add_argument("--methods", type=int, default=20_000, help="requests with random HTTP methods")
    parser.add_argument("--neighbour-seconds", type=float, default=8)
    args = parser.parse_args()
    database = Path(tempfile.mkdtemp()) / "abuse.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "API_THROTTLE_PREDICT": "1000000/min",
        "API_THROTTLE_FEEDBACK": "1000000/min",
        "API_LOG_LEVEL": "WARNING",
        "FEEDBACK_CLIENT_BYTES_PER_DAY": str(10**9),
        "FEEDBACK_READ_TOKEN": "abuse-benchmark-token",  # so that wrong tokens are guesses, not reads of nothing
        "METRICS_TOKEN": "abuse-benchmark-metrics",
        "API_TRUSTED_PROXIES": "127.0.0.1",  # nginx in front names each client
        "API_THROTTLE_SAMPLES": "30/min",
    }
    process, api = start_api(env, workers=2)
    try:
        with nginx_server([api.removeprefix("http://")]) as front:
            report(args, process.pid, api, front, database)
    finally:
        process.terminate()
        process.wait(timeout=15)


def report(args: argparse.Namespace, master: int, api: str, front: str, database: Path) -> None:
    print("| slow clients: 50 dripping bodies | health answered | failed (2 s timeout) | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for name, target in (("through nginx (make run)", front), ("straight to gunicorn", api)):
        r = slow_clients(target, args.drip_seconds)
        print(f"| {name} | {r['answered']} | {r['failed']} | {r['p50']:.1f} | {r['p99']:.1f} |")
    b = burst(front, master, args.burst)
    print(
        f"\nburst: {args.burst} × a 4096×4096 RGBA PNG ({b['heavy_png_bytes'] / 1e3:.0f} KB, 64 MiB decoded) "
        f"at once → {b['heavy_statuses']} in {b['burst_seconds']:.1f} s; a normal canvas meanwhile: "
        f"{b['normal_count']} answered, p50 {b['normal_p50']:.1f} ms, p99 {b['normal_p99']:.1f} ms"
    )
    print("| worker | RSS before MB | peak MB | after MB |\n|---|---|---|---|")
    for pid in b["rss_before"]:
        print(f"| {pid} | {b['rss_before'][pid]:.0f} | {b['rss_peak'][pid]:.0f} | {b['rss_after'][pid]:.0f} |")
    print("\n| correction sent | bytes sent | bytes stored |\n|---|---|---|")
    for name, sent, stored in feedback_storage(front, database):
        print(f"| {name} | {sent:,} | {stored:,} |")
    print(
        f"\n| {ATTACK_CLIENTS} clients, {args.attack_seconds:.0f} s each | requests | statuses | 5xx (not 503) "
        "or none | not JSON | health p50 ms | health p99 ms | workers' RSS before → after MB |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for name, attack in attacks(front).items():
        r = under_attack(front, master, attack, args.attack_seconds)
        print(
            f"| {name} | {r['requests']} | {r['statuses']} | {r['server_errors']} | {r['not_json']} | "
            f"{r['health_p50']:.1f} | {r['health_p99']:.1f} | {r['rss_before']:.0f} → {r['rss_after']:.0f} |"
        )
    print(
        "\n| 24 costly readings in flight (the ensemble on a strip; every fourth a text correction) "
        "| requests | statuses | 5xx (not 503) | answer p50 ms | answer p99 ms | health p99 ms | "
        "another client's digits |\n|---|---|---|---|---|---|---|---|"
    )
    for name, digits, clients in (
        ("48 digits (7,248 units: over the ceiling), one client", 48, 1),
        ("6 digits (1,392 units: accepted), 24 clients", 6, 24),
    ):
        c = costly_readings(front, args.attack_seconds, digits, clients)
        print(
            f"| {name} | {c['requests']} | {c['statuses']} | {c['server_errors']} | {c['p50']:.1f} | "
            f"{c['p99']:.1f} | {c['health_p99']:.1f} | {c['others']} |"
        )
    sent, cell = largest_export_cell(front, "abuse-benchmark-token")
    print(f"\na text correction of {sent:,} bytes of noise: the export's largest cell {cell:,} characters")
    print("\n| worker after every attack | RSS MB | its own (private) MB |\n|---|---|---|")
    for pid in worker_pids(master):
        print(f"| {pid} | {rss_mb(pid):.0f} | {private_bytes(pid) / (1 << 20):.0f} |")
    print("\n| throttle at 30/min, 120 requests at once | let through |\n|---|---|")
    for name, passed in throttle_exactness():
        print(f"| {name} | {passed} |")
    print("\n| throttle at 30/min, 60 requests from each of two addresses at once | let through |\n|---|---|")
    for address, passed in two_addresses(front):
        print(f"| {address} | {passed} |")
    before = metric_series(front, "abuse-benchmark-metrics")
    answers = random_methods(front, args.methods)
    after = metric_series(front, "abuse-benchmark-metrics")
    print(f"\nmetric series: {before} before, {after} after {args.methods:,} requests with random methods")
    print(f"answers to the random methods: {dict(answers)}")
    print("\n| the costliest file of each format and mode | bytes | seconds of one core | answer |\n|---|---|---|---|")
    for name, size, seconds, answer in decode_costs():
        print(f"| {name} | {size:,} | {seconds:.3f} | {answer} |")
    print("\n| the throttles' Redis | predictions a second (8 clients) |\n|---|---|")
    for name, rate in neighbours(args.neighbour_seconds):
        print(f"| {name} | {rate:.0f} |")


if __name__ == "__main__":
    main()
