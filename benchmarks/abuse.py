"""What an abusive client can do to the running service, measured: the topology `make run`
starts (nginx in front of gunicorn), on loopback.

1. Slow clients: 50 connections send headers, then drip a body a byte every half second;
   meanwhile health is timed, through nginx and (for comparison) straight to gunicorn.
2. A burst of 16 of the costliest images the API accepts (a 4096×4096 RGBA PNG: 64 MiB
   decoded, the limit) at once, while one client keeps sending a normal canvas: that
   client's latency, and each gunicorn worker's resident memory, sampled every 50 ms.
3. Feedback: what the worst corrections one can send take in storage.

    python benchmarks/abuse.py [--drip-seconds 20] [--burst 16]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
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
from devtools.servers import drip_clients, nginx_server, start_api  # noqa: E402


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
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drip-seconds", type=float, default=20)
    parser.add_argument("--burst", type=int, default=16)
    args = parser.parse_args()
    database = Path(tempfile.mkdtemp()) / "abuse.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "API_THROTTLE_PREDICT": "1000000/min",
        "API_THROTTLE_FEEDBACK": "1000000/min",
        "API_LOG_LEVEL": "WARNING",
        "FEEDBACK_CLIENT_BYTES_PER_DAY": str(10**9),
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


if __name__ == "__main__":
    main()
