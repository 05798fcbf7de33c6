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
    # top, left, bottom, right in the decoded image's pixels (a line reader's may reach past its
    # edges, where the strength is blank margin)
    box: tuple[int, int, int, int]
    cells: list[tuple[int, int, int, int]] = field(default_factory=list)  # a form's cells, in the image's pixels
    ink: list[tuple[int, int, int, int]] = field(default_factory=list)  # its pieces' boxes (a line reader's line)

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


# --- The written line, for a reader that reads it whole -------------------------------------
# Rulings, underlines, a column's line, a page's edge and a pattern's lines are ink to the ink
# finder; a line reader is trained to read past them, but they must not decide where the line
# is: straight runs LINE_LONG times the typical piece's height are not looked at here; specks
# under DUST of the heaviest piece do not count.
LINE_LONG = 2.5
SPARSE = 0.06  # a piece filling less than this share of a box several writing heights big is a pattern's
MARGIN_ROWS = 0.2  # the line's crop: its rows and this share of its height above and below
MARGIN_COLUMNS = 0.35  # ... and this share of its height before and after


def find_written_line(grey: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> Line | None:
    """The written line of a picture as a line reader reads it: the band of rows of the
    heaviest writing that is not a ruling, a page's edge or a pattern, with every piece of
    writing whose middle lies in that band, and margins; its strength over that box (rulings
    and patterns still in it). None when nothing is drawn."""
    found = find_written_lines(grey, limits, most=1)
    return found.lines[0] if found.lines else None


@dataclass
class Lines:
    """A picture's written lines, top first, and the writing left out of them."""

    lines: list[Line]
    left_out: list[tuple[tuple[int, int, int, int], str]]  # (top, left, bottom, right), why: beyond_limit
    main: int = 0  # the index in `lines` of the heaviest writing's line


MAX_LINES = 8  # lines one picture may hold; more are left out (beyond_limit)
SMALL_BAND = 0.5  # a band whose pieces are all under this share of the writing's height: a mark's (an accent, a dot)
PRINTED_WIDTH = 0.6  # ink no line reads, this share of the writing's height wide (or wider): print, left out
LIGHT_BAND = 0.1  # ... or whose heaviest piece is under this share of the heaviest piece: specks, not a line
# (a piece's, not the band's whole ink: two small digits under eight large ones are a line)


def find_written_lines(grey: np.ndarray, limits: Limits = DEFAULT_LIMITS, most: int = MAX_LINES) -> Lines:
    """Every written line of a picture as a line reader reads it, top first: the heaviest
    writing's band as find_written_line takes it, then the heaviest of what is left, and so
    on; a band of marks only (an accent, a dot above the writing) is no line. Each line's box
    is its band with margins, the other lines' ink blanked in it. Past `most` lines (by weight,
    the heaviest first), a line is left out, with its box."""
    try:
        ink, _ = locate_ink(grey, dataclasses.replace(limits, min_extent=0.0))
    except EmptyImageError:
        return Lines([], [])
    mask = _without_long_lines(ink.mask)
    found = pieces(mask, None)
    if not found:
        return Lines([], [])
    heaviest = max(p.mass for p in found)
    compact = [p for p in found if p.mass >= DUST * heaviest]
    writing = _writing_height(compact)
    compact = [p for p in compact if not _sparse(p, writing)] or compact
    bands, small, rest = [], [], compact
    while rest:
        seed = max(rest, key=lambda p: p.mass)
        band = [p for p in rest if seed.box[0] <= (p.box[0] + p.box[2]) / 2 <= seed.box[2]]
        rest = [p for p in rest if p not in band]
        tall = max(p.box[2] - p.box[0] for p in band) >= SMALL_BAND * writing
        if not bands or (tall and max(p.mass for p in band) >= LIGHT_BAND * heaviest):
            bands.append(band)
        else:
            small.append(band)
    boxes = [_band_box(seed_band, writing) for seed_band in bands]
    kept = sorted(range(min(most, len(bands))), key=lambda i: boxes[i][0])
    left_out = [(_ink_box(bands[i]), "beyond_limit") for i in range(most, len(bands))]
    left_out += [(box, "printed") for box in _small_words(small, [boxes[i] for i in kept], writing)]
    lines, main = [], 0
    for i in kept:
        line = _cropped(grey, ink, boxes[i])
        if line is None:
            continue
        if i == 0:
            main = len(lines)
        line.ink = [p.box for p in bands[i]]
        own = _ink_box(bands[i])
        for j in kept:  # the other lines' writing is not this line's (where it reaches past this one's rows)
            if j != i:
                for p in bands[j]:
                    _blank(line, p.box, (own[0], own[2]))
        lines.append(line)
    return Lines(lines, left_out, main)


def _small_words(small, kept, writing: float) -> list[tuple[int, int, int, int]]:
    """Of the bands too small or light to be a line, the ink outside every line's box that is a
    word's (pieces under half the writing's height apart, PRINTED_WIDTH of it wide at least: a
    small printed caption above or below the writing), not an accent's or a dot's."""

    def inside(piece, box) -> bool:
        middle = ((piece.box[0] + piece.box[2]) / 2, (piece.box[1] + piece.box[3]) / 2)
        return box[0] <= middle[0] <= box[2] and box[1] <= middle[1] <= box[3]

    apart = [[p.box for p in band if not any(inside(p, box) for box in kept)] for band in small]
    return [word for boxes in apart for word in word_boxes(boxes, writing)]


def word_boxes(boxes, height: float) -> list[tuple[int, int, int, int]]:
    """Pieces' boxes (top, left, bottom, right) grouped into words, left to right (a piece under
    half the writing's `height` from the group before it joins it): each group's box that is
    PRINTED_WIDTH of the height wide at least (a word's, not a stray dot's)."""
    groups: list[list[tuple[int, int, int, int]]] = []
    for box in sorted(boxes, key=lambda b: b[1]):
        if groups and box[1] - max(b[3] for b in groups[-1]) < 0.5 * height:
            groups[-1].append(box)
        else:
            groups.append([box])
    return [b for b in map(box_union, groups) if b[3] - b[1] >= PRINTED_WIDTH * height]


def box_union(boxes) -> tuple[int, int, int, int]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _band_box(band, writing: float) -> tuple[int, int, int, int]:
    """A band's box with margins: its rows those of its seed (its heaviest piece) and of its
    writing-sized pieces, its columns all of its pieces'."""
    seed = max(band, key=lambda p: p.mass)
    top, bottom = seed.box[0], seed.box[2]
    left = min(p.box[1] for p in band)
    right = max(p.box[3] for p in band)
    writing_sized = [p for p in band if p.box[2] - p.box[0] <= 2 * writing]  # not a tall label or frame
    top = min([top, *(p.box[0] for p in writing_sized)])
    bottom = max([bottom, *(p.box[2] for p in writing_sized)])
    height = bottom - top
    return (
        int(top - MARGIN_ROWS * height),
        int(left - MARGIN_COLUMNS * height),
        int(bottom + MARGIN_ROWS * height) + 1,
        int(right + MARGIN_COLUMNS * height) + 1,
    )


def _ink_box(band) -> tuple[int, int, int, int]:
    return box_union([p.box for p in band])


def _cropped(grey: np.ndarray, ink, box: tuple[int, int, int, int]) -> Line | None:
    inside = (max(0, box[0]), max(0, box[1]), min(grey.shape[0], box[2]), min(grey.shape[1], box[3]))
    try:
        strength = ink.crop(inside)
    except EmptyImageError:
        return None
    # A picture cropped to its ink (an app's upload) has no margin of its own: the line's is
    # blank paper beyond the picture's edge, as the reader has always seen a line.
    pads = ((inside[0] - box[0], box[2] - inside[2]), (inside[1] - box[1], box[3] - inside[3]))
    return Line(np.pad(strength, pads) if any(any(p) for p in pads) else strength, box)


def _blank(line: Line, box: tuple[int, int, int, int], own: tuple[int, int]) -> None:
    """Blank another line's piece (its box, in the picture's pixels) where it falls in this
    line's crop outside this line's own rows of ink (`own`: top, bottom)."""
    top, left = line.box[0], line.box[1]
    x0, x1 = max(0, box[1] - left), min(line.strength.shape[1], box[3] - left)
    for a, b in ((box[0], min(box[2], own[0])), (max(box[0], own[1]), box[2])):  # above, below this line's ink
        y0, y1 = max(0, a - top), min(line.strength.shape[0], b - top)
        if y0 < y1 and x0 < x1:
            if not line.strength.flags.writeable:
                line.strength = line.strength.copy()
            line.strength[y0:y1, x0:x1] = 0.0


def _without_long_lines(mask: np.ndarray) -> np.ndarray:
    """The mask without its long straight runs (rulings, underlines, a column's line, a page's
    edge): ink in a horizontal or vertical run LINE_LONG times the typical piece's height."""
    found = pieces(mask, None)
    if not found:
        return mask
    heaviest = max(p.mass for p in found)
    typical = float(np.median([p.box[2] - p.box[0] for p in found if p.mass >= 0.1 * heaviest]))
    length = max(12, int(LINE_LONG * typical))
    if length >= max(mask.shape) or not any(max(p.box[2] - p.box[0], p.box[3] - p.box[1]) >= length for p in found):
        return mask
    lines = _long_runs(mask, length) | _long_runs(mask.T, length).T
    if not lines.any():
        return mask
    lines[1:] |= lines[:-1].copy()  # and a pixel above and below: a line's anti-aliased edge
    lines[:-1] |= lines[1:].copy()
    return mask & ~lines


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Where a row of the mask runs `length` pixels or more without a gap (a binary opening
    by a 1×length line, by running sums: two passes, whatever the length)."""
    if mask.shape[1] < length:
        return np.zeros(mask.shape, bool)
    sums = np.zeros((mask.shape[0], mask.shape[1] + 1), np.int32)
    np.cumsum(mask, axis=1, out=sums[:, 1:])
    full = (sums[:, length:] - sums[:, :-length]) == length  # the run of `length` starting here is all ink
    starts = np.zeros((mask.shape[0], full.shape[1] + 1), np.int32)
    np.cumsum(full, axis=1, out=starts[:, 1:])
    columns = np.arange(mask.shape[1])
    first = np.clip(columns - length + 1, 0, full.shape[1])
    last = np.clip(columns + 1, 0, full.shape[1])
    return (starts[:, last] - starts[:, first]) > 0


def _writing_height(compact) -> float:
    """The writing's height: the mass-weighted median height of its pieces."""
    heights = np.array([p.box[2] - p.box[0] for p in compact], float)
    masses = np.array([p.mass for p in compact])
    order = np.argsort(heights)
    cumulative = np.cumsum(masses[order])
    return float(heights[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _sparse(piece, writing: float) -> bool:
    top, left, bottom, right = piece.box
    area = (bottom - top) * (right - left)
    return area > 9 * writing * writing and piece.mass < SPARSE * area
