"""Latency and throughput of the API as `make run` serves it (nginx in front, gunicorn
behind it on a unix socket, the throttles' counts in Redis on another; the predict throttle
raised, gunicorn's access log off), measured with wrk, beside a plain Django app answering
the same canvas in the same run.

Each is loaded at 1 and at 32 connections for --duration seconds, every row again in each of
--rounds rounds (the figures are the rounds' medians): health (the framework's
floor), predict with what a script sends (a 280×280 greyscale PNG canvas as a JSON data
URL), and the peer (benchmarks/peer_app.py: seed 000's recipe, a Django function view under
runserver, PIL's resize to 28×28 and a NumPy MLP) with the same body. Then what the app
sends (its drawing cropped to the ink and scaled to ≤ 112 px) and, for comparison, the
whole 280×280 RGBA canvas it sent before, at 32 connections. Requests per second, p50 and
p99 latency, errors; predict's req/s as a multiple of the peer's and a share of health's.
Last, the work a prediction must do, timed in this process.

--text measures predict-text through the same topology: a 5-digit number of MNIST test digits
(a 36 px tall PNG, read by the line network, predict-text's default) at 1 and 32 connections,
beside predict-digit's canvas, the price budget lifted (one wrk client would spend it).

--bare measures gunicorn alone (no nginx, the throttles' counts in SQLite); --sweep tries
several worker × thread settings (shorter runs, gunicorn alone) to choose the serving settings.

    python benchmarks/api_latency.py [--duration 10 --rounds 3] [--workers 2 --threads 2] [--bare] [--sweep]
    python benchmarks/api_latency.py --text [--duration 10 --rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import re
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in the gunicorn workers
os.environ.setdefault("MODEL_CORE_THREADS", "1")
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from timing import median_ms  # noqa: E402  (benchmarks/timing.py)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from backend.runtime import keep_freed_memory  # noqa: E402
from devtools.servers import api_server, free_port, nginx_server, redis_server, running  # noqa: E402
from model_core import load_model  # noqa: E402
from model_core.imaging.decode import decode_bytes
from model_core.imaging.preprocess import preprocess

WRK = shutil.which("wrk") or "/usr/bin/wrk"
PEER = Path(__file__).resolve().parent / "peer_app.py"
SCRIPT = "predict: 280×280 greyscale PNG (a script)"
PEER_ROW = "peer: plain Django MLP (runserver), the same body"
STROKE = [(80, 70), (200, 70), (130, 230)]  # a 7 on a 280×280 canvas


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def grey_canvas() -> bytes:
    """What a script sends: a 280×280 greyscale PNG, white on black."""
    image = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(image).line(STROKE, fill=255, width=20, joint="curve")
    return png(image)


def app_canvas() -> bytes:
    """What the app sent before this release: the whole canvas, colour PNG with alpha."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(image).line(STROKE, fill=(255, 255, 255, 255), width=20, joint="curve")
    return png(image)


def app_upload() -> bytes:
    """What the app sends now (frontend/js/canvas.js): the drawing cropped to its ink with a
    margin and scaled to at most 112 px, still a colour PNG from a browser canvas."""
    canvas = Image.open(io.BytesIO(app_canvas()))
    left, top, right, bottom = canvas.convert("L").getbbox()
    margin = round(0.08 * max(right - left, bottom - top))
    crop = canvas.crop((left - margin, top - margin, right + margin, bottom + margin))
    scale = min(1.0, 112 / max(crop.size))
    return png(crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.BILINEAR))


def body(data: bytes) -> bytes:
    return json.dumps({"image": "data:image/png;base64," + base64.b64encode(data).decode()}).encode()


