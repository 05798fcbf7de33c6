"""Reading several characters: a handwritten number, left to right.

The image's ink is found as for one character (imaging.ink: a drawing's background, a photo's
light, rulings, specks and page edges dropped), over the whole written line. Its pieces are
grouped into blobs (pieces that share most of their columns are one character's: a 5's top
bar, a broken stroke); a blob wider than a character may be several touching ones, so the
columns where its ink is thinnest (and, in a blob too wide for one, regular steps) are
candidate cuts. Every run between cuts no wider than MAX_WIDTH lines is a candidate
character, placed by the model's recipe and read by the network in one batch; the best path
through the candidates (dynamic programming over the cuts) chooses where characters end:
each character scores its best label's probability times how much it looks like one
character at all (the network's "not a digit" output says two touching digits are not one),
and costs CHARACTER_COST besides. Small marks beside the writing (a full stop, a dash after
an amount) may be passed over.

A first reader, measured (docs/measurements.md, "Reading numbers"): a fragment cut from a
digit still reads as a confident digit to a network that never saw fragments, which is
where it fails most; a scorer trained on fragments and pairs is the next step.

    read_text(model, source, limits) → Reading(text, confidence, characters, alternatives)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from .imaging.decode import DEFAULT_LIMITS, EmptyImageError, Limits, PreprocessError, load_pixels
from .imaging.ink import locate_ink
from .imaging.pieces import DUST, pieces
from .imaging.preprocess import RECIPES
from .model import Model

MAX_CHARACTERS = 64  # what one image may hold (more is refused)
# Candidates read for one image at most: a line of MAX_CHARACTERS characters with its cuts, a
# few hundred milliseconds of one core; a very wide image with more is refused, not a stall.
MAX_CANDIDATES = 8 * MAX_CHARACTERS
MAX_WIDTH = 1.1  # a character is at most this many times the line's height wide
STEP = 0.2  # in a blob too wide for one character, cuts are also tried every this share of the height
UNIFORM_ABOVE = 0.9  # ... a blob wider than this many heights
CUT_DEPTH = 0.6  # a column is a candidate cut when its ink is at most this share of the blob's typical column
MIN_CUT_GAP = 0.25  # cuts at least this share of the line's height apart (and from a blob's edges)
SMALL_MARK = 0.35  # a blob lower than this share of the line's height may be punctuation, passed over
SKIP_COST = -math.log(0.5)  # passing over a small mark costs as much as a character read at 50%
# Each character read costs this much on top of its own doubt: a cut through one digit must
# be paid for by the evidence of two (a stroke cut off a digit reads as a confident "1").
CHARACTER_COST = 1.0
OVERLAP = 0.5  # pieces sharing this share of the narrower one's columns are one character's
# P(the text is right) = sigmoid(SLOPE · log(product of the characters' probabilities) + SHIFT)
CONFIDENCE_SLOPE, CONFIDENCE_SHIFT = 8.9301, 1.7757  # benchmarks/read.py --fit-confidence, 1,000 validation numbers
EIGHT = np.ones((3, 3), bool)


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

    @property
    def is_text(self) -> bool:
        return bool(self.characters)


@dataclass(frozen=True)
class Blob:
    left: int
    right: int
    labels: tuple[int, ...]  # the connected pieces it is made of

    @property
    def width(self) -> int:
        return self.right - self.left


def _blobs(mask: np.ndarray) -> tuple[np.ndarray, list[Blob]]:
    """The mask's pieces, grouped into blobs of shared columns, left to right."""
    labels, count = ndimage.label(mask, structure=EIGHT)
    spans = [(s[1].start, s[1].stop, k + 1) for k, s in enumerate(ndimage.find_objects(labels))]
    spans.sort()
    blobs: list[list] = []
    for left, right, label in spans:
        if blobs:
            b_left, b_right, members = blobs[-1]
            shared = min(right, b_right) - max(left, b_left)
            if shared > OVERLAP * min(right - left, b_right - b_left):
                blobs[-1] = [b_left, max(b_right, right), [*members, label]]
                continue
        blobs.append([left, right, [label]])
    return labels, [Blob(left, right, tuple(members)) for left, right, members in blobs]


