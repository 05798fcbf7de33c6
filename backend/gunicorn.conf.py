"""gunicorn settings from the environment; each worker loads the model once, before serving."""

import os
import tempfile

# One BLAS thread per worker thread: single-image inference gains nothing from more, and
# workers × threads × BLAS threads would oversubscribe the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Nor does model_core share one request's work across threads: the workers already keep
# every core busy, and a hand-off per request only adds to each one's time.
os.environ.setdefault("MODEL_CORE_THREADS", "1")

# Folders this configuration made for itself, removed when the server exits (on_exit).
_made: list[str] = []


def _temporary_dir(prefix: str) -> str:
    _made.append(tempfile.mkdtemp(prefix=prefix))
    return _made[-1]


# Prometheus counters: each worker writes its own files here, /api/metrics/ adds them up.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _temporary_dir("digits-metrics-")

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('API_PORT', '8000')}")
# A unix socket's peer has no address: whatever connects there is the proxy in front (only
# local processes allowed to open the socket file can), so its X-Forwarded-For names the
# client. Without this every client would be one, sharing throttles, lockouts and budgets.
if bind.startswith("unix:"):
    os.environ.setdefault("API_TRUSTED_PROXIES", "unix")
# gunicorn's control socket (gunicornc) is not used; by default every instance would take
# over the same one in the home folder and delete it on exit.
control_socket_disable = True
# One single-threaded sync worker per core, by measurement (README, "API under load"):
# more threads per worker only contend for the GIL, more workers than cores for the cores,
# and gthread workers keep each client's keep-alive connection to themselves, so under 32
# connections one worker could be left idle while the other queued (486 req/s against 885).
# A sync worker takes each request from the shared socket when it is free. nginx in front
# buffers slow clients, so none holds a worker; GUNICORN_THREADS above 1 makes gunicorn
# switch to gthread by itself.
workers = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
# Big decodes (a photo over 16 MiB decoded) hold at most all workers but one, server-wide:
# the last stays free for everyone else's requests through a burst (model_core.imaging.decode).
if not os.environ.get("MODEL_CORE_DECODE_SLOTS_DIR"):
    os.environ["MODEL_CORE_DECODE_SLOTS_DIR"] = _temporary_dir("digits-decode-slots-")
os.environ.setdefault("MODEL_CORE_DECODE_SLOTS", str(max(1, workers - 1)))
# The workers share their throttle counts in one SQLite file (throttling.py) without Redis, or
# while Redis is down or hung: a limit holds for the server as a whole, not per worker.
# Health and readiness are the master's to answer (backend/health/watch.py): the workers mark
# here the request each holds.
if not os.environ.get("HEALTH_STATE_DIR"):
    os.environ["HEALTH_STATE_DIR"] = _temporary_dir("digits-health-")
if not os.environ.get("THROTTLE_DB"):
    os.environ["THROTTLE_DB"] = os.path.join(_temporary_dir("digits-throttles-"), "throttles.sqlite3")
timeout = 30
graceful_timeout = 10
# A worker is replaced after about 5,000 requests (a leak or a fragmented heap cannot grow
# for ever). The workers fork from a master that has already imported Django and loaded
# every model (preload_app, and on_starting below), so a replacement serves again at once,
# sharing the weights' pages with its siblings: starting from nothing (1.3 s of imports
# and model loading, the other worker alone meanwhile) put predict's p99 at 600 ms under
# load, each replacement a stall.
max_requests = 5000
max_requests_jitter = 500
preload_app = True
limit_request_line = 8190
# nginx in front bounds headers (4 × 8 KB) and answers what exceeds them in JSON; gunicorn's
# own, lower bounds would answer first, in HTML (431).
limit_request_fields = 1000
limit_request_field_size = 16384
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def _json_error(sock, status_int, reason, mesg):
    """gunicorn's own errors (a request line or headers past its limits, a malformed request)
    in the API's JSON shape, not HTML: for gunicorn alone; behind nginx, nginx answers first."""
    import json

    from gunicorn import util

    code = reason.lower().replace(" ", "_") or "bad_request"
    body = json.dumps({"code": code, "detail": f"{reason}: {mesg}"[:300]}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


def on_starting(server):
    from gunicorn import util

    from model_core.serving import sample_records

    util.write_error = _json_error  # what every worker's handle_error writes with (they fork from here)
    # Every split the samples are drawn from, read and checked once, here in the master
    # (MNIST's CSVs parsed into a cache, EMNIST's characters split): the workers it forks
    # share their arrays, instead of each paying seconds and ~115 MB on its first sample.
    for dataset in ("mnist", "emnist"):
        for split in ("test", "train", "validation"):
            sample_records(dataset, split, count=0, label=None, seed=0)
    # Every model loaded here too (preload_app: Django is set up), and run once to build its
    # inference form: each worker forks with them ready. Run only where the library uses no
    # threads of its own (the workers' setting), whose pool a fork would not carry over.
    from backend.common import registry

    try:
        registry.load_all()
        if os.environ["MODEL_CORE_THREADS"] == "1":  # set above unless given: the library's own threads
            registry.run_each()
    except Exception as exc:  # noqa: BLE001  the workers' readiness reports a model that fails to load
        server.log.warning("models not preloaded: %s", exc)


def when_ready(server):
    from backend.health import watch

    watch.serve(server, watch.health_bind(bind))  # health never queues behind predictions


def pre_request(worker, req):
    from backend.health.watch import request_started

    request_started(worker.pid)


# A worker holding more than this of its own (what it does not share with the master: the
# models' pages do not count) after a request, freed memory handed back, is replaced by a fresh
# fork once that request is answered (API_WORKER_MAX_RSS_MB; 0: never). Counted after its first
# request and whenever its resident size has grown 16 MB since (runtime.over_memory).
worker_max_rss = int(float(os.environ.get("API_WORKER_MAX_RSS_MB", "300")) * (1 << 20))


def post_request(worker, req, environ, resp):
    from backend.health.watch import request_finished
    from backend.runtime import over_memory

    request_finished(worker.pid)
    if over_memory(worker_max_rss):
        worker.log.info("worker %s holds over %d MB: replaced by a fresh one", worker.pid, worker_max_rss >> 20)
        worker.alive = False


def pre_fork(server, worker):
    import gc

    # The master's objects (Django, the models) out of the collector's reach before each fork:
    # a worker's collections would otherwise write to every one of them, copying the pages it
    # shares with the master, in its first requests. Measured with api_latency.py: health's
    # p99 at 32 connections 159 -> 20-86 ms (three runs), predict's 191 -> 70 ms.
    gc.freeze()


def post_worker_init(worker):
    from backend.health.selectors import warm_up
    from backend.runtime import keep_freed_memory

    keep_freed_memory()  # each request's image buffers are reused, not faulted in afresh
    warm_up()  # load and run the default model now, not on the first request


def child_exit(server, worker):
    from backend.common.metrics import archive_worker

    archive_worker(worker.pid)  # its counts into the archive, its files removed
    from backend.health.watch import request_finished

    request_finished(worker.pid)  # a worker killed mid-request holds none


def on_exit(server):
    import shutil

    for folder in _made:
        shutil.rmtree(folder, ignore_errors=True)
