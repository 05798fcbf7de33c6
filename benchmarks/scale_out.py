"""Replicas behind nginx, sharing Redis and PostgreSQL, on this machine: predict's throughput
with 1, 2 and 3 replicas (each one gunicorn worker), and what killing one mid-run costs.

Each replica is one process: on a machine of C cores, one replica per core is the sizing
the README derives; more replicas than cores measure contention, and are reported as such.
wrk runs on the same machine and takes its share of the cores too.

    python benchmarks/scale_out.py [--duration 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api_latency import body, grey_canvas, wrk  # noqa: E402  (benchmarks/api_latency.py)

from devtools.servers import nginx_server, postgres_server, redis_server, start_api  # noqa: E402


def replicas(env: dict, count: int) -> list:
    return [start_api(env, workers=1) for _ in range(count)]


def kill_mid_run(front: str, victim, seconds: float, connections: int) -> dict:
    """Python clients hammer predict through nginx; the victim is SIGKILLed halfway."""
    payload = body(grey_canvas())
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        while not stop.is_set():
            request = urllib.request.Request(
                f"{front}/api/predict-digit/", payload, {"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except (OSError, http.client.HTTPException):  # refused, reset, or an answer cut off mid-body
                ok = False
            with lock:
                counts["ok" if ok else "failed"] += 1

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    time.sleep(seconds / 2)
    os.killpg(victim.pid, signal.SIGKILL)
    time.sleep(seconds / 2)
    stop.set()
    for t in threads:
        t.join()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads a replica (1: sync, as served)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; each replica one gunicorn worker × {args.threads} threads; wrk, 32 connections")
    print("| replicas | predict req/s | p50 ms | p99 ms | errors | req/s per replica |\n|---|---|---|---|---|---|")
    with postgres_server() as database, redis_server() as (redis, _):
        env = {
            "DATABASE_URL": database,
            "REDIS_URL": redis,
            "API_TRUSTED_PROXIES": "127.0.0.1",
            "API_THROTTLE_PREDICT": "100000000/min",
            "GUNICORN_THREADS": str(args.threads),
            "API_LOG_LEVEL": "WARNING",
        }
        for count in (1, 2, 3):
            started = replicas(env, count)
            try:
                with nginx_server([base.removeprefix("http://") for _, base in started]) as front:
                    r = wrk(f"{front}/api/predict-digit/", 32, args.duration, body(grey_canvas()))
            finally:
                for process, _ in started:
                    process.terminate()
                    process.wait(timeout=15)
            print(
                f"| {count} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} | "
                f"{r['rps'] / count:.0f} |",
                flush=True,
            )
        started = replicas(env, 3)
        try:
            with nginx_server([base.removeprefix("http://") for _, base in started]) as front:
                counts = kill_mid_run(front, started[-1][0], args.duration, 32)
        finally:
            for process, _ in started:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=15)
    halfway = f"halfway through {args.duration:.0f} s under 32 connections"
    print(f"\none of three replicas SIGKILLed {halfway}: {json.dumps(counts)}")


if __name__ == "__main__":
    main()
