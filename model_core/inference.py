"""What serving needs beyond `predict_proba`: ranked answers, and random dataset samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import MNIST_DIR, read_csv
from .io import Model


@dataclass
class Prediction:
    label: str
    confidence: float
    probabilities: list[float]
    top_k: list[tuple[str, float]]


def classify(model: Model, images: np.ndarray | list[np.ndarray], top_k: int = 3) -> list[Prediction]:
    """Probabilities for a batch of (28, 28) inputs, with each one's `top_k` labels."""
    probs = model.predict_proba(np.asarray(images, dtype=np.float32))
    order = np.argsort(-probs, axis=1, kind="stable")[:, : max(1, min(top_k, probs.shape[1]))]
    out = []
    for p, ranked in zip(probs, order, strict=True):
        out.append(
            Prediction(
                label=model.labels[ranked[0]],
                confidence=float(p[ranked[0]]),
                probabilities=[float(v) for v in p],
                top_k=[(model.labels[i], float(p[i])) for i in ranked],
            )
        )
    return out


class SampleSet:
    """One split of an MNIST-style CSV, held in memory, sampled reproducibly."""

    def __init__(self, path: str | Path):
        self.images, self.labels = read_csv(path)

    @classmethod
    def mnist(cls, split: str) -> SampleSet:
        return cls(MNIST_DIR / f"mnist_{split}.csv.gz")

    def sample(self, count: int, label: int | None, seed: int) -> list[tuple[int, int, np.ndarray]]:
        """Up to `count` distinct (index, label, float image) drawn with `seed`, optionally one label only."""
        pool = np.flatnonzero(self.labels == label) if label is not None else np.arange(len(self.labels))
        chosen = np.random.default_rng(seed).choice(pool, size=min(count, len(pool)), replace=False)
        return [(int(i), int(self.labels[i]), self.images[i].astype(np.float32) / 255.0) for i in chosen]
