"""The shipped models, each loaded once per process (safe under threads), and the limits
every decode runs under: what every domain reads with."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings

from model_core.serving import Limits, Model, ModelLoadError, available_models, load_model

from . import watch
from .errors import ModelNotReady, UnknownModel

log = logging.getLogger("backend.api")
_lock = threading.Lock()
_models: dict[str, Model] = {}


def model_names() -> list[str]:
    return available_models(settings.MODEL_DIR)


def model_summaries() -> list[dict[str, Any]]:
    """Every shipped model's name, version, size and speed, from its card (each model is
    loaded once per process, before serving, anyway)."""
    return [get_model(name).summary(settings.DEFAULT_MODEL) for name in model_names()]


def get_model(name: str | None = None) -> Model:
    """A shipped model by name (default: settings.DEFAULT_MODEL), loaded on first use."""
    name = name or settings.DEFAULT_MODEL
    model = _models.get(name)
    if model is not None:
        return model
    if name not in model_names():
        raise UnknownModel(f"unknown model {name!r}; available: {', '.join(model_names()) or 'none'}")
    with _lock:
        if name not in _models:
            started = time.perf_counter()
            try:
                _models[name] = load_model(settings.MODEL_DIR / name)
            except ModelLoadError as exc:
                log.error("model %s failed to load: %s", name, exc)
                raise ModelNotReady(f"model {name!r} could not be loaded") from exc
            log.info("loaded model %s in %.0f ms", name, (time.perf_counter() - started) * 1000)
        return _models[name]


LINE_MODELS = {"digits": "line-digits", "characters": "line-characters"}  # the line networks, where shipped


def shipped_model(name: str) -> Model | None:
    """A model that may or may not be shipped: loaded, or None where it is not (the directory
    is listed only for a model not loaded yet, not on every request)."""
    model = _models.get(name)
    if model is not None or name not in model_names():
        return model
    return get_model(name)


def line_model(alphabet: str = "digits") -> Model | None:
    """The shipped line network for an alphabet (predict-text's default; for numbers also
    predict-digit's counter of characters), or None where none is shipped."""
    return shipped_model(LINE_MODELS[alphabet])


def load_all() -> None:
    """Load every shipped model, the default first, without running one (a server's master
    loads them before it forks its workers)."""
    for name in dict.fromkeys([settings.DEFAULT_MODEL, *model_names()]):
        get_model(name)


def loaded_models() -> list[str]:
    return sorted(_models)


def run_each() -> None:
    """Run every loaded model once (building its inference form)."""
    for model in list(_models.values()):
        model.warm_up()


def limits() -> Limits:
    return Limits(
        check=watch.check,
        max_price=settings.MAX_REQUEST_PRICE,
        max_bytes=settings.MAX_IMAGE_BYTES,
        max_pixels=settings.MAX_IMAGE_PIXELS,
        max_request_decode_bytes=settings.MAX_REQUEST_DECODE_BYTES,
    )


def batch_limit(model: Model) -> int:
    """How many images one batch may hold for this model: MAX_BATCH_SIZE, fewer for a model
    whose images cost more (its card's one-image time, measured through `scores`, so a gate's
    share included), so that no batch holds a worker much longer than BATCH_BUDGET_MS of
    network time."""
    per_image = (model.card.get("speed") or {}).get("one_image_ms") or 0.0
    if per_image <= 0:
        return settings.MAX_BATCH_SIZE
    return max(1, min(settings.MAX_BATCH_SIZE, int(settings.BATCH_BUDGET_MS / per_image)))
