"""Costly work stops when nobody waits for its answer: the request's client has left (its
connection, nginx's to us, is closed) or its time is up (REQUEST_SECONDS, nginx's own timeout,
after which nginx has answered 504 already). model_core checks between the network's batches
and between a request's images (Limits.check); this module says, for the request this thread
serves, whether to stop."""

from __future__ import annotations

import socket
import threading
import time

from django.conf import settings

from model_core.serving import PreprocessError

_current = threading.local()


class Stopped(PreprocessError):
    """Its client left, or its time ran out: the work stopped (the answer is never read)."""

    code = "cancelled"


def check() -> None:
    """Raise Stopped when this thread's request is past its deadline or its client has gone."""
    watch = getattr(_current, "watch", None)
    if watch is None:
        return
    deadline, sock = watch
    if time.monotonic() > deadline:
        raise Stopped(f"stopped: past the request's {settings.REQUEST_SECONDS} s")
    if sock is not None and _closed(sock):
        raise Stopped("stopped: the client closed its connection")


def _closed(sock: socket.socket) -> bool:
    """Whether the peer closed the connection (a zero-length peek); data waiting, or none yet, is open."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class RequestWatchMiddleware:
    """Start each request's watch: its deadline, and its connection (gunicorn's socket)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _current.watch = (time.monotonic() + settings.REQUEST_SECONDS, request.META.get("gunicorn.socket"))
        try:
            return self.get_response(request)
        finally:
            _current.watch = None
