"""A form's boxes: a frame drawn around the writing (one box, or a row of boxes with one
character in each cell, a "comb" field), found on the ink mask so that the reader reads what
is inside the cells and nothing else: not the frame's lines (a cell's side would read as a
"1" or an "I"), not a printed label beside the field.

A frame is one connected piece of ink whose outline is straight: a top and a bottom line that
cover most of its width, a left and a right line that cover most of its height; the lines
between (the cells' sides) cover most of its height too. A stroke of the writing that touches
the frame joins its piece but covers too little of it to count as one of its lines.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

FRAME_COVER = 0.85  # a frame's line covers at least this share of the frame's width (or height)
MIN_FRAME = 12  # px: a frame smaller than this either way is a character's loop, not a box
MIN_CELL = 0.3  # a cell is at least this share of the frame's height wide
EDGE = 0.15  # a frame's outer lines lie within this share of its size from its edges
EIGHT = np.ones((3, 3), bool)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The [start, stop) runs of True in a 1-D array."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def field_cells(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The cells of the largest frame in the mask, left to right, as (top, left, bottom,
    right) interiors inside its lines; empty when there is no frame."""
    labels, _ = ndimage.label(mask, structure=EIGHT)
    best: list[tuple[int, int, int, int]] = []
    best_area = 0
    for k, where in enumerate(ndimage.find_objects(labels)):
        if where is None:
            continue
        top, left = where[0].start, where[1].start
        height, width = where[0].stop - top, where[1].stop - left
        if height < MIN_FRAME or width < MIN_FRAME or height * width <= best_area:
            continue
        piece = labels[where] == k + 1
        rows = _runs(piece.mean(axis=1) >= FRAME_COVER)
        columns = _runs(piece.mean(axis=0) >= FRAME_COVER)
        if len(rows) < 2 or len(columns) < 2:
            continue
        (_, inner_top), (inner_bottom, _) = rows[0], rows[-1]
        if rows[0][0] > EDGE * height or rows[-1][1] < (1 - EDGE) * height:
            continue
        if columns[0][0] > EDGE * width or columns[-1][1] < (1 - EDGE) * width:
            continue
        cells = []
        for (_, a), (b, _) in zip(columns, columns[1:], strict=False):
            if b - a >= MIN_CELL * height:
                cells.append((top + inner_top, left + a, top + inner_bottom, left + b))
        if cells and inner_bottom - inner_top >= MIN_FRAME // 2:
            best, best_area = cells, height * width
    return best