def _cuts(ink: np.ndarray, blob: Blob, height: int) -> list[int]:
    """Candidate cut columns within a blob: its thinnest columns (where touching characters
    meet), and, in a blob too wide for one character, columns every STEP of the height too
    (overlapping characters leave no thin column between them)."""
    columns = ink[:, blob.left : blob.right].sum(axis=0)
    if blob.width < 2 * MIN_CUT_GAP * height or not columns.any():
        return []
    typical = float(np.median(columns[columns > 0]))
    gap = max(2, int(MIN_CUT_GAP * height))
    cuts: list[int] = []
    for x in np.argsort(columns, kind="stable"):
        if columns[x] > CUT_DEPTH * typical:
            break
        if x < gap or blob.width - x < gap or any(abs(x - c) < gap for c in cuts):
            continue
        cuts.append(int(x))
    if blob.width > UNIFORM_ABOVE * height:
        step = max(2, int(STEP * height))
        cuts += [x for x in range(step, blob.width - step // 2, step) if all(abs(x - c) >= step // 2 for c in cuts)]
    return sorted(blob.left + c for c in cuts)


def read_text(
    model: Model, source: object, limits: Limits = DEFAULT_LIMITS, top_k: int = 3, scorer: Model | None = None
) -> Reading:
    """Read the characters written in `source` (any input `preprocess` takes) with `model`.
    A blank or near-blank image reads as no text (is_text false), not as an error. `scorer`,
    when given, says how much each candidate looks like one character (a network that learnt
    what a reader cuts wrongly); `model`'s own "not a digit" otherwise."""
    grey = load_pixels(source, limits)
    try:  # a character of a long line is a small share of its width: no rule on its extent here
        ink, box = locate_ink(grey, dataclasses.replace(limits, min_extent=0.0))
    except EmptyImageError:
        return Reading("", 0.0)
    top, left, bottom, right = box = _line_box(ink.mask, box)
    strength = ink.crop(box)  # the writing's ink in [0, 1], the whole line
    mask = strength > 0.2
    labels, blobs = _blobs(mask)
    height = bottom - top
    if not blobs:
        return Reading("", 0.0)
    # The lattice: nodes are x positions (blob edges and cuts); an edge is a candidate character.
    candidates: list[tuple[int, int, int]] = []  # (blob, first node, last node) per candidate
    nodes: list[list[int]] = []
    for b, blob in enumerate(blobs):
        xs = [blob.left, *_cuts(strength, blob, height), blob.right]
        nodes.append(xs)
        for i in range(len(xs) - 1):
            for j in range(i + 1, len(xs)):
                if j > i + 1 and xs[j] - xs[i] > MAX_WIDTH * height:
                    break
                candidates.append((b, i, j))
    if len(blobs) > MAX_CHARACTERS or len(candidates) > MAX_CANDIDATES:
        raise TooManyCharacters(f"an image may hold at most {MAX_CHARACTERS} characters; this one holds more")
    crops = [_piece(strength, labels, blobs[b], nodes[b][i], nodes[b][j]) for b, i, j in candidates]
    keep = [k for k, c in enumerate(crops) if c is not None]
    if not keep:
        return Reading("", 0.0)
    images = np.stack([RECIPES[model.recipe](crops[k][0]) for k in keep])
    scores = model.scores(images)
    one_character = scorer.scores(images).digit_score if scorer is not None else scores.digit_score
    score_of = {k: n for n, k in enumerate(keep)}

    def cost(k: int) -> float:
        n = score_of.get(k)
        if n is None:
            return math.inf
        p = float(scores.probabilities[n].max()) * float(one_character[n])
        return -math.log(max(p, 1e-9)) + CHARACTER_COST

    # Best path, blob by blob (a character never spans two blobs): within a blob, the cheapest
    # way from its left edge to its right through candidates (each ends at a later node than it
    # starts, so a node's best is final before any candidate leaves it); a small mark may be
    # passed over.
    ending: dict[tuple[int, int], list[int]] = {}
    for k, (b, _, j) in enumerate(candidates):
        ending.setdefault((b, j), []).append(k)
    path: list[int] = []
    for b, blob in enumerate(blobs):
        xs = nodes[b]
        best = [math.inf] * len(xs)
        back: list[int | None] = [None] * len(xs)
        best[0] = 0.0
        for j in range(1, len(xs)):
            for k in ending.get((b, j), ()):
                through = best[candidates[k][1]] + cost(k)
                if through < best[j]:
                    best[j], back[j] = through, k
        blob_height = _blob_height(labels, blob)
        if blob_height < SMALL_MARK * height and best[-1] > SKIP_COST:
            continue  # punctuation or a speck beside the writing, passed over
        chosen, j = [], len(xs) - 1
        while j > 0 and back[j] is not None:
            chosen.append(back[j])
            j = candidates[back[j]][1]
        path.extend(reversed(chosen))
    if len(path) > MAX_CHARACTERS:
        raise TooManyCharacters(f"an image may hold at most {MAX_CHARACTERS} characters; this one holds {len(path)}")
    characters = []
    for k in path:
        n = score_of[k]
        probs = scores.probabilities[n]
        order = np.argsort(-probs, kind="stable")[: max(1, min(top_k, len(probs)))]
        x0, x1, y0, y1 = crops[k][1]
        characters.append(
            Character(
                label=model.labels[order[0]],
                confidence=float(probs[order[0]]),
                top_k=[(model.labels[i], float(probs[i])) for i in order],
                box=(left + x0, top + y0, x1 - x0, y1 - y0),
                image=images[n],
            )
        )
    text = "".join(c.label for c in characters)
    raw = float(np.prod([c.confidence for c in characters])) if characters else 0.0
    confidence = calibrated(raw)
    alternatives = [(t, calibrated(p)) for t, p in _alternatives(characters, raw)]
    return Reading(text, confidence, raw, characters, alternatives)


def calibrated(raw: float) -> float:
    """The probability that a reading is right, from its characters' product (Platt scaling,
    fitted on validation numbers: benchmarks/read.py --fit-confidence)."""
    if raw <= 0:
        return 0.0
    return float(1 / (1 + math.exp(-(CONFIDENCE_SLOPE * math.log(raw) + CONFIDENCE_SHIFT))))


def _line_box(mask: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The box of the written line around the character `box` the ink finder grouped: every
    piece of ink (dust aside) that lies mostly within its rows, however far along the line."""
    found = pieces(mask, None)
    heaviest = max((p.mass for p in found), default=0.0)
    top, left, bottom, right = box
    for piece in found:
        p_top, p_left, p_bottom, p_right = piece.box
        shared = min(bottom, p_bottom) - max(top, p_top)
        if piece.mass >= DUST * heaviest and shared >= 0.5 * (p_bottom - p_top):
            top, left = min(top, p_top), min(left, p_left)
            bottom, right = max(bottom, p_bottom), max(right, p_right)
    return top, left, bottom, right


def _blob_height(labels: np.ndarray, blob: Blob) -> int:
    rows = np.flatnonzero(np.isin(labels[:, blob.left : blob.right], blob.labels).any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _piece(strength, labels, blob: Blob, x0: int, x1: int):
    """The ink of `blob` between columns x0 and x1, cropped to itself: (crop, (x0, x1, y0, y1))
    in the line's pixels; None when there is none."""
    window = strength[:, x0:x1] * np.isin(labels[:, x0:x1], blob.labels)
    rows = np.flatnonzero(window.any(axis=1))
    cols = np.flatnonzero(window.any(axis=0))
    if rows.size == 0:
        return None
    crop = window[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return crop, (x0 + int(cols[0]), x0 + int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1)


def _alternatives(characters: list[Character], confidence: float, count: int = 3) -> list[tuple[str, float]]:
    """Other readings, best first: the text with one character read as its runner-up."""
    out = []
    for i, c in enumerate(characters):
        if len(c.top_k) < 2 or c.confidence <= 0:
            continue
        label, p = c.top_k[1]
        text = "".join(label if j == i else d.label for j, d in enumerate(characters))
        out.append((text, confidence / c.confidence * p))
    return sorted(out, key=lambda t: -t[1])[:count]


class TooManyCharacters(PreprocessError):
    """More characters (or candidates for them) in one image than MAX_CHARACTERS allows."""

    code = "too_many_characters"
