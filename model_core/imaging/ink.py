"""Where the digit's ink is in a grey image, as a crop of ink strength in [0, 1].

Two kinds of image reach here. A *drawing* (a canvas, white strokes on black or transparent,
or MNIST itself) has a flat background: its level and noise are read off the border. A
*photo of paper* (dark ink on a light page) has uneven light, so before deciding what is ink
the page's illumination is estimated at a large scale (a morphological closing of the
downscaled image: it removes every dark mark narrower than the kernel and keeps the steps
of light and shadow) and divided out, as scanners and document apps do; what stays dark is
ink, and a threshold set by the normalised image's own noise and contrast finds it.
Thin straight lines that cross most of the page in a regular family (ruled or squared
paper) are taken out.

Then the pieces of ink are grouped: the biggest compact piece, and every piece near it (a
5's separate top bar, a crossed 7, a broken stroke, two digits written side by side), make
the digit; specks, a page's edge or a shadow's border that lie apart are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from .decode import DEFAULT_LIMITS, EmptyImageError, Limits

SIZE = 28
EIGHT_CONNECTED = np.ones((3, 3), bool)
SMALL_SIDE = 160  # the illumination is estimated on the image downscaled to this long side
CLOSING = 0.16  # its closing removes dark marks narrower than this share of the long side
UNIFORM = 0.06  # light varying less than this (of its brightest) is taken as even
MASK_LEVEL = 0.12  # ink is what exceeds floor + this share of (peak - floor)
NEAR = 0.45  # pieces within this share of the main piece's size (longer side) belong to the digit
DUST = 0.02  # pieces under this share of the main piece's ink neither make nor grow the digit
LINE_ANGLES = np.deg2rad(np.arange(-12.0, 12.01, 0.5))  # ruled lines, as a photo may tilt them
LINE_COVER = 0.55  # a line covers at least this share of the image across
LINE_SCALE = 256  # line search on the mask downscaled to this long side
RULING_LINES = 3  # a ruling has at least this many lines


@dataclass(frozen=True)
class Piece:
    """A connected piece of ink: its bounding box (top, left, bottom, right) and ink mass."""

    box: tuple[int, int, int, int]
    mass: float

    @property
    def size(self) -> int:
        top, left, bottom, right = self.box
        return max(bottom - top, right - left)

    def gap(self, box: tuple[int, int, int, int]) -> int:
        """Pixels between this piece's box and `box` (0 when they touch or overlap)."""
        top, left, bottom, right = self.box
        dy = max(0, box[0] - bottom, top - box[2])
        dx = max(0, box[1] - right, left - box[3])
        return max(dy, dx)


def border_of(grey: np.ndarray) -> np.ndarray:
    """The image's outermost pixels, each once."""
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


def union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def downscaled(grey: np.ndarray) -> np.ndarray:
    """The image averaged down to SMALL_SIDE on its long side (as it is when smaller), float32."""
    height, width = grey.shape
    factor = max(1.0, max(height, width) / SMALL_SIDE)
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    source = Image.fromarray(grey if grey.dtype == np.uint8 else grey.astype(np.float32))
    return np.asarray(source.resize(size, Image.Resampling.BOX) if factor > 1 else source, np.float32)


def closing_size(small: np.ndarray) -> int:
    return max(3, int(CLOSING * max(small.shape)) | 1)


def is_paper(grey: np.ndarray, scale: float) -> bool:
    """Dark ink on a light page (a photo, a scan, a dark-on-white canvas) rather than light
    strokes on a dark background. A light border says paper, a dark one a drawing. In
    between, a border of uneven light (a page in shadow, a dim room) says paper; an even one
    (a grey canvas, a page in even shade) says whichever marks stand out more from the local
    median, the dark or the light ones (ruled lines and the strips between them are a small
    share of any window, so they do not move the median)."""
    border = border_of(grey) / np.float32(scale)
    level = float(np.median(border))
    if level >= 0.6 or level <= 0.25:
        return level >= 0.6
    low, high = np.percentile(border, [10, 90])
    if high - low > 0.08:
        return True
    small = downscaled(grey)[::2, ::2]
    marks = small - ndimage.median_filter(small, size=closing_size(small))
    return float(np.percentile(-marks, 99.5)) >= float(np.percentile(marks, 99.5))


