"""The one thread pool of model_core and the helpers that share work across it.

NumPy's elementwise work runs on one core while BLAS spreads its GEMMs over all of them, and
OpenBLAS's idle threads spin on the cores in between. So wherever model_core shares work
(a training step's rows, the batches of a big inference, an ensemble's networks for one
image) it uses THREADS threads of its own, each with BLAS on one thread (NumPy releases the
GIL in both).

One setting: MODEL_CORE_THREADS (default: 2, or 1 on a one-core machine). The API's former
API_INFERENCE_THREADS is still read when MODEL_CORE_THREADS is not set.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np


def _threads_from_environment() -> int:
    for name in ("MODEL_CORE_THREADS", "API_INFERENCE_THREADS"):  # the second: its old name in the API
        value = os.environ.get(name, "").strip()
        if value:
            return max(1, int(value))
    return min(2, os.cpu_count() or 1)


THREADS = _threads_from_environment()
PARALLEL_MIN_ELEMENTS = 1 << 18  # below this, a thread hand-off costs more than it saves
BLOCK_BYTES = 1 << 20  # see blocks()
_active = False
T, R = TypeVar("T"), TypeVar("R")


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="model-core")


@functools.cache
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # built once: finding the libraries takes ~0.2 ms


def submit(fn: Callable[..., R], *args) -> Future[R]:
    """Run fn(*args) on the pool. Callers do their own first share of work themselves, so a
    full pool only queues work, it never deadlocks."""
    return _pool().submit(fn, *args)


@contextlib.contextmanager
def parallel_rows() -> Iterator[None]:
    """Split big row-wise work across THREADS threads, with BLAS on one thread, while inside."""
    global _active
    if THREADS == 1 or _active:
        yield
        return
    with _blas().limit(limits=1, user_api="blas"):
        _active = True
        try:
            yield
        finally:
            _active = False


_watch = threading.local()


@contextlib.contextmanager
def watched(check: Callable[[], None] | None) -> Iterator[None]:
    """While inside, `check()` runs before every inference batch this thread starts (on whichever
    thread runs it): a caller's way to stop costly work between batches (it raises to stop)."""
    previous = getattr(_watch, "check", None)
    _watch.check = check
    try:
        yield
    finally:
        _watch.check = previous


def between_batches() -> Callable[[], None] | None:
    """The check the calling thread is watched with (see `watched`), if any."""
    return getattr(_watch, "check", None)


def on_threads(fn: Callable[[T], R], items: list[T]) -> list[R]:
    """[fn(item) for item in items], the items dealt to THREADS threads each running BLAS on
    one thread: for independent pieces of work, such as inference batches."""
    if THREADS == 1 or len(items) < 2:
        return [fn(item) for item in items]
    with _blas().limit(limits=1, user_api="blas"):
        return list(_pool().map(fn, items))


def _parts(rows: int, elements: int) -> list[slice]:
    if not _active or THREADS == 1 or elements < PARALLEL_MIN_ELEMENTS or rows < 2 * THREADS:
        return [slice(0, rows)]
    bounds = [rows * i // THREADS for i in range(THREADS + 1)]
    return [slice(bounds[i], bounds[i + 1]) for i in range(THREADS)]


def blocks(rows: slice, row_bytes: int) -> Iterator[slice]:
    """`rows` in runs of about BLOCK_BYTES, for a run of elementwise steps to make on each
    block while it is in cache rather than streaming the whole array through memory per step."""
    step = max(1, BLOCK_BYTES // max(1, row_bytes))
    for start in range(rows.start, rows.stop, step):
        yield slice(start, min(start + step, rows.stop))


def by_rows(fn: Callable[[slice], object], rows: int, elements: int) -> list:
    """fn(rows slice) over `rows` leading-axis rows, split across threads inside
    `parallel_rows()` when the work is big; returns each part's result in order."""
    first, *rest = _parts(rows, elements)
    futures = [submit(fn, part) for part in rest]
    return [fn(first)] + [future.result() for future in futures]


def summed_by_rows(fn: Callable[[slice], np.ndarray], rows: int, elements: int) -> np.ndarray:
    """The sum of fn(part) over row parts: for reductions such as x.T @ grad."""
    first, *rest = by_rows(fn, rows, elements)
    for part in rest:
        first = first + part
    return first


def split(items: list[T], parts: int) -> list[list[T]]:
    """`items` in up to `parts` contiguous, nearly equal, non-empty shares."""
    k = max(1, min(parts, len(items)))
    bounds = [round(i * len(items) / k) for i in range(k + 1)]
    return [items[bounds[i] : bounds[i + 1]] for i in range(k)]
