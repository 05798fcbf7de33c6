"""gunicorn settings from the environment; each worker loads the model once, before serving."""

import os
import tempfile

# One BLAS thread per worker thread: single-image inference gains nothing from more, and
# workers × threads × BLAS threads would oversubscribe the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Prometheus counters: each worker writes its own files here, /api/metrics/ adds them up.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="digits-metrics-")

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('API_PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
max_requests = 5000
max_requests_jitter = 500
limit_request_line = 8190
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    from backend.api import registry
    from model_core.runtime import keep_freed_memory

    keep_freed_memory()  # each request's image buffers are reused, not faulted in afresh
    registry.warm_up()  # load and run the default model now, not on the first request


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # a dead worker's live gauges no longer count
