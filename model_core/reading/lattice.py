"""The lattice reader: a line read by cutting it into candidate characters and choosing the best
path through them (the reader of the first reading issues; docs/measurements.md, "Reading
numbers" and "Reading words").

The line's pieces are grouped into blobs (pieces that share most of their columns are one
character's: a 5's top bar, a broken stroke); a blob wider than a character may be several
touching ones, so the columns where its ink is thinnest (and, in a blob too wide for one,
regular steps) are candidate cuts. Every run between cuts no wider than MAX_WIDTH lines is a
candidate character, placed by the model's recipe and read by the network in one batch; the
best path through the candidates (dynamic programming over the cuts) chooses where characters
end: each character scores its best label's probability times how much it looks like one
character at all (the network's "not a digit" output says two touching digits are not one),
and costs CHARACTER_COST besides. Small marks beside the writing (a full stop, a dash after an
amount) may be passed over. For digits a candidate may also span blobs that nearly touch (a
digit's strokes apart). In a form's row of boxes, one character a cell. Words (alphabet
"characters", the 47-character model): the same, cutting at thin columns only, then
reading.spelling makes words of it.

Measured, it fails where a fragment cut from a character still reads as a confident one to a
network that never saw fragments; a network taught what it cuts gained two points on
validation and was not shipped (benchmarks/taught_reader.py). The line network reads whole.

    LatticeReader(model, alphabet, top_k, scorer).read(line, limits) → Reading
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .. import card as cards
from ..imaging.decode import Limits
from ..imaging.preprocess import RECIPES
from ..model import Model
from . import spelling
from .answer import MAX_CHARACTERS, Character, Reading, TooManyCharacters, no_text, reading_of
from .line import Line

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
UNREADABLE = 100.0  # passing over any other blob
INK_LEVEL = 0.2  # the line's ink, of its strongest
# Each character read costs this much on top of its own doubt: a cut through one digit must
# be paid for by the evidence of two (a stroke cut off a digit reads as a confident "1").
CHARACTER_COST = 1.0
OVERLAP = 0.5  # pieces sharing this share of the narrower one's columns are one character's


@dataclass(frozen=True)
class Alphabet:
    """How a line is read for one alphabet, chosen on validation (docs/measurements.md)."""

    # a candidate may span blobs this close (a share of the line's height: a digit's strokes
    # that do not touch), or None: letters joined across a gap read as one too readily
    join_gap: float | None
    steps: bool  # cuts every STEP in a blob too wide for one character (letters: they cut an M)
    # P(the text is right) = sigmoid(slope · log(product of its characters' probabilities) +
    # shift): benchmarks/read.py --fit-confidence on validation material
    confidence: tuple[float, float]


ALPHABETS = {
    "digits": Alphabet(join_gap=0.1, steps=True, confidence=(8.1699, 1.7760)),
    "characters": Alphabet(join_gap=None, steps=False, confidence=(0.8357, 0.7564)),
}
EIGHT = np.ones((3, 3), bool)
# How each alphabet is read, as GET /api/model-info/ says it (`reader`).
HOW = {
    "digits": "The line's ink is found as for one digit, grouped into blobs (pieces sharing their columns), cut at "
    "thin columns and regular steps where a blob is too wide for one digit; every candidate character is read "
    "by the digit model in one batch, and the best path through them (dynamic programming: each character "
    "costs its doubt and a constant) chooses where digits end; marks beside the writing may be passed over; "
    "a frame or a form's row of boxes is not read (one digit a cell). No new network: the shipped digit models.",
    "characters": "As for digits, with the characters model (47 characters), cutting at thin columns only; then "
    "words: a space where two characters stand apart by half the tallest's height, letters or digits chosen "
    "word by word (a switch costs 20:1), the case by the case-telling letters' vote, a lone stroke an l or an "
    "i by its height. In a form's row of boxes, one character a cell and nothing outside read.",
}


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


def _cuts(ink: np.ndarray, blob: Blob, height: int, steps: bool = True) -> list[int]:
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
    if steps and blob.width > UNIFORM_ABOVE * height:
        step = max(2, int(STEP * height))
        cuts += [x for x in range(step, blob.width - step // 2, step) if all(abs(x - c) >= step // 2 for c in cuts)]
    return sorted(blob.left + c for c in cuts)


@dataclass
class Lattice:
    """A line's candidate characters: nodes are x positions (each blob's edges and cuts, left to
    right); a candidate is an edge from one node to a later one, within a blob between two of its
    nodes, or across the narrow gaps between neighbouring blobs (a letter written in strokes
    that do not touch)."""

    strength: np.ndarray
    labels: np.ndarray
    blobs: list[Blob]
    nodes: list[list[int]]  # each blob's node positions
    first: list[int]  # each blob's first node's index among all nodes
    at: list[tuple[int, int]]  # every node as (blob, index in its blob)
    candidates: list[tuple[int, int]]  # (first node, last node), as indices into `at`


class LatticeReader:
    """Reads a line with a character classifier (a digit model, or the characters model for
    words) by the best path through its candidate cuts. `scorer`, when given, says how much
    each candidate looks like one character (a network that learnt what a reader cuts wrongly);
    `model`'s own "not a digit" otherwise."""

    name = "lattice"

    def __init__(self, model: Model, alphabet: str, top_k: int = 3, scorer: Model | None = None):
        if alphabet not in ALPHABETS:
            raise ValueError(f"unknown alphabet {alphabet!r}; expected one of {tuple(ALPHABETS)}")
        if alphabet == "characters" and not any(label.isalpha() for label in model.labels):
            raise ValueError(f"model {model.name!r} reads no letters: words need the characters model")
        self.model, self.alphabet, self.top_k, self.scorer = model, alphabet, top_k, scorer
        self.rules = ALPHABETS[alphabet]
        self._priced: dict[int, tuple[Line, Lattice | None]] = {}  # lattices built to price, until read

    def price(self, line: Line) -> int:
        """What reading the line costs, in network evaluations of a 28×28: each candidate
        through each of the model's networks (and the scorer's). The lattice built for it is
        kept for reading the line, not built twice."""
        found = self.lattice(line)
        self._priced[id(line)] = (line, found)
        networks = self.model.networks + (self.scorer.networks if self.scorer is not None else 0)
        return len(found.candidates) * networks if found is not None else 0

    def _lattice_to_read(self, line: Line) -> Lattice | None:
        """The lattice `price` built for this line (handed over once), else built now."""
        kept = self._priced.pop(id(line), None)
        return kept[1] if kept is not None and kept[0] is line else self.lattice(line)

    def lattice(self, line: Line) -> Lattice | None:
        """The line's candidates (None: no ink to read); TooManyCharacters past the limits."""
        top, left, bottom, right = line.box
        cells, strength, rules = line.cells, line.strength, self.rules
        mask = strength > INK_LEVEL
        labels, blobs = _blobs(mask)
        if len(cells) > 1:  # a row of boxes: one character a cell, whatever its pieces
            blobs = _cell_blobs(blobs, [(c[1] - left, c[3] - left) for c in cells])
        height = bottom - top
        if not blobs:
            return None
        nodes: list[list[int]] = []
        first: list[int] = []
        for blob in blobs:
            first.append(sum(len(xs) for xs in nodes))
            cuts = _cuts(strength, blob, height, rules.steps) if len(cells) <= 1 else ()
            nodes.append([blob.left, *cuts, blob.right])
        at = [(b, i) for b, xs in enumerate(nodes) for i in range(len(xs))]
        candidates: list[tuple[int, int]] = []
        for b, xs in enumerate(nodes):
            for i in range(len(xs) - 1):
                for last in range(b, len(blobs) if len(cells) <= 1 and rules.join_gap is not None else b + 1):
                    if last > b and blobs[last].left - blobs[last - 1].right > rules.join_gap * height:
                        break
                    far = False
                    for j in range(1, len(nodes[last])):  # (a later blob's left edge: the gap's end, not ink)
                        if (last > b or j > i + 1) and nodes[last][j] - xs[i] > MAX_WIDTH * height:
                            far = True
                            break
                        if last > b or j > i:
                            candidates.append((first[b] + i, first[last] + j))
                    if far:
                        break
        if len(blobs) > MAX_CHARACTERS:
            raise TooManyCharacters(
                f"an image may hold at most {MAX_CHARACTERS} characters; this one holds {len(blobs)} pieces of writing"
            )
        if len(candidates) > MAX_CANDIDATES:  # the limit hit is the cutting reader's, not the characters'
            raise TooManyCharacters(
                f"the cutting reader tries at most {MAX_CANDIDATES} candidate characters a line; this one needs "
                f"{len(candidates)}: read it with a line network"
            )
        return Lattice(strength, labels, blobs, nodes, first, at, candidates)

    def read(self, line: Line, limits: Limits) -> Reading:
        model, alphabet, rules, cells = self.model, self.alphabet, self.rules, line.cells
        top, left, bottom, right = line.box
        height = bottom - top
        found = self._lattice_to_read(line)
        if found is None:
            return no_text()
        strength, labels, blobs, nodes, first, at, candidates = (
            found.strength, found.labels, found.blobs, found.nodes, found.first, found.at, found.candidates
        )  # fmt: skip

        def members(g0: int, g1: int) -> tuple[int, ...]:
            return tuple(m for b in range(at[g0][0], at[g1][0] + 1) for m in blobs[b].labels)

        crops = [_piece(strength, labels, members(g0, g1), nodes[at[g0][0]][at[g0][1]], nodes[at[g1][0]][at[g1][1]])
                 for g0, g1 in candidates]  # fmt: skip
        keep = [k for k, c in enumerate(crops) if c is not None]
        if not keep:
            return no_text()
        images = np.stack([RECIPES[model.recipe](crops[k][0]) for k in keep])
        scores = model.scores(images)
        if alphabet == "characters":  # a letter's case is the word's to decide: read caseless here
            probabilities = spelling.folded(scores.probabilities, model.labels)
            # A network with its own "not one character" output (taught what the reader cuts) says
            # how much a candidate is one character; the shipped characters model cannot.
            taught = model.not_a_digit["method"] == cards.CLASS_METHOD
            one_character = scores.digit_score if taught else np.ones(len(keep), np.float32)
        else:
            probabilities = scores.probabilities
            one_character = self.scorer.scores(images).digit_score if self.scorer is not None else scores.digit_score
        score_of = {k: n for n, k in enumerate(keep)}

        def cost(k: int) -> float:
            n = score_of.get(k)
            if n is None:
                return math.inf
            p = float(probabilities[n].max()) * float(one_character[n])
            return -math.log(max(p, 1e-9)) + CHARACTER_COST

        # The best path from the first node to the last, by dynamic programming over the nodes in
        # order (every edge goes right, so a node's best is final before any edge leaves it): a
        # candidate's edge costs its doubt; from a blob's last node to the next blob's first is
        # free (the gap between them); a small mark may be passed over, at SKIP_COST.
        ending: dict[int, list[tuple[int, float, int | None]]] = {}  # node → (from node, cost, candidate)
        for k, (g0, g1) in enumerate(candidates):
            ending.setdefault(g1, []).append((g0, cost(k), k))
        for b, blob in enumerate(blobs):
            last = first[b] + len(nodes[b]) - 1
            if b + 1 < len(blobs):
                ending.setdefault(first[b + 1], []).append((last, 0.0, None))
            small = len(cells) <= 1 and _blob_height(labels, blob) < SMALL_MARK * height
            # Punctuation or a speck may be passed over; any blob, at a cost no reading reaches, when
            # nothing in it can be read (a path always exists).
            ending.setdefault(last, []).append((first[b], SKIP_COST if small else UNREADABLE, None))
        best = [math.inf] * len(at)
        back: list[tuple[int, int | None] | None] = [None] * len(at)
        best[0] = 0.0
        for g in range(1, len(at)):
            for g0, c, k in ending.get(g, ()):
                if best[g0] + c < best[g]:
                    best[g], back[g] = best[g0] + c, (g0, k)
        path: list[int] = []
        g = len(at) - 1
        while g > 0 and back[g] is not None:
            g, k = back[g]
            if k is not None:
                path.append(k)
        path.reverse()
        if len(path) > MAX_CHARACTERS:
            raise TooManyCharacters(
                f"an image may hold at most {MAX_CHARACTERS} characters; this one holds {len(path)}"
            )
        characters = []
        for k in path:
            n = score_of[k]
            probs = scores.probabilities[n]
            order = np.argsort(-probs, kind="stable")[: max(1, min(self.top_k, len(probs)))]
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
        if alphabet == "characters":
            if len(cells) > 1:  # in a form's boxes, an empty cell between two characters is a space
                which = [_cell_of(cells, left + blobs[at[candidates[k][0]][0]].left) for k in path]
                spaces = [b - a > 1 for a, b in zip(which, which[1:], strict=False)]
            else:
                spaces = spelling.word_gaps([c.box for c in characters])
            read = [scores.probabilities[score_of[k]] for k in path]
            characters, runners = spelling.spelled(characters, read, model.labels, spaces)
        else:
            spaces = [False] * max(0, len(characters) - 1)
            runners = [c.top_k[1] if len(c.top_k) > 1 else None for c in characters]
        return reading_of(characters, spaces, runners, rules.confidence)


