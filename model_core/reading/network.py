"""The line reader: a network that reads a whole written line, trained with CTC (nn.ctc).

The line (reading.line.find_written_line: the band of the writing, rulings and patterns kept in
it for the network to read past) is scaled to LINE_HEIGHT rows, any width; the network scores
every column of its feature map (one step per COLUMN_PIXELS of the line) over its labels and
the blank. The text is the beam search's best (nn.ctc.beam_search); `written` the line as
written, its separators and marks included; `text` what the alphabet keeps of it (digits: the
digits alone). Each character's confidence is its label's probability at its peak column, its
top_k that column's distribution without the blank, its box the span from the midpoint to the
previous emission to the midpoint to the next (the outer ones OUTER_SPAN columns out), tightened
to the ink inside and mapped back to the picture's pixels, and its 28×28 that box's ink placed
by the model's recipe. With a constraint (reading.constraints) the search is constrained.

    line_input(line) → (LINE_HEIGHT, width) float32 in [0, 1]
    LineReader(model, alphabet, top_k).read(line, limits, constraint=None) → Reading
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from ..imaging.decode import Limits
from ..imaging.preprocess import RECIPES
from ..model import Model
from ..nn.ctc import beam_search, log_likelihood, log_softmax
from . import spelling
from .answer import Character, Reading, TooManyCharacters, calibrated, no_text, reading_of
from .constraints import Constraint
from .line import Line

LINE_HEIGHT = 32  # rows of the network's input
COLUMN_PIXELS = 4  # input columns per step of the network's output
MAX_COLUMNS = 512  # steps one line may hold (2,048 input columns: some 90 characters); more is refused
COLUMN_UNITS = 0.25  # a column's price where the card does not say: a quarter of a 28×28's network evaluation
BEAM_WIDTH = 10
# The first and the last character's span reach this many columns from their peak (0.75 of the
# line's height), not to the line's ends: a printed label before the writing is not the first's.
OUTER_SPAN = 6
CONSTRAINED_WIDTH = 20  # a constrained search keeps more: a template's or a word's unfinished texts
HOW = {
    "digits": "A line network of our own reads the line whole: the writing's band found (rulings, a column's "
    "line, a page's edge and a pattern do not decide where it is) and scaled to 32 px, four convolution blocks, "
    "the columns as a sequence, two temporal convolutions and the scores of every 4-pixel column over the "
    "digits, the marks . , - ' / and CTC's blank; the text is the beam search's best (width 10), its "
    "digits alone; written keeps the marks; trained with CTC on numbers composed as documents carry them "
    "(docs/lines.md)."
}
HOW["characters"] = (
    "A line network of our own reads the line whole, as for numbers: the writing's band found and scaled to 32 px, "
    "four convolution blocks, the columns as a sequence, two temporal convolutions and the scores of every 4-pixel "
    "column over EMNIST's 47 characters, the space, the hyphen, the apostrophe and CTC's blank; the beam search's "
    "best (width 10) gives the characters and the spaces between words (the network's, not a gap rule), a form's "
    "printed label and boxes read as nothing; letters or digits are then chosen word by word and the case as for "
    "the cutting reader (reading.spelling); trained with CTC on words, names and codes composed as forms carry them "
    "(docs/lines.md, Lines of words)."
)
ALTERNATIVES = 3
INSIDE_WORDS = "-'"  # what a line network for characters emits inside words besides letters and digits


def line_input(line: Line) -> np.ndarray:
    """The line's ink scaled to LINE_HEIGHT rows, its width in proportion (at least one step)."""
    strength = line.strength
    height, width = strength.shape
    columns = max(COLUMN_PIXELS, round(width * LINE_HEIGHT / max(1, height)))
    image = Image.fromarray(np.asarray(strength, np.float32)).resize((columns, LINE_HEIGHT), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(image, np.float32), 0.0, 1.0)


def steps_of(width: int) -> int:
    """The network's output steps for an input `width` columns wide."""
    return width // COLUMN_PIXELS


