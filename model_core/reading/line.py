"""The line finder: where a picture's written line is, as ink strength in [0, 1].

The image's ink is found as for one character (imaging.ink: a drawing's background, a photo's
light, rulings, specks and page edges dropped), without the one-character rule on its extent
(a character of a long line is a small share of its width). The line is every piece of ink
(dust aside) that lies mostly within the rows of the character the ink finder grouped, however
far along. Writing in a frame or a form's row of boxes (imaging.fields) is the line inside
them only, a pixel in from the frame's lines, with the cells named (one character a cell).

    find_line(grey, limits) → Line(strength, box, cells) | None (nothing drawn)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..imaging.decode import DEFAULT_LIMITS, EmptyImageError, Limits
from ..imaging.fields import field_cells
from ..imaging.ink import locate_ink
from ..imaging.pieces import DUST, pieces


@dataclass
class Line:
    """One written line of a picture."""

    strength: np.ndarray  # its ink in [0, 1] over its box (inside a form's cells only, where it has them)
    box: tuple[int, int, int, int]  # top, left, bottom, right in the decoded image's pixels
    cells: list[tuple[int, int, int, int]] = field(default_factory=list)  # a form's cells, in the image's pixels

    @property
    def height(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def width(self) -> int:
        return self.box[3] - self.box[1]


def find_line(grey: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> Line | None:
    """The written line of a decoded grey picture; None when nothing is drawn."""
    try:  # a character of a long line is a small share of its width: no rule on its extent here
        ink, box = locate_ink(grey, dataclasses.replace(limits, min_extent=0.0))
    except EmptyImageError:
        return None
    cells = field_cells(getattr(ink, "drawn_mask", ink.mask))  # a page's rulings erased, not its boxes
    if cells:  # writing in a form's boxes: only what is inside them is read
        top, left = min(c[0] for c in cells), cells[0][1]
        bottom, right = max(c[2] for c in cells), cells[-1][3]
        box = (top, left, bottom, right)
        strength = ink.crop(box)
        inside = np.zeros(strength.shape, bool)
        for c_top, c_left, c_bottom, c_right in cells:  # a pixel in from the frame's lines
            inside[c_top - top + 1 : c_bottom - top - 1, c_left - left + 1 : c_right - left - 1] = True
        strength *= inside
    else:
        box = line_box(ink.mask, box)
        strength = ink.crop(box)  # the writing's ink in [0, 1], the whole line
    return Line(strength, box, cells)


def line_box(mask: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
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