def _blob_height(labels: np.ndarray, blob: Blob) -> int:
    rows = np.flatnonzero(np.isin(labels[:, blob.left : blob.right], blob.labels).any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _piece(strength, labels, members: tuple[int, ...], x0: int, x1: int):
    """The ink of these pieces between columns x0 and x1, cropped to itself: (crop, (x0, x1,
    y0, y1)) in the line's pixels; None when there is none."""
    window = strength[:, x0:x1] * np.isin(labels[:, x0:x1], members)
    rows = np.flatnonzero(window.any(axis=1))
    cols = np.flatnonzero(window.any(axis=0))
    if rows.size == 0:
        return None
    crop = window[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return crop, (x0 + int(cols[0]), x0 + int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1)


def _cell_blobs(blobs: list[Blob], cells: list[tuple[int, int]]) -> list[Blob]:
    """One blob per cell of a row of boxes that holds ink: every blob whose middle lies in it."""
    out = []
    for c_left, c_right in cells:
        inside = [b for b in blobs if c_left <= (b.left + b.right) / 2 < c_right]
        if inside:
            members = tuple(m for b in inside for m in b.labels)
            out.append(Blob(min(b.left for b in inside), max(b.right for b in inside), members))
    return out


def _cell_of(cells: list[tuple[int, int, int, int]], x: int) -> int:
    return next((i for i, c in enumerate(cells) if x < c[3]), len(cells) - 1)