class LineReader:
    """Reads a line with a line network (a model whose card says reader "line")."""

    name = "line"

    def __init__(self, model: Model, alphabet: str, top_k: int = 3, scorer: Model | None = None):
        if alphabet != model.alphabet:
            raise ValueError(f"model {model.name!r} reads {model.alphabet}, not {alphabet}")
        self.model, self.alphabet, self.top_k = model, alphabet, top_k

    def steps(self, line: Line) -> int:
        """The network's output steps for the line (one column of its feature map each)."""
        return steps_of(max(COLUMN_PIXELS, round(line.width * LINE_HEIGHT / max(1, line.height))))

    def price(self, line: Line) -> int:
        """What reading the line costs, in network evaluations of a 28×28: its steps, each worth
        the card's measured `ctc.column_units` (benchmarks/price.py)."""
        units = float(self.model.card.get("ctc", {}).get("column_units", COLUMN_UNITS))
        return max(1, math.ceil(self.steps(line) * units))

    def scores(self, image: np.ndarray) -> np.ndarray:
        """Log-probabilities (steps, labels + blank) for one line's input."""
        logits = self.model.members[0].logits(image[None])[0]
        return log_softmax(logits.astype(np.float64))

    def read(self, line: Line, limits: Limits, constraint: Constraint | None = None) -> Reading:
        """The line's reading; with a `constraint` (reading.constraints), the most probable
        reading that obeys it, the unconstrained one kept beside it (`unconstrained`)."""
        if self.steps(line) > MAX_COLUMNS:
            raise TooManyCharacters(
                f"a line may be at most {MAX_COLUMNS} columns of the line network wide "
                f"({MAX_COLUMNS * COLUMN_PIXELS} pixels at {LINE_HEIGHT} px tall); this one is {self.steps(line)}"
            )
        image = line_input(line)
        log_probs = self.scores(image)
        reading = self._reading(line, image, log_probs, beam_search(log_probs, BEAM_WIDTH))
        if constraint is None or not constraint.given:
            return reading
        compiled = constraint.compile(self.model.labels, self.alphabet)
        beams = beam_search(compiled.masked(log_probs), CONSTRAINED_WIDTH, allowed=compiled.admits)
        # Each text the constraint admits, scored on the network's own scores (not the masked ones).
        found = sorted(
            ((p, log_likelihood(log_probs, p), peaks) for p, _, peaks in beams if p and compiled.complete(p)),
            key=lambda beam: -beam[1],
        )
        constrained = self._reading(line, image, log_probs, found, fixed=True) if found else no_text()
        if reading.is_text and reading.text != constrained.text:
            constrained.unconstrained = (reading.text, reading.confidence)
        return constrained

    def _reading(
        self, line: Line, image: np.ndarray, log_probs: np.ndarray, beams: list, fixed: bool = False
    ) -> Reading:
        """The reading of the best of `beams` (labels, log P, each label's peak step), its
        characters from the scores at their peaks; `fixed`: each label as the beam has it (a
        constrained beam's: spelling chooses the case only)."""
        labels = self.model.labels  # class k + 1 is labels[k]; 0 the blank
        best, total, peaks = beams[0]
        if not best:
            return no_text()
        slope, shift = self.model.card.get("ctc", {}).get("confidence", (1.0, 0.0))
        probabilities = np.exp(log_probs)
        characters = []
        scale = line.height / LINE_HEIGHT  # input pixels → the picture's
        for i, (k, t) in enumerate(zip(best, peaks, strict=True)):
            row = probabilities[t, 1:] / max(1e-12, probabilities[t, 1:].sum())
            order = np.argsort(-row, kind="stable")[: max(1, min(self.top_k, len(row)))]
            x0 = max(0, t - OUTER_SPAN) if i == 0 else (peaks[i - 1] + t) / 2
            x1 = min(len(log_probs), t + OUTER_SPAN) if i + 1 == len(best) else (t + peaks[i + 1]) / 2
            box, glyph = self._glyph(line, image, (x0 + 0.5) * COLUMN_PIXELS, (x1 + 0.5) * COLUMN_PIXELS, scale)
            characters.append(
                Character(
                    label=labels[k - 1],
                    confidence=float(probabilities[t, k]),
                    top_k=[(labels[j], float(row[j])) for j in order],
                    box=box,
                    image=glyph,
                )
            )
        written = "".join(labels[k - 1] for k in best)
        spans = [c.box for c in characters if c.label != " "]
        if self.alphabet == "characters":
            rows = [probabilities[t, 1:] for t in peaks]
            reading = words_of(characters, rows, labels, (slope, shift), self.top_k, fixed=fixed)
            reading.spans = spans
            return reading
        keep = [i for i, c in enumerate(characters) if self._kept(c.label)]
        text = "".join(characters[i].label for i in keep)
        alternatives = []
        for prefix, log_p, _ in beams[1:]:
            other = "".join(labels[k - 1] for k in prefix if self._kept(labels[k - 1]))
            if other != text and other not in [a for a, _ in alternatives]:
                alternatives.append((other, calibrated(math.exp(log_p), slope, shift)))
        confidence = calibrated(math.exp(total), slope, shift)
        kept = [characters[i] for i in keep]
        return Reading(
            text, confidence, math.exp(total), kept, alternatives[:ALTERNATIVES], written=written, spans=spans
        )

    def _kept(self, label: str) -> bool:
        return label.isdigit()

    def _glyph(self, line: Line, image: np.ndarray, x0: float, x1: float, scale: float):
        """The span [x0, x1) of the line's input, tightened to its ink: its box in the picture's
        pixels and its ink placed in 28×28 by the model's recipe."""
        top, left = line.box[0], line.box[1]
        a, b = int(max(0, x0 * scale)), int(min(line.strength.shape[1], max(x0 + 1, x1) * scale))
        window = line.strength[:, a:b]
        rows, cols = np.flatnonzero(window.max(axis=1) > 0.2), np.flatnonzero(window.max(axis=0) > 0.2)
        if rows.size == 0:
            return (left + a, top, max(1, b - a), line.height), np.zeros((28, 28), np.float32)
        crop = window[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        box = (left + a + int(cols[0]), top + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
        return box, RECIPES[self.model.recipe](crop)


def words_of(
    characters: list[Character],
    rows: list[np.ndarray],
    labels: list[str],
    calibration: tuple[float, float],
    top_k: int = 3,
    fixed: bool = False,
) -> Reading:
    """A line network's characters (each with its peak column's distribution over `labels`,
    the blank left out) as words: the spaces the network emitted between them, a hyphen or an
    apostrophe kept only inside a word, and letters or digits and the case chosen word by word
    (reading.spelling) over EMNIST's 47 characters; `fixed`, each character stays the letter or
    digit it was emitted as (a constrained reading's), spelling choosing its case alone."""
    alphabet = [label for label in labels if label != " " and label not in INSIDE_WORDS]
    columns = [labels.index(label) for label in alphabet]
    kept = _in_text(characters, rows)
    if not kept:
        return no_text()
    spaces = [space for _, _, space in kept[1:]]
    letters = [i for i, (c, _, _) in enumerate(kept) if c.label not in INSIDE_WORDS]
    # Words for spelling: a mark between two characters parts them as a space does.
    parted = [spaces[j - 1] or any(kept[m][0].label in INSIDE_WORDS for m in range(i + 1, j))
              for i, j in zip(letters, letters[1:], strict=False)]  # fmt: skip
    probabilities = []
    for i in letters:
        row = kept[i][1][columns]
        if fixed:  # the emitted letter in either case, nothing else
            row = row * np.array([a.upper() == kept[i][0].label.upper() for a in alphabet])
        probabilities.append(row / max(1e-12, row.sum()))
    chosen = [
        Character(c.label, c.confidence, _top(p, alphabet, top_k), c.box, c.image)
        for (c, _, _), p in zip((kept[i] for i in letters), probabilities, strict=True)
    ]
    spelled, runners = spelling.spelled(chosen, probabilities, alphabet, parted)
    out = [c for c, _, _ in kept]
    every_runner: list = [None] * len(kept)
    for i, c, runner in zip(letters, spelled, runners, strict=True):
        out[i], every_runner[i] = c, runner
    return reading_of(out, spaces, every_runner, calibration)


def _in_text(characters: list[Character], rows: list[np.ndarray]) -> list[list]:
    """The characters the text holds, each [character, row, whether a space stands before it]:
    the spaces become flags, and a hyphen or an apostrophe is kept only inside a word (between
    a letter or digit and the next, no space beside it)."""
    items, space = [], False
    for c, row in zip(characters, rows, strict=True):
        if c.label == " ":
            space = True
            continue
        items.append([c, row, space])
        space = False
    kept: list[list] = []
    for i, (c, row, space) in enumerate(items):
        if c.label in INSIDE_WORDS:
            after = items[i + 1] if i + 1 < len(items) else None
            before_ok = bool(kept) and kept[-1][0].label not in INSIDE_WORDS and not space
            after_ok = after is not None and after[0].label not in INSIDE_WORDS and not after[2]
            if not (before_ok and after_ok):
                if after is not None:
                    after[2] = after[2] or space
                continue
        kept.append([c, row, space])
    return kept


def _top(row: np.ndarray, labels: list[str], k: int) -> list[tuple[str, float]]:
    order = np.argsort(-row, kind="stable")[: max(1, min(k, len(row)))]
    return [(labels[j], float(row[j])) for j in order]