def wrk(url: str, connections: int, seconds: float, payload: bytes | None) -> dict:
    """One wrk run: requests/s, p50 and p99 ms, errors (socket errors and non-2xx)."""
    script = Path(tempfile.mkdtemp()) / "request.lua"
    if payload is not None:
        (script.parent / "body.json").write_bytes(payload)
        script.write_text(
            f'local f = io.open("{script.parent / "body.json"}", "rb")\n'
            'wrk.method = "POST"\nwrk.body = f:read("*a")\nf:close()\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
    else:
        script.write_text("")
    threads = min(2, connections)
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{round(seconds)}s", "--latency", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)$", out, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
        "requests": requests,
        "errors": errors + (int(bad.group(1)) if bad else 0),
    }


def work_per_prediction(data: bytes, repeats: int) -> tuple[float, float, float, int]:
    """Median ms of what any predict must compute, in this process, set up as a worker is."""
    keep_freed_memory()
    model = load_model()
    x = preprocess(data)[None]
    return (
        median_ms(lambda: decode_bytes(data), repeats),
        median_ms(lambda: preprocess(data), repeats),
        median_ms(lambda: model.scores(x), repeats),
        len(model.members),
    )


def measure(base: str, peer: str, seconds: float) -> dict:
    predict = f"{base}/api/predict-digit/"
    script = body(grey_canvas())
    runs = {}
    for connections in (1, 32):
        runs[("health", connections)] = wrk(f"{base}/api/health/", connections, seconds, None)
        runs[(SCRIPT, connections)] = wrk(predict, connections, seconds, script)
        runs[(PEER_ROW, connections)] = wrk(f"{peer}/predict/", connections, seconds, script)
    runs[("predict: the app's upload now, cropped ≤ 112 px", 32)] = wrk(predict, 32, seconds, body(app_upload()))
    runs[("predict: the app's old upload, 280×280 RGBA", 32)] = wrk(predict, 32, seconds, body(app_canvas()))
    return runs


def medians(rounds: list[dict]) -> dict:
    """Each row's median over the rounds (errors summed): a shared machine's speed drifts by a
    fifth from minute to minute, and a round measures every row within a few minutes."""
    return {
        row: {
            **{key: statistics.median(r[row][key] for r in rounds) for key in ("rps", "p50", "p99")},
            "errors": sum(r[row]["errors"] for r in rounds),
        }
        for row in rounds[0]
    }


@contextlib.contextmanager
def peer_server():
    """seed 000's stand-in under runserver, as its README runs it; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(PEER), "runserver", f"127.0.0.1:{port}", "--noreload"]
    with running(command, f"{base}/health/", env={**os.environ, "PYTHONUNBUFFERED": "1"}):
        yield base


def five_digits() -> bytes:
    """A 5-digit number (40721) of MNIST test digits side by side, light on dark, as a PNG."""
    from model_core.data.datasets import load_mnist

    mnist = load_mnist("test")
    glyphs = [mnist.images[int(np.flatnonzero(mnist.labels == int(d))[0])] for d in "40721"]
    strip = np.zeros((36, 24 * len(glyphs) + 16), np.uint8)
    for k, glyph in enumerate(glyphs):
        strip[4:32, 8 + 24 * k : 36 + 24 * k] = np.maximum(strip[4:32, 8 + 24 * k : 36 + 24 * k], glyph)
    return png(Image.fromarray(strip))


def measure_text(base: str, seconds: float) -> dict:
    number, digit = body(five_digits()), body(grey_canvas())
    runs = {}
    for connections in (1, 32):
        runs[("predict-text: a 5-digit number (line-digits)", connections)] = wrk(
            f"{base}/api/predict-text/", connections, seconds, number
        )
        runs[(SCRIPT, connections)] = wrk(f"{base}/api/predict-digit/", connections, seconds, digit)
    return runs


def serve(args, workers: int, threads: int, redis_url: str | None = None, unix_socket: bool = False):
    env = {
        "API_PRICE_BUDGET_PER_MINUTE": "0",  # one wrk client, many requests: not a client to budget
        "API_THROTTLE_PREDICT": "100000000/min",
        "API_THROTTLE_DEFAULT": "100000000/min",
        "API_LOG_LEVEL": "WARNING",
        "GUNICORN_THREADS": str(threads),
        **({"REDIS_URL": redis_url} if redis_url else {}),
    }
    return api_server(env, workers=workers, unix_socket=unix_socket)


@contextlib.contextmanager
def served(args, workers: int, threads: int):
    """The API as measured: `make run`'s topology unless --bare; yields its base URL."""
    if args.bare:
        with serve(args, workers, threads) as api:
            yield api
        return
    with (  # each on a unix socket, as make run connects them
        redis_server(unix_socket=True) as (redis_url, _),
        serve(args, workers, threads, redis_url, unix_socket=True) as api,
        nginx_server([api]) as front,
    ):
        yield front


