"""The service layer: models loaded once per process (thread-safe), predictions, samples.

Views call these functions; all numerical work happens in model_core.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np
from django.conf import settings

from model_core import Model, ModelLoadError, available_models, load_model
from model_core.inference import SampleSet, classify
from model_core.preprocess import (
    Limits,
    decode_base64,
    from_uint8_bytes,
    original_bytes,
    preprocess,
    to_data_url,
    to_uint8,
)

from .models import Feedback

log = logging.getLogger("backend.api")
_lock = threading.Lock()
_models: dict[str, Model] = {}
_samples: dict[str, SampleSet] = {}


class ModelNotReady(RuntimeError):
    pass


class UnknownModel(ValueError):
    pass


class InvalidLabel(ValueError):
    pass


def model_names() -> list[str]:
    return available_models(settings.MODEL_DIR)


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
                model = load_model(settings.MODEL_DIR / name)
                model.threads = settings.INFERENCE_THREADS
                _models[name] = model
            except ModelLoadError as exc:
                log.error("model %s failed to load: %s", name, exc)
                raise ModelNotReady(f"model {name!r} could not be loaded") from exc
            log.info("loaded model %s in %.0f ms", name, (time.perf_counter() - started) * 1000)
        return _models[name]


def readiness() -> dict[str, Any]:
    try:
        get_model()
    except (ModelNotReady, UnknownModel) as exc:
        return {"ready": False, "detail": str(exc), "models_loaded": sorted(_models)}
    return {"ready": True, "detail": "ok", "models_loaded": sorted(_models)}


def warm_up() -> dict[str, Any]:
    """Load the default model and run it once, so the first user's request does not pay for
    building the inference form and starting the threads (~100 ms measured)."""
    state = readiness()
    if state["ready"]:
        get_model().predict_proba(np.zeros((1, 28, 28), np.float32))
    return state


def limits() -> Limits:
    return Limits(max_bytes=settings.MAX_IMAGE_BYTES, max_pixels=settings.MAX_IMAGE_PIXELS)


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


def predict(sources: list[Any], model_name: str | None = None, top_k: int = 3) -> list[dict[str, Any]]:
    """Preprocess and classify a batch; one result dict per source, in order."""
    started = time.perf_counter()
    model = get_model(model_name)
    images = preprocess_all(sources)
    predictions = classify(model, images, top_k)
    elapsed = (time.perf_counter() - started) * 1000
    results = [
        {
            "prediction": p.label,
            "confidence": p.confidence,
            "probabilities": p.probabilities,
            "labels": model.labels,
            "top_k": [{"label": label, "probability": prob} for label, prob in p.top_k],
            "processed_image": to_data_url(image),
            "model": {"name": model.name, "version": model.version},
            "elapsed_ms": round(elapsed, 3),
        }
        for p, image in zip(predictions, images, strict=True)
    ]
    log.info("predicted %d image(s) with %s in %.1f ms", len(results), model.name, elapsed)
    return results


def samples(split: str) -> SampleSet:
    sample_set = _samples.get(split)
    if sample_set is None:
        with _lock:
            if split not in _samples:
                _samples[split] = SampleSet.mnist(split)
            sample_set = _samples[split]
    return sample_set


def display_images(count: int, digit: int | None, split: str, seed: int) -> list[dict[str, Any]]:
    return [
        {"id": index, "label": str(label), "split": split, "image": to_data_url(image)}
        for index, label, image in samples(split).sample(count, digit, seed)
    ]


def model_card(name: str | None = None) -> dict[str, Any]:
    model = get_model(name)
    return {
        **model.card,
        "architectures": model.architectures(),
        "available_models": model_names(),
        "default_model": settings.DEFAULT_MODEL,
    }


# --- Feedback ---------------------------------------------------------------------------


def save_feedback(source: Any, true_label: str, predicted_label: str, model_name: str | None, model_version: str):
    """Store a correction with its 28×28 network input; committed before this returns."""
    model = get_model(model_name)
    if true_label not in model.labels:
        raise InvalidLabel(f"true_label must be one of {', '.join(model.labels)}")
    if isinstance(source, str):
        source = decode_base64(source, limits())  # once, for both copies below
    image = preprocess(source, limits())
    original, original_type = original_bytes(source, limits())
    entry = Feedback.objects.create(
        true_label=true_label,
        predicted_label=predicted_label,
        model_name=model.name,
        model_version=model_version or model.version,
        processed=to_uint8(image).tobytes(),
        original=original,
        original_type=original_type,
    )
    log.info("feedback %s stored: %s → %s (%s)", entry.pk, predicted_label or "?", true_label, model.name)
    return entry


def feedback_image(entry) -> str:
    """A stored correction's 28×28 image as a PNG data URL."""
    return to_data_url(from_uint8_bytes(bytes(entry.processed)))


def feedback_csv_lines():
    """MNIST-style CSV of every correction, oldest first: `label,pixel0,…,pixel783`."""
    yield "label," + ",".join(f"pixel{i}" for i in range(784)) + "\n"
    for label, processed in Feedback.objects.order_by("id").values_list("true_label", "processed").iterator():
        yield label + "," + ",".join(map(str, bytes(processed))) + "\n"


def feedback_queryset():
    return Feedback.objects.all()
