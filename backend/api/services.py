"""The verbs: predict and store a correction. Keyword-only; they return plain results that
the APIs' output serializers shape. All numerical work happens in model_core."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from model_core.model import classify
from model_core.preprocess import decode_base64, original_bytes, preprocess, to_data_url, to_uint8

from .errors import InvalidLabel
from .models import Feedback
from .registry import get_model, limits

log = logging.getLogger("backend.api")


@dataclass
class Prediction:
    prediction: str
    confidence: float
    probabilities: list[float]
    labels: list[str]
    top_k: list[dict[str, Any]]
    processed_image: str
    model: dict[str, str]
    elapsed_ms: float


def preprocess_all(sources: list[Any]):
    """Each source → the 28×28 network input; a batch error names the item at fault."""
    images = []
    for index, source in enumerate(sources):
        try:
            images.append(preprocess(source, limits()))
        except ValueError as exc:
            if len(sources) > 1:
                exc.args = (f"images[{index}]: {exc}",)
            raise
    return images


def predict(*, sources: list[Any], model: str | None = None, top_k: int = 3) -> list[Prediction]:
    """Preprocess and classify a batch; one result per source, in order."""
    started = time.perf_counter()
    loaded = get_model(model)
    images = preprocess_all(sources)
    predictions = classify(loaded, images, top_k)
    elapsed = round((time.perf_counter() - started) * 1000, 3)
    results = [
        Prediction(
            prediction=p.label,
            confidence=p.confidence,
            probabilities=p.probabilities,
            labels=loaded.labels,
            top_k=[{"label": label, "probability": prob} for label, prob in p.top_k],
            processed_image=to_data_url(image),
            model={"name": loaded.name, "version": loaded.version},
            elapsed_ms=elapsed,
        )
        for p, image in zip(predictions, images, strict=True)
    ]
    log.info("predicted %d image(s) with %s in %.1f ms", len(results), loaded.name, elapsed)
    return results


def feedback_create(
    *, source: Any, true_label: str, predicted_label: str = "", model: str | None = None, model_version: str = ""
) -> Feedback:
    """Store a correction with its 28×28 network input; committed before this returns."""
    loaded = get_model(model)
    if true_label not in loaded.labels:
        raise InvalidLabel(f"true_label must be one of {', '.join(loaded.labels)}")
    if isinstance(source, str):
        source = decode_base64(source, limits())  # once, for both copies below
    image = preprocess(source, limits())
    original, original_type = original_bytes(source, limits())
    entry = Feedback.objects.create(
        true_label=true_label,
        predicted_label=predicted_label,
        model_name=loaded.name,
        model_version=model_version or loaded.version,
        processed=to_uint8(image).tobytes(),
        original=original,
        original_type=original_type,
    )
    log.info("feedback %s stored: %s → %s (%s)", entry.pk, predicted_label or "?", true_label, loaded.name)
    return entry