def sweep(args) -> None:
    print("| workers × threads | health req/s (32) | predict req/s (32) | predict p99 ms | ratio |")
    print("|---|---|---|---|---|")
    for workers, threads in ((1, 1), (2, 1), (2, 2), (3, 1), (2, 4), (4, 1), (4, 2)):
        with serve(args, workers, threads) as base:
            health = wrk(f"{base}/api/health/", 32, args.duration, None)
            predict = wrk(f"{base}/api/predict-digit/", 32, args.duration, body(grey_canvas()))
        print(
            f"| {workers} × {threads} | {health['rps']:.0f} | {predict['rps']:.0f} | {predict['p99']:.1f} | "
            f"{predict['rps'] / health['rps']:.3f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds a row, each round")
    parser.add_argument("--rounds", type=int, default=3, help="every row measured this many times, in turn")
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, default=None, help="default: gunicorn.conf.py's")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--bare", action="store_true", help="gunicorn alone, without nginx and Redis")
    parser.add_argument("--text", action="store_true", help="predict-text's latency beside predict-digit's")
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    if args.sweep:
        sweep(args)
        return
    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "backend" / "gunicorn.conf.py"))
    workers = args.workers or config["workers"]
    threads = args.threads or config["threads"]
    if args.text:
        with served(args, workers, threads) as api:
            runs = medians([measure_text(api, args.duration) for _ in range(args.rounds)])
        print(f"\ngunicorn {workers} workers × {threads} threads, make run's topology; medians of {args.rounds}")
        print("| request | connections | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|")
        for (name, connections), r in runs.items():
            print(f"| {name} | {connections} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} |")
        return
    with served(args, workers, threads) as api, peer_server() as peer:
        rounds = [measure(api, peer, args.duration) for _ in range(args.rounds)]
    runs = medians(rounds)
    how = "gunicorn alone, SQLite throttles" if args.bare else "behind nginx, Redis throttles (make run's)"
    print(
        f"\ngunicorn {workers} workers × {threads} threads, {how}; wrk, {args.duration:.0f} s a row, "
        f"medians of {args.rounds} rounds"
    )
    print("| request | connections | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|")
    for (name, connections), r in runs.items():
        print(f"| {name} | {connections} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} |")
    ratios = [r[(SCRIPT, 32)]["rps"] / r[(PEER_ROW, 32)]["rps"] for r in rounds]
    shares = [r[(SCRIPT, 32)]["rps"] / r[("health", 32)]["rps"] for r in rounds]
    print(
        f"\nat 32 connections, predict ÷ the peer: {statistics.median(ratios):.2f}× "
        f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}); predict ÷ health: {statistics.median(shares):.3f}"
    )
    sizes = {"script": grey_canvas(), "app before": app_canvas(), "app now": app_upload()}
    print("| what is sent | PNG bytes | request bytes | decode ms | preprocessing ms |\n|---|---|---|---|---|")
    for name, data in sizes.items():
        decode, prep, model_ms, networks = work_per_prediction(data, args.repeats)
        print(f"| {name} | {len(data):,} | {len(body(data)):,} | {decode:.3f} | {prep:.3f} |")
    print(f"the default model ({networks} network(s)), one image: {model_ms:.3f} ms")


if __name__ == "__main__":
    main()
