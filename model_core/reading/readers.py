"""The readers, by name, behind one interface, and reading a picture with one.

A reader turns a written line (reading.line.Line) into a Reading (reading.answer): `read(line,
limits)`; `price(line)` says what that costs before any network runs. Each is a sibling
module sharing the line finder and the answer:

    lattice   cuts the line into candidate characters, reads each with a character classifier
              (the digit models, the characters model) and takes the best path (reading.lattice)

    read_text(model, source, limits, alphabet="digits") → Reading
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from .. import card as cards
from ..imaging.decode import DEFAULT_LIMITS, Limits, load_pixels
from ..model import Model
from . import lattice, network
from .answer import Reading, no_text
from .cards import reader_card
from .constraints import Constraint
from .line import Line, find_line, find_written_line


class Reader(Protocol):
    name: str

    def read(self, line: Line, limits: Limits) -> Reading: ...  # a line reader also takes a constraint

    def price(self, line: Line) -> int: ...


READERS = {"lattice": lattice.LatticeReader, "line": network.LineReader}
HOW = {"lattice": lattice.HOW, "line": network.HOW}


def reader_name(model: Model) -> str:
    """The reader a model reads lines with, as its card says: a character classifier's is the
    lattice, a line network's the line reader."""
    return cards.reader(model.card)


def reader_for(model: Model, alphabet: str, *, top_k: int = 3, scorer: Model | None = None) -> Reader:
    """The reader for `model` reading `alphabet` (ValueError: an alphabet it cannot read)."""
    return READERS[reader_name(model)](model, alphabet, top_k=top_k, scorer=scorer)


def read_text(
    model: Model,
    source: object,
    limits: Limits = DEFAULT_LIMITS,
    top_k: int = 3,
    scorer: Model | None = None,
    alphabet: str = "digits",
    constraint: Constraint | None = None,
) -> Reading:
    """Read the characters written in `source` (any input `preprocess` takes) with `model`.
    A blank or near-blank image reads as no text (is_text false), not as an error. `alphabet`
    "digits" reads a number (0-9, no gaps); "characters" reads words (reading.spelling).
    `constraint` (reading.constraints): what the text may be, for a line network's reader."""
    reader = reader_for(model, alphabet, top_k=top_k, scorer=scorer)
    return read_pixels(reader, load_pixels(source, limits), limits, constraint)


FINDERS = {"lattice": find_line, "line": find_written_line}  # where each reader takes the line from


def read_pixels(
    reader: Reader, grey: np.ndarray, limits: Limits = DEFAULT_LIMITS, constraint: Constraint | None = None
) -> Reading:
    """Read a picture already decoded to grey pixels (decode.load_pixels) with `reader`."""
    return read_line(reader, find_for(reader, grey, limits), limits, constraint)


def find_for(reader: Reader, grey: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> Line | None:
    """The picture's written line as `reader` takes it (None: nothing drawn): priced, then read."""
    return FINDERS[reader.name](grey, limits)


class NeedsLineNetwork(ValueError):
    """A constraint asked of a reader that cannot apply it (the cutting reader)."""


def read_line(
    reader: Reader, line: Line | None, limits: Limits = DEFAULT_LIMITS, constraint: Constraint | None = None
) -> Reading:
    constrained = constraint is not None and constraint.given
    if constrained and reader.name != "line":
        raise NeedsLineNetwork("allowed, template and words constrain a line network's reading: choose line-digits "
                               "or line-characters")  # fmt: skip
    if line is None:
        return no_text()
    return reader.read(line, limits, constraint) if constrained else reader.read(line, limits)


def model_reader_card(model: Model, alphabet: str, model_dir: str | Path | None = None) -> dict:
    """How `model` reads `alphabet` (the reader's card, with its recorded figures)."""
    name = reader_name(model)
    return reader_card(alphabet, HOW[name][alphabet], model_dir, reader=name)
