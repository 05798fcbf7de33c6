"""Readiness: the models loaded, and the state of what the server leans on (the database, the
cache and the throttles' Redis)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection

from backend.common import throttling
from backend.common.errors import ModelNotReady, UnknownModel
from backend.common.registry import load_all, loaded_models, run_each


def _check(probe, details: bool) -> str:
    """ "ok", or "unavailable" (with the error's text only for `details`: it may name hosts,
    users and paths)."""
    try:
        probe()
    except Exception as exc:  # whatever the backend raises, readiness reports it, never fails
        return f"unavailable: {type(exc).__name__}: {exc}"[:200] if details else "unavailable"
    return "ok"


def _cache_round_trip() -> None:
    """The cache, and the throttles' shared counts where they live in Redis."""
    cache.set("readiness", "ok", timeout=10)
    if cache.get("readiness") != "ok":
        raise RuntimeError("the cache did not keep a value")
    shared = throttling.store()
    if isinstance(shared, throttling.RedisLog):
        shared.client.ping()


def _database_round_trip() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def readiness(details: bool = False) -> dict[str, Any]:
    """Ready when every shipped model is loaded, the default first (a user may pick any of
    them; none should pay for its loading): predictions can be answered. `checks` says what
    else is out: the database (corrections) and the cache and Redis (throttles, which count
    per server without it); with one out the server is ready but `degraded`. The checks'
    error texts only with `details` (the metrics token's holder)."""
    checks = {"database": _check(_database_round_trip, details), "cache": _check(_cache_round_trip, details)}
    try:
        load_all()
    except (ModelNotReady, UnknownModel) as exc:
        checks = {"model": "unavailable", **checks}
        return {
            "ready": False,
            "status": "not_ready",
            "detail": str(exc),
            "models_loaded": loaded_models(),
            "checks": checks,
        }
    out = [name for name, state in checks.items() if state != "ok"]
    detail = f"degraded: {', '.join(out)} unavailable" if out else "ok"
    return {
        "ready": True,
        "status": "degraded" if out else "ok",
        "detail": detail,
        "models_loaded": loaded_models(),
        "checks": {"model": "ok", **checks},
    }


def warm_up() -> dict[str, Any]:
    """Load every shipped model and run each once, so no user's first request pays for
    loading one (the ensemble's first answer took 413 ms) or building its inference form."""
    state = readiness()
    if state["ready"]:
        run_each()
    return state
