"""The line reader: a network that reads a whole written line, trained with CTC (nn.ctc).

The line (reading.line.find_written_line: the band of the writing, rulings and patterns kept in
it for the network to read past) is scaled to LINE_HEIGHT rows, any width; the network scores
every column of its feature map (one step per COLUMN_PIXELS of the line) over its labels and
the blank. The text is the beam search's best (nn.ctc.beam_search); `written` the line as
written, its separators and marks included; `text` what the alphabet keeps of it (digits: the
digits alone). Each character's confidence is its label's probability at its peak column, its
top_k that column's distribution without the blank, its box the span from the midpoint to the
previous emission to the midpoint to the next, tightened to the ink inside and mapped back to
the picture's pixels, and its 28×28 that box's ink placed by the model's recipe.

    line_input(line) → (LINE_HEIGHT, width) float32 in [0, 1]
    LineReader(model, alphabet, top_k).read(line, limits) → Reading
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from ..imaging.decode import Limits
from ..imaging.preprocess import RECIPES
from ..model import Model
from ..nn.ctc import beam_search, log_softmax
from .answer import Character, Reading, TooManyCharacters, calibrated, no_text
from .line import Line

LINE_HEIGHT = 32  # rows of the network's input
COLUMN_PIXELS = 4  # input columns per step of the network's output
MAX_COLUMNS = 512  # steps one line may hold (2,048 input columns: some 90 characters); more is refused
COLUMN_UNITS = 0.25  # a column's price where the card does not say: a quarter of a 28×28's network evaluation
BEAM_WIDTH = 10
HOW = {
    "digits": "A line network of our own reads the line whole: the writing's band found (rulings, a column's "
    "line, a page's edge and a pattern do not decide where it is) and scaled to 32 px, four convolution blocks, "
    "the columns as a sequence, two temporal convolutions and the scores of every 4-pixel column over the "
    "digits, the marks . , - ' / and CTC's blank; the text is the beam search's best (width 10), its "
    "digits alone; written keeps the marks; trained with CTC on numbers composed as documents carry them "
    "(docs/lines.md)."
}
ALTERNATIVES = 3


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

    def read(self, line: Line, limits: Limits) -> Reading:
        if self.steps(line) > MAX_COLUMNS:
            raise TooManyCharacters(
                f"a line may be at most {MAX_COLUMNS} columns of the line network wide "
                f"({MAX_COLUMNS * COLUMN_PIXELS} pixels at {LINE_HEIGHT} px tall); this one is {self.steps(line)}"
            )
        image = line_input(line)
        log_probs = self.scores(image)
        beams = beam_search(log_probs, BEAM_WIDTH)
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
            x0 = 0 if i == 0 else (peaks[i - 1] + t) / 2
            x1 = len(log_probs) if i + 1 == len(best) else (t + peaks[i + 1]) / 2
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
        keep = [i for i, c in enumerate(characters) if self._kept(c.label)]
        text = "".join(characters[i].label for i in keep)
        alternatives = []
        for prefix, log_p, _ in beams[1:]:
            other = "".join(labels[k - 1] for k in prefix if self._kept(labels[k - 1]))
            if other != text and other not in [a for a, _ in alternatives]:
                alternatives.append((other, calibrated(math.exp(log_p), slope, shift)))
        confidence = calibrated(math.exp(total), slope, shift)
        kept = [characters[i] for i in keep]
        return Reading(text, confidence, math.exp(total), kept, alternatives[:ALTERNATIVES], written=written)

    def _kept(self, label: str) -> bool:
        return label.isdigit() if self.alphabet == "digits" else label not in ".,-'/"

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
