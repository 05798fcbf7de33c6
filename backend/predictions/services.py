"""The verb of reading: predict. Keyword-only; it returns model_core's plain answers, which
the API's OutputSerializer documents. All numerical work happens in model_core."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings

from backend.common.errors import BatchTooCostly, ModelReadsLines
from backend.common.metrics import observe_predictions
from backend.common.registry import batch_limit, get_model, limits, line_model
from model_core.serving import read_digits

log = logging.getLogger("backend.api")


def predict(
    *, sources: list[Any], model: str | None = None, top_k: int = 3, pay: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """Read a batch: one answer per source, in order (model_core.serving.ANSWER_FIELDS); its
    price paid by `pay` before any network runs."""
    loaded = get_model(model)
    if loaded.reads_lines:
        raise ModelReadsLines(f"model {loaded.name!r} reads whole lines: send it to POST /api/predict-text/")
    if len(sources) > (limit := batch_limit(loaded)):
        raise BatchTooCostly(
            f"a batch for {loaded.name} holds at most {limit} images (each costs it about "
            f"{settings.BATCH_BUDGET_MS / limit:.1f} ms); send the rest in another request"
        )
    counter = line_model() if loaded.alphabet == "digits" else None
    results = read_digits(loaded, sources, limits=limits(), top_k=top_k, counter=counter, pay=pay)
    observe_predictions(loaded.name, [result["is_digit"] for result in results])
    # DEBUG, not INFO: a line per prediction costs every request and nobody reads it; the
    # metrics count predictions (by model and verdict) and time every request.
    log.debug("predicted %d image(s) with %s in %.1f ms", len(results), loaded.name, results[0]["elapsed_ms"])
    return results
