"""What a reading answers, built once for every reader: its characters (label, confidence, the
network's top labels, a box in the image, the 28×28 read), the text, its confidence calibrated
on validation material, and other readings.

    Reading(text, confidence, raw_confidence, characters, alternatives)
    reading_of(characters, spaces, runners, calibration) → Reading
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..imaging.decode import PreprocessError

MAX_CHARACTERS = 64  # what one image may hold (more is refused)


@dataclass
class Character:
    label: str
    confidence: float
    top_k: list[tuple[str, float]]
    box: tuple[int, int, int, int]  # x, y, width, height in the decoded image's pixels (at its working size)
    image: np.ndarray  # the 28×28 the network read


@dataclass
class Reading:
    text: str
    confidence: float  # calibrated: the probability that the whole text is right
    raw_confidence: float = 0.0  # the product of its characters' probabilities, before calibration
    characters: list[Character] = field(default_factory=list)
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    written: str | None = None  # the line as written, its separators and marks included (None: the text)
    unconstrained: tuple[str, float] | None = None  # a constrained reading's: what it reads without the constraint
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)  # every emitted label's box (marks too)

    @property
    def is_text(self) -> bool:
        return bool(self.characters)


def no_text() -> Reading:
    """The reading of a picture with nothing written in it."""
    return Reading("", 0.0)


class TooManyCharacters(PreprocessError):
    """More characters (or candidates for them) in one image than a reader allows."""

    code = "too_many_characters"


def calibrated(raw: float, slope: float, shift: float) -> float:
    """The probability that a reading is right, from its characters' product (Platt scaling,
    fitted on validation material: benchmarks/read.py --fit-confidence)."""
    if raw <= 0:
        return 0.0
    return float(1 / (1 + math.exp(-(slope * math.log(raw) + shift))))


def spaced(labels: list[str], spaces: list[bool]) -> str:
    """The labels as text, a space wherever `spaces` (one between each two) says."""
    return "".join(("" if i == 0 or not spaces[i - 1] else " ") + label for i, label in enumerate(labels))


def reading_of(
    characters: list[Character], spaces: list[bool], runners: list, calibration: tuple[float, float]
) -> Reading:
    """The reading these characters make: its text (a space where `spaces` says), its raw and
    calibrated confidence (`calibration`: Platt's slope and shift), and up to three other
    readings, each one character read as its runner-up (`runners`: (label, probability) or None)."""
    text = spaced([c.label for c in characters], spaces)
    raw = float(np.prod([c.confidence for c in characters])) if characters else 0.0
    slope, shift = calibration
    alternatives = [(t, calibrated(p, slope, shift)) for t, p in _alternatives(characters, raw, spaces, runners)]
    return Reading(text, calibrated(raw, slope, shift), raw, characters, alternatives)


def _alternatives(characters: list[Character], confidence: float, spaces: list[bool], runners, count: int = 3):
    """Other readings, best first: the text with one character read as its runner-up."""
    out = []
    for i, (c, runner) in enumerate(zip(characters, runners, strict=True)):
        if runner is None or c.confidence <= 0:
            continue
        label, p = runner
        text = spaced([label if j == i else d.label for j, d in enumerate(characters)], spaces)
        out.append((text, confidence / c.confidence * p))
    return sorted(out, key=lambda t: -t[1])[:count]
