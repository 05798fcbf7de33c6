"""The digit's pieces of ink: the biggest compact piece, and every piece near it (a 5's
separate top bar, a crossed 7, a broken stroke, two digits side by side), make the digit;
specks, a page's edge or a shadow's border that lie apart are dropped."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .decode import EmptyImageError, Limits
from .sampling import SIZE

EIGHT_CONNECTED = np.ones((3, 3), bool)
NEAR = 0.45  # pieces within this share of the main piece's size (longer side) belong to the digit
DUST = 0.02  # pieces under this share of the main piece's ink neither make nor grow the digit


@dataclass(frozen=True)
class Piece:
    """A connected piece of ink: its bounding box (top, left, bottom, right) and ink mass."""

    box: tuple[int, int, int, int]
    mass: float

    @property
    def size(self) -> int:
        top, left, bottom, right = self.box
        return max(bottom - top, right - left)


def union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def ink_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box (top, left, bottom, right) around a mask's ink; None when it has none. No piece
    of ink reaches outside it, so pieces are found within it alone."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def pieces(mask: np.ndarray, weights: np.ndarray | None) -> list[Piece]:
    box = ink_box(mask)
    if box is None:
        return []
    # Labelled within the ink's box only, and summed over the ink's pixels only: on a
    # 280×280 canvas, labelling all of it and ndimage.sum_labels took 1 ms of each request.
    top, left, bottom, right = box
    inked = mask[top:bottom, left:right]
    labels, count = ndimage.label(inked, structure=EIGHT_CONNECTED)
    ink = None if weights is None else weights[top:bottom, left:right][inked]
    if count == 1:  # one stroke (most drawings): its box is the ink's, its mass all of it
        mass = float(inked.sum()) if ink is None else float(ink.sum(dtype=np.float64))
        return [Piece(box, mass)]
    boxes = ndimage.find_objects(labels)
    masses = np.bincount(labels[inked], ink, count + 1)[1:]
    return [
        Piece((b[0].start + top, b[1].start + left, b[0].stop + top, b[1].stop + left), float(m))
        for b, m in zip(boxes, masses, strict=True)
    ]


def crop_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The box of a crop of one digit (a small scan): every piece of ink but dust, wherever it
    lies (a stroke along the crop's edge is the digit's, not a page's edge)."""
    found = pieces(mask, None)
    if not found:
        raise EmptyImageError("nothing drawn: the image is blank")
    heaviest = max(piece.mass for piece in found)
    kept = [piece for piece in found if piece.mass >= DUST * heaviest]
    box = kept[0].box
    for piece in kept[1:]:
        box = union(box, piece.box)
    return box


def digit_box(mask: np.ndarray, weights: np.ndarray | None, limits: Limits) -> tuple[int, int, int, int]:
    """The box of the digit's pieces: the heaviest piece that is not a page's edge, and every
    piece near the group it grows. A blank image or a stray speck
    is EmptyImageError."""
    found = pieces(mask, weights)
    if not found:
        raise EmptyImageError("nothing drawn: the image is blank")
    height, width = mask.shape

    def edge_like(piece: Piece) -> bool:  # a page's edge: along a side, long and thin
        top, left, bottom, right = piece.box
        tall, wide = bottom - top, right - left
        touches = top == 0 or left == 0 or bottom == height or right == width
        long = tall > 0.6 * height or wide > 0.6 * width
        return touches and long and min(tall, wide) < 0.15 * max(tall, wide)

    candidates = [p for p in found if not edge_like(p)] or found
    seed = max(candidates, key=lambda p: p.mass)
    reach = NEAR * seed.size
    box = seed.box
    rest = np.array([p.box for p in candidates if p is not seed and p.mass >= DUST * seed.mass], np.int64)
    # Every piece within reach of the group joins it, and the group's box grows, until none is
    # left within reach: the same closure in whatever order, taken a whole pass at a time (a
    # page of noise has thousands of pieces: one by one, that was seconds).
    while len(rest):
        gap = np.maximum.reduce(
            [
                np.zeros(len(rest), np.int64),
                box[0] - rest[:, 2],
                rest[:, 0] - box[2],
                box[1] - rest[:, 3],
                rest[:, 1] - box[3],
            ]
        )
        near = gap <= reach
        if not near.any():
            break
        joined = rest[near]
        box = (
            min(box[0], int(joined[:, 0].min())),
            min(box[1], int(joined[:, 1].min())),
            max(box[2], int(joined[:, 2].max())),
            max(box[3], int(joined[:, 3].max())),
        )
        rest = rest[~near]
    top, left, bottom, right = box
    if max(bottom - top, right - left) < limits.min_extent * max(height, width) and max(height, width) > SIZE:
        raise EmptyImageError("nothing drawn: only a stray dot or speck, too small to be a digit")
    return box
