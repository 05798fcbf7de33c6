"""Softmax and cross-entropy, fused so the gradient is simply (p - y) / N."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)  # exp never overflows
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer labels, with optional label
    smoothing (the target puts `smoothing` of its mass evenly on every class)."""

    def __init__(self, smoothing: float = 0.0) -> None:
        self.smoothing = smoothing

    def forward(self, logits: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
        n, k = logits.shape
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        target = np.full((n, k), self.smoothing / k, dtype=logits.dtype)
        target[np.arange(n), labels] += 1.0 - self.smoothing
        w = np.ones(n, logits.dtype) if weights is None else np.asarray(weights, logits.dtype)
        self.scale = w / w.sum()  # each sample's share of the mean
        self.probs, self.target = np.exp(log_probs), target
        return float(-(self.scale * (target * log_probs).sum(axis=1)).sum())

    def backward(self) -> np.ndarray:
        return (self.probs - self.target) * self.scale[:, None]
