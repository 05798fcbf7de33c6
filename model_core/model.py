"""The loaded model a caller predicts with: one network or an ensemble whose probabilities
are averaged, run in inference form, with the input recipe its card records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import card as cards
from .compiled import GroupedNetwork
from .losses import softmax
from .network import Sequential
from .parallel import THREADS, split, submit
from .preprocess import deskew


class Model:
    """A trained classifier: `predict_proba` on (N, 28, 28) float32 in [0, 1], white on black."""

    def __init__(self, members: list[Sequential], labels: list[str], card: dict[str, Any], threads: int | None = None):
        if not members:
            raise ValueError("a model needs at least one network")
        self.members, self.labels, self.card = members, list(labels), card
        # One image: an ensemble's networks split across this many threads (parallel.THREADS by default).
        self.threads = THREADS if threads is None else threads
        self._lanes: dict[int, list[list[GroupedNetwork]]] = {}

    def lanes(self, parts: int = 1) -> list[list[GroupedNetwork]]:
        """The members in inference form, those sharing an architecture grouped, each group
        split into up to `parts` contiguous shares, dealt to up to `parts` threads: thread i
        runs share i of every architecture, so each thread gets a like part of each kind of
        work (one thread per share would mean more threads than cores). Built once per `parts`.

        A loaded model's weights are frozen: build a new `Model` after training its members.
        """
        if parts not in self._lanes:
            kinds = [[self.members[i] for i in indices] for indices in self._by_architecture()]
            shares = [[GroupedNetwork(share) for share in split(nets, parts)] for nets in kinds]
            self._lanes[parts] = [[kind[i] for kind in shares if i < len(kind)] for i in range(len(shares[0]))]
        return self._lanes[parts]

    def groups(self, parts: int = 1) -> list[GroupedNetwork]:
        """Every grouped share of `lanes(parts)`, in one list."""
        return [group for lane in self.lanes(parts) for group in lane]

    def _by_architecture(self) -> list[list[int]]:
        """The members' indices, grouped by architecture in order of first appearance."""
        found: dict[str, list[int]] = {}
        for i, net in enumerate(self.members):
            found.setdefault(json.dumps(net.spec, sort_keys=True), []).append(i)
        return list(found.values())

    def architectures(self) -> list[dict[str, Any]]:
        """Each architecture among the networks, in order of first appearance: its name, how
        many networks have it, and one network's layers (`Sequential.describe()`)."""
        out = []
        for indices in self._by_architecture():
            net = self.members[indices[0]]
            out.append(
                {
                    "name": cards.member_architecture(self.card, indices[0]),
                    "networks": len(indices),
                    "parameter_count": net.parameter_count,
                    "layers": net.describe(),
                }
            )
        return out

    @property
    def name(self) -> str:
        return cards.name(self.card)

    @property
    def version(self) -> str:
        return cards.version(self.card)

    @property
    def deskews(self) -> bool:
        return cards.deskews(self.card)

    def predict_proba(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Images that fit in one batch (one drawing) split the members across `threads`
        threads; more images than that share their batches among the library's threads
        instead, one group of members after another."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {x.shape}")
        if self.deskews:
            x = deskew(x)
        lanes = self.lanes(max(1, self.threads))

        def summed(lane: list[GroupedNetwork]) -> np.ndarray:
            return sum(softmax(group.logits(x, batch_size)).sum(axis=0) for group in lane)

        one_batch = all(len(x) <= (batch_size or group.batch_size) for lane in lanes for group in lane)
        if len(lanes) == 1 or not one_batch:
            probs = sum(summed(lane) for lane in lanes)
        else:  # NumPy's matmuls release the GIL: the shares really run side by side
            others = [submit(summed, lane) for lane in lanes[1:]]
            probs = summed(lanes[0]) + sum(future.result() for future in others)
        return (probs / len(self.members)).astype(np.float32)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.predict_proba(x).argmax(axis=1)


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
    return [
        Prediction(
            label=model.labels[ranked[0]],
            confidence=float(p[ranked[0]]),
            probabilities=[float(v) for v in p],
            top_k=[(model.labels[i], float(p[i])) for i in ranked],
        )
        for p, ranked in zip(probs, order, strict=True)
    ]
