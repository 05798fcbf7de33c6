"""The loaded model a caller predicts with: one network or an ensemble whose probabilities
are averaged, run in inference form, with the input recipe and the calibration its card
records.

Besides the probabilities over its labels, a model says how much an input looks like one of
them at all (`Scores.digit_score`, in [0, 1]; `is_digit` at or above the card's threshold).
A network trained with an extra "not a digit" output answers from that output (the
probabilities over the labels then come from its other outputs alone); any other model from
its highest probability, with a threshold chosen on validation. A temperature (Guo et al.
2017), also chosen on validation, makes a confidence mean what it says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import card as cards
from .data.emnist import canonical_label
from .imaging.preprocess import deskew
from .nn.compiled import GroupedNetwork
from .nn.losses import softmax
from .nn.network import Sequential
from .nn.parallel import THREADS, split, submit


class Model:
    """A trained classifier: `predict_proba` on (N, 28, 28) float32 in [0, 1], white on black."""

    def __init__(self, members: list[Sequential], labels: list[str], card: dict[str, Any], threads: int | None = None):
        if not members:
            raise ValueError("a model needs at least one network")
        self.members, self.labels, self.card = members, list(labels), card
        # One image: an ensemble's networks split across this many threads (parallel.THREADS by default).
        self.threads = THREADS if threads is None else threads
        self._lanes: dict[int, list[list[GroupedNetwork]]] = {}
        # A model whose card's not_a_digit method is "gate" takes digit_score and is_digit from
        # this one (saved.load_model loads it): one small network tells digits from the rest.
        self.gate: Model | None = None
        # How text is read with this model (the reader's card: the alphabet, how, the recorded
        # figures), filled in by serving.load_model; loading a model alone never reads it.
        self.reader: dict | None = None

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

    def canonical_label(self, text: str, extra: tuple[str, ...] = ()) -> str | None:
        """`text` as one of its labels (or of `extra`), a lower-case letter the model merges with
        its capital as that capital ("c" → "C"); None when it is none of them."""
        return canonical_label(text, [*self.labels, *extra])

    def summary(self, default: str) -> dict[str, Any]:
        """Its name, version, size and speed as a list of models shows them (card.summary)."""
        return cards.summary(self.card, default)

    @property
    def deskews(self) -> bool:
        return cards.deskews(self.card)

    @property
    def alphabet(self) -> str:
        """What the model reads as text: "digits" or "characters" (card.ALPHABETS), a fact of its card."""
        return cards.alphabet(self.card)

    @property
    def recipe(self) -> str:
        """How an image becomes this model's input: "mnist" or "emnist" (preprocess.RECIPES)."""
        return cards.recipe(self.card)

    @property
    def not_a_digit(self) -> dict:
        """How this model tells digits from anything else (card.not_a_digit); a gated model's
        threshold is its gate's."""
        rule = cards.not_a_digit(self.card)
        if self.gate is not None:
            rule["threshold"] = self.gate.not_a_digit["threshold"]
        return rule

    @property
    def outputs(self) -> int:
        """Each network's outputs: the labels, and one more for "not a digit" where trained so."""
        return len(self.labels) + int(self.not_a_digit["method"] == cards.CLASS_METHOD)

    def raw_scores(self, x: np.ndarray, batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """The networks' averaged probabilities over the labels, before calibration; and, for
        networks with a "not a digit" output, the averaged probability of being a digit.

        Images that fit in one batch (one drawing) split the members across `threads`
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
        labels = len(self.labels)
        extra = self.outputs > labels

        def summed(lane: list[GroupedNetwork]) -> np.ndarray:
            total = 0
            for group in lane:
                z = group.logits(x, batch_size)  # (members, N, outputs)
                if extra:  # the labels' probabilities among themselves, and P(a digit)
                    part = np.concatenate([softmax(z[..., :labels]), 1 - softmax(z)[..., labels:]], axis=-1)
                else:
                    part = softmax(z)
                total = total + part.sum(axis=0)
            return total

        one_batch = all(len(x) <= (batch_size or group.batch_size) for lane in lanes for group in lane)
        if len(lanes) == 1 or not one_batch:
            summed_all = sum(summed(lane) for lane in lanes)
        else:  # NumPy's matmuls release the GIL: the shares really run side by side
            others = [submit(summed, lane) for lane in lanes[1:]]
            summed_all = summed(lanes[0]) + sum(future.result() for future in others)
        mean = (summed_all / len(self.members)).astype(np.float32)
        return (mean[:, :labels], mean[:, labels]) if extra else (mean, None)

    def scores(self, x: np.ndarray, batch_size: int | None = None) -> Scores:
        """Calibrated probabilities over the labels, and how much each input looks like a digit."""
        probs, in_class = self.raw_scores(x, batch_size)
        rule = self.not_a_digit
        probs = temperature_scaled(probs, rule["temperature"])
        if self.gate is not None:
            gated = self.gate.scores(x, batch_size)
            return Scores(probs, gated.digit_score, gated.is_digit)
        if rule["method"] == cards.DIGIT_LABELS_METHOD:  # a reader of characters: digits among its labels
            digits = np.array([label.isdigit() for label in self.labels])
            score = probs[:, digits].sum(axis=1)
            return Scores(probs, score.astype(np.float32), digits[probs.argmax(axis=1)])
        score = in_class if in_class is not None else probs.max(axis=1)
        return Scores(probs, score.astype(np.float32), score >= rule["threshold"])

    def predict_proba(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Calibrated probabilities over the labels, (N, labels) float32."""
        return self.scores(x, batch_size).probabilities

    @property
    def networks(self) -> int:
        """The networks one input runs through (a gate's included): what an input costs it."""
        return len(self.members) + (self.gate.networks if self.gate is not None else 0)

    @property
    def reads_lines(self) -> bool:
        """A line network (its card's reader "line"): it reads a whole line, not one 28×28."""
        return cards.reader(self.card) == "line"

    def warm_up(self) -> None:
        """Run the networks once on a blank input of their shape (building the inference form)."""
        if self.reads_lines:
            net = self.members[0]
            net.logits(np.zeros((1, net.input_shape[0], 64), np.float32))
        else:
            self.predict_proba(np.zeros((1, 28, 28), np.float32))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.raw_scores(x)[0].argmax(axis=1)


@dataclass
class Scores:
    probabilities: np.ndarray  # (N, labels), calibrated
    digit_score: np.ndarray  # (N,) in [0, 1]: how much each input looks like one of the labels
    is_digit: np.ndarray  # (N,) bool: digit_score at or above the model's threshold


def temperature_scaled(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): the same ranking, confidences softened (T > 1) or sharpened (T < 1)."""
    if temperature == 1.0:
        return probs
    logits = np.log(np.clip(probs, 1e-30, 1)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass
class Prediction:
    label: str
    confidence: float
    probabilities: list[float]
    top_k: list[tuple[str, float]]
    is_digit: bool
    digit_score: float


def classify(model: Model, images: np.ndarray | list[np.ndarray], top_k: int = 3) -> list[Prediction]:
    """Probabilities for a batch of (28, 28) inputs, with each one's `top_k` labels and
    whether it looks like a digit at all."""
    scores = model.scores(np.asarray(images, dtype=np.float32))
    probs = scores.probabilities
    order = np.argsort(-probs, axis=1, kind="stable")[:, : max(1, min(top_k, probs.shape[1]))]
    return [
        Prediction(
            label=model.labels[ranked[0]],
            confidence=float(p[ranked[0]]),
            probabilities=[float(v) for v in p],
            top_k=[(model.labels[i], float(p[i])) for i in ranked],
            is_digit=bool(is_digit),
            digit_score=float(score),
        )
        for p, ranked, score, is_digit in zip(probs, order, scores.digit_score, scores.is_digit, strict=True)
    ]