def find_ink(grey: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Grey pixels (uint8 0-255 or float in [0, 1]) → the digit's crop as float32 ink in [0, 1]
    on a 0 background. EmptyImageError when no digit-sized ink stands out."""
    scale = 255.0 if grey.dtype == np.uint8 else 1.0
    ink = PaperInk(grey, scale, limits) if is_paper(grey, scale) else DrawingInk(grey, scale, limits)
    box = digit_box(ink.mask, ink.weights, limits)
    return ink.crop(box)


# --- A drawing: a flat background -------------------------------------------------------------


class DrawingInk:
    """Light strokes on a flat dark background: its level and noise read off the border.
    Only the mask is computed over the whole image (on the grey values as they are); only the
    digit's crop becomes floats."""

    def __init__(self, grey: np.ndarray, scale: float, limits: Limits):
        border = border_of(grey) / np.float32(scale)
        background = float(np.median(border))
        noise = float(np.median(np.abs(border - background))) * 1.4826  # MAD → σ
        step = max(1, int(np.sqrt(grey.size / 4096)))  # a percentile of ~4k samples is plenty
        peak = max(float(np.percentile(grey[::step, ::step], 99.9)) / scale, float(grey.max()) / scale * 0.9)
        contrast = peak - background
        if contrast < max(limits.min_contrast, 6 * noise):
            raise EmptyImageError("nothing drawn: no ink stands out from the background")
        self.grey, self.scale, self.peak = grey, scale, peak
        self.floor = background + min(3 * noise, 0.5 * contrast)
        self.mask = grey > (self.floor + 0.1 * (peak - self.floor)) * scale
        self.weights = None  # every inked pixel weighs the same

    def crop(self, box: tuple[int, int, int, int]) -> np.ndarray:
        top, left, bottom, right = box
        out = self.grey[top:bottom, left:right].astype(np.float32)  # always a copy: the rest is in place
        out /= self.scale
        out -= self.floor
        out /= self.peak - self.floor
        return np.clip(out, 0.0, 1.0, out=out)


# --- A photo of paper: uneven light, grain, lines -------------------------------------------------


def illumination(grey: np.ndarray) -> np.ndarray:
    """The page's light without the ink. Evenly lit (a scan, a canvas: its border all one
    level), that level. Otherwise a closing (a max then a min filter, which keeps steps of
    light and shadow) of the image downscaled to SMALL_SIDE, smoothed and brought back to
    full size. Same shape as `grey`, float32 in its units."""
    height, width = grey.shape
    border = border_of(grey).astype(np.float32)
    low, level, high = np.percentile(border, [20, 50, 80])  # ink may cover a fifth of the border
    if high - low <= UNIFORM * level:
        return np.full(grey.shape, level, np.float32)
    small = downscaled(grey)
    closed = ndimage.grey_closing(small, size=closing_size(small), mode="nearest")
    closed = ndimage.uniform_filter(closed, size=3)  # the closing's corners, softened
    return np.asarray(Image.fromarray(closed).resize((width, height), Image.Resampling.BILINEAR))


class PaperInk:
    """Dark ink on a page: darkness relative to the page's own light, 1 - grey / light."""

    def __init__(self, grey: np.ndarray, scale: float, limits: Limits):
        light = illumination(grey)
        darkness = grey.astype(np.float32)
        np.divide(darkness, np.maximum(light, 1e-3 * scale), out=darkness)
        np.subtract(1.0, darkness, out=darkness)
        np.clip(darkness, 0.0, 1.0, out=darkness)
        # The paper's level and grain from the border (as for a drawing): the middle may be
        # mostly ink, a huge bold digit's.
        border = border_of(darkness)
        background = float(np.median(border))
        noise = max(float(np.median(np.abs(border - background))) * 1.4826, 0.004)  # MAD → σ
        step = max(1, int(np.sqrt(darkness.size / 16384)))
        peak = max(float(np.percentile(darkness[::step, ::step], 99.9)), float(darkness.max()) * 0.9)
        self.floor = background + 3 * noise
        if peak - self.floor < max(limits.min_contrast, 3 * noise):
            raise EmptyImageError("nothing drawn: no ink stands out from the page")
        self.darkness, self.noise, self.limits = darkness, noise, limits
        threshold = self.floor + MASK_LEVEL * (peak - self.floor)
        self.mask = darkness > threshold
        self.lines = ruled_lines(self.mask)
        for line in self.lines:
            line.erase(self.mask, darkness, threshold)
        self.weights = darkness

    def crop(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """The crop's darkness from its floor to its own strongest strokes, so faint pencil
        and black ink both come out as MNIST's full-strength strokes."""
        top, left, bottom, right = box
        out = self.darkness[top:bottom, left:right].copy()
        inked = out[self.mask[top:bottom, left:right]]
        peak = float(np.percentile(inked, 95)) if inked.size else float(out.max())
        if peak - self.floor < max(self.limits.min_contrast, 6 * self.noise):
            raise EmptyImageError("nothing drawn: no ink stands out from the page")
        out -= self.floor
        out /= peak - self.floor
        return np.clip(out, 0.0, 1.0, out=out)


@dataclass(frozen=True)
class Line:
    """A straight line across the image: y·cos(angle) − x·sin(angle) = offset ± half_width."""

    angle: float
    offset: float
    half_width: float

    def band(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The pixels within half_width of the line, as (rows, columns)."""
        height, width = shape
        cos, sin = np.cos(self.angle), np.sin(self.angle)
        reach = np.arange(-np.ceil(self.half_width), np.ceil(self.half_width) + 1)
        if abs(cos) >= abs(sin):  # mostly horizontal: for each column, the rows across the line
            xs = np.arange(width)[None, :].repeat(len(reach), 0)
            ys = np.rint((self.offset + xs * sin) / cos + reach[:, None] / abs(cos)).astype(np.int64)
        else:
            ys = np.arange(height)[None, :].repeat(len(reach), 0)
            xs = np.rint((ys * cos - self.offset) / sin + reach[:, None] / abs(sin)).astype(np.int64)
        inside = (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
        return ys[inside], xs[inside]

    def erase(self, mask: np.ndarray, darkness: np.ndarray, threshold: float) -> None:
        """Take the line's darkness out of the image and the line out of the mask; a stroke
        that crosses the line keeps what is darker than the line."""
        ys, xs = self.band(mask.shape)
        on_line = mask[ys, xs]
        if not on_line.any():
            return
        level = float(np.percentile(darkness[ys, xs][on_line], 75))
        darkness[ys, xs] = np.maximum(darkness[ys, xs] - level, 0.0)
        mask[ys, xs] = darkness[ys, xs] > threshold


def ruled_lines(mask: np.ndarray) -> list[Line]:
    """A family of parallel straight lines each crossing most of the image (ruled paper, or
    both families of squared paper), found by projecting the ink along slightly tilted
    directions (a small Hough transform). A single line is not a family: a lone long stroke
    may be a digit's, and a page's edge is dropped later as a piece apart from the digit."""
    height, width = mask.shape
    factor = max(1, int(np.ceil(max(height, width) / LINE_SCALE)))
    small = mask[: height // factor * factor, : width // factor * factor]
    small = small.reshape(height // factor, factor, width // factor, factor).any(axis=(1, 3))
    ys, xs = np.nonzero(small)
    if ys.size == 0:
        return []
    found = []
    for turn, across in ((0.0, small.shape[1]), (np.pi / 2, small.shape[0])):  # rows, then columns
        best: tuple[int, float, np.ndarray] | None = None
        for angle in LINE_ANGLES + turn:
            offsets = np.rint(ys * np.cos(angle) - xs * np.sin(angle)).astype(np.int64)
            counts = np.bincount(offsets - offsets.min())
            peaks = np.flatnonzero(counts >= LINE_COVER * across / max(abs(np.cos(angle - turn)), 0.5))
            if peaks.size and (best is None or peaks.size > best[0]):
                best = (peaks.size, angle, peaks + offsets.min())
        if best is None:
            continue
        _, angle, peaks = best
        runs = np.split(peaks, np.flatnonzero(np.diff(peaks) > 1) + 1)  # adjacent offsets: one line
        if not is_ruling(runs):
            continue
        for run in runs:
            coarse = (run[0] + run[-1]) / 2 * factor + (factor - 1) / 2 * (np.cos(angle) - np.sin(angle))
            found.append(refined(mask, Line(float(angle), float(coarse), (len(run) / 2 + 1) * factor)))
    return found


def is_ruling(runs: list[np.ndarray]) -> bool:
    """Whether lines found across the image (each a run of adjacent offsets) are a ruling:
    at least RULING_LINES of them, every one thin, evenly spaced. A brush stroke is thick, and
    a digit's long strokes are one or two, never a regular family."""
    if len(runs) < RULING_LINES or max(len(run) for run in runs) > 2:
        return False
    gaps = np.diff([run.mean() for run in runs])
    return float(gaps.std()) <= 0.25 * float(gaps.mean())


def refined(mask: np.ndarray, line: Line) -> Line:
    """A line found on the downscaled mask, fitted again at full size: the angle (within the
    coarse step) and offset where its pixels line up best, and its real width."""
    ys, xs = line.band(mask.shape)
    on = mask[ys, xs]
    ys, xs = ys[on].astype(np.float64), xs[on].astype(np.float64)
    if ys.size < 8:
        return line
    best = (0.0, line)
    for angle in line.angle + np.deg2rad(np.arange(-0.3, 0.301, 0.05)):
        offsets = ys * np.cos(angle) - xs * np.sin(angle)
        bins = np.floor((offsets - offsets.min()) * 2).astype(np.int64)  # half-pixel bins
        counts = np.bincount(bins)
        peak = int(counts.argmax())
        if counts[peak] > best[0]:
            wide = np.flatnonzero(counts >= 0.25 * counts[peak])
            wide = wide[(wide >= peak - 8) & (wide <= peak + 8)]
            centre = offsets.min() + (wide[0] + wide[-1] + 1) / 4
            best = (float(counts[peak]), Line(float(angle), float(centre), (wide[-1] - wide[0] + 1) / 4 + 1.0))
    return best[1]


# --- The digit's pieces -----------------------------------------------------------------------------


def pieces(mask: np.ndarray, weights: np.ndarray | None) -> list[Piece]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return []
    # Labelled within the ink's box only, and summed over the ink's pixels only: on a
    # 280×280 canvas, labelling all of it and ndimage.sum_labels took 1 ms of each request.
    top, left = int(rows[0]), int(cols[0])
    inked = mask[top : rows[-1] + 1, left : cols[-1] + 1]
    labels, count = ndimage.label(inked, structure=EIGHT_CONNECTED)
    boxes = ndimage.find_objects(labels)
    ink = None if weights is None else weights[top : rows[-1] + 1, left : cols[-1] + 1][inked]
    masses = np.bincount(labels[inked], ink, count + 1)[1:]
    return [
        Piece((b[0].start + top, b[1].start + left, b[0].stop + top, b[1].stop + left), float(m))
        for b, m in zip(boxes, masses, strict=True)
    ]


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
    rest = [p for p in candidates if p is not seed and p.mass >= DUST * seed.mass]
    grew = True
    while grew:
        grew = False
        for piece in list(rest):
            if piece.gap(box) <= reach:
                box = union(box, piece.box)
                rest.remove(piece)
                grew = True
    top, left, bottom, right = box
    if max(bottom - top, right - left) < limits.min_extent * max(height, width) and max(height, width) > SIZE:
        raise EmptyImageError("nothing drawn: only a stray dot or speck, too small to be a digit")
    return box
