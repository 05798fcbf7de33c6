"""Whether a line read as a number looks like words: the hint behind predict-text's
`suggested_alphabet` and the app's "Read as words".

A line network for digits reads any writing as digits: "HELLO" comes back as a number, read
with little confidence. When a number's reading is unsure (its calibrated confidence under
UNSURE_BELOW), up to CHECK_GLYPHS of its characters (evenly spread) are read by the characters
model; the line looks like words when at least LETTER_SHARE of them are letters to it (over
half its probability on letters, its best label a letter whose shape is no digit's: an O may
be a 0, an S a 5). On validation material (benchmarks/read.py --hints) the rule picks out most
words and next to no numbers (docs/measurements.md, "Read as words").

    looks_like_words(reading, characters_model) → bool
"""

from __future__ import annotations

import numpy as np

from ..model import Model
from .answer import Reading

UNSURE_BELOW = 0.9  # a reading surer than this is taken as the number it says
CHECK_GLYPHS = 8  # characters the check reads at most: its price, in units, a line
LETTER_SHARE = 0.5  # of the characters checked, letters to the characters model
SHAPES_OF_DIGITS = frozenset("ODISZBTbgq")  # letters written as a digit is (O 0, I 1, S 5, Z 2, B 8, g 9, ...)


def checked(reading: Reading) -> list[int]:
    """The characters the check reads: all of them, or CHECK_GLYPHS evenly spread."""
    count = len(reading.characters)
    if count <= CHECK_GLYPHS:
        return list(range(count))
    return sorted({round(i * (count - 1) / (CHECK_GLYPHS - 1)) for i in range(CHECK_GLYPHS)})


def looks_like_words(reading: Reading, characters: Model) -> bool:
    """True when `reading`, a number's, is unsure and its characters look like letters to the
    `characters` model (a model reading the characters alphabet)."""
    if not reading.characters or reading.confidence >= UNSURE_BELOW:
        return False
    picked = checked(reading)
    p = characters.predict_proba(np.stack([reading.characters[i].image for i in picked]).astype(np.float32))
    letters = np.array([not label.isdigit() for label in characters.labels])
    best = [characters.labels[k] for k in p.argmax(axis=1)]
    no_digits_shape = np.array([not (b.isdigit() or b in SHAPES_OF_DIGITS) for b in best])
    letter_like = (p[:, letters].sum(axis=1) > 0.5) & no_digits_shape
    return bool(letter_like.mean() >= LETTER_SHARE)
