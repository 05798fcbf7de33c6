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


class DistillationLoss:
    """Hinton, Vinyals & Dean (2015): cross-entropy with the labels over all C outputs, mixed
    with T² · KL(teacher_T ‖ student_T) over the teacher's K ≤ C classes, both softened at
    temperature T, on the rows that have a teacher's probabilities (a NaN row has none: it
    learns from its label alone, e.g. a "not a digit" example the teacher cannot judge).
    The T² keeps the soft term's gradients on the scale of the hard one's."""

    def __init__(self, alpha: float = 0.5, temperature: float = 3.0) -> None:
        self.alpha, self.temperature = alpha, temperature

    def forward(self, logits: np.ndarray, labels: np.ndarray, teacher: np.ndarray | None = None, weights=None) -> float:
        n, _ = logits.shape
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        w = np.ones(n, logits.dtype) if weights is None else np.asarray(weights, logits.dtype)
        scale = w / w.sum()
        has = np.zeros(n, bool) if teacher is None else ~np.isnan(teacher[:, 0])
        mix = np.where(has, 1 - self.alpha, 1.0).astype(logits.dtype) * scale
        rows = np.arange(n)
        grad = np.exp(log_p)
        grad[rows, labels] -= 1.0
        grad *= mix[:, None]
        loss = float(-(mix * log_p[rows, labels]).sum())
        if has.any():
            t, k = self.temperature, teacher.shape[1]
            # The teacher's averaged probabilities, softened: p^(1/T), renormalised.
            target = np.exp(np.log(np.clip(teacher[has], 1e-12, 1)) / t)
            target /= target.sum(axis=1, keepdims=True)
            student = logits[has, :k] / t
            student -= student.max(axis=1, keepdims=True)
            log_q = student - np.log(np.exp(student).sum(axis=1, keepdims=True))
            share = self.alpha * scale[has]
            kl = (target * (np.log(np.clip(target, 1e-12, 1)) - log_q)).sum(axis=1)
            loss += float((share * t * t * kl).sum())
            grad[has, :k] += (t * (np.exp(log_q) - target) * share[:, None]).astype(logits.dtype)  # d(T²·KL)/dz
        self.grad = grad
        return loss

    def backward(self) -> np.ndarray:
        return self.grad
