"""Per-client rate limits, counted atomically in the shared cache.

DRF's stock throttle reads a client's request history from the cache and writes it back,
so concurrent requests (and replicas) each see the old history and several get through.
Here each scope counts in a fixed window with the cache's atomic `add` and `incr`
(Redis INCR when REDIS_URL points the cache at Redis; a lock in the in-process cache), so
a limit of N lets exactly N through per window, however many workers and replicas answer.
If the cache cannot be reached, requests are let through and that is logged: throttling
fails open, predictions do not fail with it.

Who the client is: the connection's address, or, when that address is one of the trusted
proxies (API_TRUSTED_PROXIES), the address the proxy put in X-Forwarded-For.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

log = logging.getLogger("backend.api")


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def client_ip(request) -> str:
    """The client's address: X-Forwarded-For is believed only when a trusted proxy sent it,
    and then only the address that proxy added (the rightmost)."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _trusted(remote):
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return remote


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" → (120, 60)."""
    count, _, period = rate.partition("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


class ScopedRateThrottle(BaseThrottle):
    """The view's `throttle_scope` at the rate settings give it (read at request time)."""

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", "default")
        rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(scope)
        if rate is None:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"throttle:{scope}:{client_ip(request)}:{window}"
        self.wait_seconds = (window + 1) * period - now
        try:
            cache.add(key, 0, timeout=period + 1)
            count = cache.incr(key)
        except Exception as exc:  # the cache is down: let the request through, and say so
            log.warning("throttle cache unavailable, not throttling: %s", exc)
            return True
        return count <= limit

    def wait(self) -> float:
        return math.ceil(self.wait_seconds)


def client_key(request) -> str:
    """A stable, non-reversible name for the client (its address, hashed), to count what it stores."""
    return hashlib.sha256(f"digits-client:{client_ip(request)}".encode()).hexdigest()[:32]
