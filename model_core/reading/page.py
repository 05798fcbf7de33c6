"""Every line of a picture, top first, and the ink left out of the reading, with why.

A line reader takes every written line (reading.line.find_written_lines); the cutting reader
its one line, as it always has. Each line is read on its own (a constraint applies to each);
nothing the finder or the reader saw is dropped silently:

- `beyond_limit`: a line past the picture's MAX_LINES (the heaviest lines are read);
- `printed`: ink on a read line that no emitted character covers, as wide as a character at
  least (line.PRINTED_WIDTH of the writing's height): what the network was taught to read as nothing
  (a form's printed label beside the writing, a currency's printed sign); and a word's width of
  ink too small to be a line, outside every line (a small printed caption);
- `unreadable`: a band of ink the network read as nothing at all (a printed line above the
  writing, a scribble), or a line beside the main writing's (the heaviest) read, with the
  constraint and without, at a confidence under UNLIKELY_LINE: what a printed word above or
  below the writing, or a ruling's fragment, reads as (on validation documents 0.0-0.28; a
  written line's under 0.2 once in 599).

    found = find_lines_for(reader, grey, limits)      # priced before reading: price_of(found)
    page = read_page(reader, found, limits, constraint) # Page(lines, left_out)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..imaging.decode import DEFAULT_LIMITS, Limits
from .answer import Reading, TooManyCharacters
from .constraints import Constraint
from .line import MARGIN_ROWS, Line, Lines, box_union, find_line, find_written_lines, word_boxes
from .readers import Reader, read_line

MAX_PICTURE_COLUMNS = 2048  # a line network's steps over all of a picture's lines (each line: network.MAX_COLUMNS)
COVERED = 0.3  # a piece is a character's when a character's box covers this share of its width
UNLIKELY_LINE = 0.2  # a line beside the main one read less likely than this is left out as unreadable


@dataclass
class PageLine:
    reading: Reading
    box: tuple[int, int, int, int]  # x, y, width, height of the line's ink in the decoded image's pixels


@dataclass
class Page:
    lines: list[PageLine] = field(default_factory=list)
    left_out: list[tuple[tuple[int, int, int, int], str]] = field(default_factory=list)  # (x, y, w, h), reason


def find_lines_for(reader: Reader, grey: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> Lines:
    """The picture's written lines as `reader` takes them (a line reader every line; the cutting
    reader its one line)."""
    if reader.name == "line":
        return find_written_lines(grey, limits)
    line = find_line(grey, limits)
    return Lines([line] if line is not None else [], [])


def price_of(reader: Reader, found: Lines) -> int:
    """What reading every found line costs (Reader.price), a picture's limit checked first."""
    if reader.name == "line":
        steps = sum(reader.steps(line) for line in found.lines)
        if steps > MAX_PICTURE_COLUMNS:
            raise TooManyCharacters(
                f"a picture's lines may be at most {MAX_PICTURE_COLUMNS} columns of the line network wide in all; "
                f"these {len(found.lines)} are {steps}"
            )
    return sum(reader.price(line) for line in found.lines)


def read_page(
    reader: Reader, found: Lines, limits: Limits = DEFAULT_LIMITS, constraint: Constraint | None = None
) -> Page:
    """Read every found line, top first; a line read as nothing, and ink no character covers,
    are left out with their reason."""
    page = Page(left_out=[(_xywh(box), reason) for box, reason in found.left_out])
    for i, line in enumerate(found.lines):
        reading = read_line(reader, line, limits, constraint)
        ink = line.ink or [line.box]
        likely = max(reading.confidence, reading.unconstrained[1] if reading.unconstrained else 0.0)
        if (not reading.is_text and not reading.unconstrained) or (i != found.main and likely < UNLIKELY_LINE):
            page.left_out.append((_xywh(box_union(ink)), "unreadable"))
            continue
        page.lines.append(PageLine(reading, _xywh(box_union(ink))))
        page.left_out += [(_xywh(box), "printed") for box in _uncovered(line, reading)]
    page.left_out.sort(key=lambda item: (item[0][1], item[0][0]))
    return page


def _uncovered(line: Line, reading: Reading) -> list[tuple[int, int, int, int]]:
    """Groups of the line's pieces no emitted character covers, each as wide as a character at
    least (a form's label; not a stray dot)."""
    spans = reading.spans or [c.box for c in reading.characters]
    alone = []
    for top, left, bottom, right in line.ink:
        width = max(1, right - left)
        covered = max((min(right, x + w) - max(left, x) for x, _, w, _ in spans), default=0)
        if covered < COVERED * width:
            alone.append((top, left, bottom, right))
    return word_boxes(alone, max(1, line.height / (1 + 2 * MARGIN_ROWS)))  # the writing's height, margins aside


def _xywh(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    top, left, bottom, right = box
    return int(left), int(top), int(right - left), int(bottom - top)
