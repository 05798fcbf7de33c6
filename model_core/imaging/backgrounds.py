"""How dark ink is told from its background, by the kind of image.

A *drawing* (a canvas, white strokes on black or transparent, or MNIST itself) has a flat
background: its level and noise are read off the border (`DrawingInk`). A *photo of paper*
(dark ink on a light page) has uneven light, so the page's illumination is estimated at a
large scale (a morphological closing of the downscaled image: it removes every dark mark
narrower than the kernel and keeps the steps of light and shadow) and divided out, as
scanners and document apps do; what stays dark is ink, above a threshold set by the
normalised image's own noise and contrast (`PaperInk`), its ruled lines taken out (rulings).
Each gives a `mask` of ink, `weights` for its pieces, and the `crop` of a box as ink strength.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from .decode import EmptyImageError, Limits
from .pieces import ink_box
from .rulings import ruled_lines

SMALL_SIDE = 160  # the illumination is estimated on the image downscaled to this long side
CLOSING = 0.16  # its closing removes dark marks narrower than this share of the long side
UNIFORM = 0.06  # light varying less than this (of its brightest) is taken as even
STROKES_PER_CLOSING = 4  # a closing fitted to a digit's strokes is this many stroke widths wide
MASK_LEVEL = 0.12  # ink is what exceeds floor + this share of (peak - floor)
STRONG_LEVEL = 0.4  # ... in a piece somewhere darker than floor + this share (hysteresis)
# A canvas's background is one colour: 98% of its border within this of its median (of full
# scale, 2 levels of 255). Paper, even scanned or photographed in good light, has grain.
FLAT_BORDER = 2 / 255
FLAT_SHARE = 0.98
# An image this small (long side, pixels) is a crop of one digit (a scanner's or a form's, a
# thumbnail), not a page with a digit somewhere on it: the page's rules (specks, edges, a
# photo's light) do not apply. Ink that differs from its border's level by SMALL_INK_LEVEL
# (of full scale) over SMALL_INK_PIXELS pixels, in either direction, is always read; an image
# with fewer pixels even SMALL_EMPTY_LEVEL off its background is nothing drawn (the margin
# between the two is for the border's own noise, which moves the level it is measured from).
SMALL_IMAGE = 64
SMALL_INK_LEVEL = 40 / 255
SMALL_EMPTY_LEVEL = 32 / 255
SMALL_INK_PIXELS = 4


def border_of(grey: np.ndarray) -> np.ndarray:
    """The image's outermost pixels, each once."""
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


def median(values: np.ndarray) -> float:
    """np.median(values), without its cost in the common case of a canvas's border: a value
    held by more than half of them (the first checked) is the median, exactly."""
    first = values.flat[0]
    if np.count_nonzero(values == first) >= values.size // 2 + 1:
        return float(first)
    return float(np.median(values))


def high_percentile(values: np.ndarray, q: float) -> float:
    """np.percentile(values, q) for a high q, without its cost when the values at the top are
    all the maximum (a drawing's full-strength strokes): the two order statistics around
    q/100·(n - 1) it interpolates between are then both the maximum."""
    top = values.max()
    below = max(0, int(q / 100 * (values.size - 1)) - 1)  # one under the lower of the two, to be safe
    if np.count_nonzero(values == top) >= values.size - below:
        return float(top)
    return float(np.percentile(values, q))


def reduction(shape: tuple[int, ...]) -> float:
    """How much `downscaled` shrinks an image of `shape`: its long side to SMALL_SIDE, never up."""
    return max(1.0, max(shape) / SMALL_SIDE)


def downscaled(grey: np.ndarray) -> np.ndarray:
    """The image averaged down to SMALL_SIDE on its long side (as it is when smaller), float32."""
    height, width = grey.shape
    factor = reduction(grey.shape)
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    source = Image.fromarray(grey if grey.dtype == np.uint8 else grey.astype(np.float32))
    return np.asarray(source.resize(size, Image.Resampling.BOX) if factor > 1 else source, np.float32)


def closing_size(long_side: int) -> int:
    """The default closing, in the pixels of an image whose long side is `long_side`."""
    return max(3, int(CLOSING * long_side) | 1)


def stroke_width(mask: np.ndarray) -> float:
    """The mean width of the strokes in a mask: twice their area over their outline (a stroke
    w wide and L long has area wL and an outline of about 2L)."""
    inner = mask[1:-1, 1:-1]
    edge = inner & ~(mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:])
    return 2.0 * float(inner.sum()) / max(1.0, float(edge.sum()))


def is_paper(grey: np.ndarray, scale: float) -> bool:
    """Dark ink on a light page (a photo, a scan, a dark-on-white canvas) rather than light
    strokes on a dark background. A light border says paper, a dark one a drawing. In
    between, a border of uneven light (a page in shadow, a dim room) says paper; an even one
    (a grey canvas, a page in even shade) says whichever marks stand out more from the local
    median, the dark or the light ones (ruled lines and the strips between them are a small
    share of any window, so they do not move the median)."""
    border = border_of(grey) / np.float32(scale)
    level = median(border)
    if level >= 0.6 or level <= 0.25:
        return level >= 0.6
    low, high = np.percentile(border, [10, 90])
    if high - low > 0.08:
        return True
    small = downscaled(grey)[::2, ::2]
    marks = small - ndimage.median_filter(small, size=closing_size(max(small.shape)))
    return float(np.percentile(-marks, 99.5)) >= float(np.percentile(marks, 99.5))


def is_flat_drawing(grey: np.ndarray, scale: float) -> bool:
    """A drawing on a flat background (one colour, what a canvas or a script gives), as opposed
    to paper with its grain and light: nearly all its border at one level."""
    border = border_of(grey) / np.float32(scale)
    return float(np.mean(np.abs(border - median(border)) <= FLAT_BORDER)) >= FLAT_SHARE


class DrawingInk:
    """Light strokes on a flat dark background: its level and noise read off the border.
    Only the mask is computed over the whole image (on the grey values as they are); only the
    digit's crop becomes floats."""

    def __init__(self, grey: np.ndarray, scale: float, limits: Limits):
        border = border_of(grey) / np.float32(scale)
        background = median(border)
        noise = median(np.abs(border - background)) * 1.4826  # MAD → σ
        step = max(1, int(np.sqrt(grey.size / 4096)))  # a percentile of ~4k samples is plenty
        peak = max(high_percentile(grey[::step, ::step], 99.9) / scale, float(grey.max()) / scale * 0.9)
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


def illumination(
    grey: np.ndarray, closing: int | None = None, small: np.ndarray | None = None
) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """The page's light without the ink (same shape as `grey`, float32 in its units), whether
    it is even, and the downscaled image it was estimated on (None when even). Evenly lit (a
    scan, a canvas: the page's light all one level), its border's level. Otherwise a closing
    (a max then a min filter, which keeps steps of light and shadow) of the image downscaled
    to SMALL_SIDE (`small`, when already made), smoothed and brought back to full size. The
    closing's size (in the downscaled pixels) is CLOSING of the long side unless given."""
    height, width = grey.shape
    border = border_of(grey).astype(np.float32)
    # Ink may cross a tenth of the border; a shadow over the middle touches more of it.
    low, level, high = np.percentile(border, [10, 50, 90])
    if high - low <= UNIFORM * level:
        return np.full(grey.shape, level, np.float32), True, None
    small = downscaled(grey) if small is None else small
    closed = ndimage.grey_closing(small, size=closing or closing_size(max(small.shape)), mode="nearest")
    closed = ndimage.uniform_filter(closed, size=3)  # the closing's corners, softened
    return np.asarray(Image.fromarray(closed).resize((width, height), Image.Resampling.BILINEAR)), False, small


def keep_dark_pieces(mask: np.ndarray, darkness: np.ndarray, strong: float) -> None:
    """Hysteresis, in place: of the mask's pieces keep those somewhere darker than `strong`.
    A pen's stroke is dark somewhere along it; a blotch of paper or a shadow's soft edge that
    only just passes the mask's level is not, and would otherwise outweigh a small digit."""
    found = ink_box(mask)
    if found is None:
        return
    top, left, bottom, right = found
    box = slice(top, bottom), slice(left, right)
    inked = mask[box]  # a view: what is cleared here is cleared in the mask
    labels, count = ndimage.label(inked)
    keep = np.bincount(labels[darkness[box] > strong], minlength=count + 1) > 0  # pieces with a strong pixel
    keep[0] = False
    inked &= keep[labels]


class PaperInk:
    """Dark ink on a page: darkness relative to the page's own light, 1 - grey / light."""

    def __init__(
        self,
        grey: np.ndarray,
        scale: float,
        limits: Limits,
        closing: int | None = None,
        small: np.ndarray | None = None,
    ):
        light, self.even, self.small = illumination(grey, closing, small)
        self.grey, self.scale = grey, scale
        self.closing = closing or closing_size(round(max(grey.shape) / reduction(grey.shape)))
        darkness = grey.astype(np.float32)
        np.divide(darkness, np.maximum(light, 1e-3 * scale), out=darkness)
        np.subtract(1.0, darkness, out=darkness)
        np.clip(darkness, 0.0, 1.0, out=darkness)
        # The paper's level and grain from the border (as for a drawing): the middle may be
        # mostly ink, a huge bold digit's.
        border = border_of(darkness)
        background = median(border)
        noise = max(median(np.abs(border - background)) * 1.4826, 0.004)  # MAD → σ
        step = max(1, int(np.sqrt(darkness.size / 16384)))
        peak = max(high_percentile(darkness[::step, ::step], 99.9), float(darkness.max()) * 0.9)
        self.floor = background + 3 * noise
        if peak - self.floor < max(limits.min_contrast, 3 * noise):
            raise EmptyImageError("nothing drawn: no ink stands out from the page")
        self.darkness, self.noise, self.limits = darkness, noise, limits
        threshold = self.floor + MASK_LEVEL * (peak - self.floor)
        self.mask = darkness > threshold
        self.lines = ruled_lines(self.mask)
        # A form's boxes may look like a ruling's lines: the reader finds them on the mask as drawn.
        self.drawn_mask = self.mask.copy() if self.lines else self.mask
        for line in self.lines:
            line.erase(self.mask, darkness, threshold)
        keep_dark_pieces(self.mask, darkness, self.floor + STRONG_LEVEL * (peak - self.floor))
        self.weights = darkness

    def fitted(self, box: tuple[int, int, int, int]) -> PaperInk | None:
        """The same page, its light estimated by a closing just wide enough to remove the
        thinnest strokes in `box` (STROKES_PER_CLOSING of their width) where that is narrower than
        this one's: the closing then follows a shadow's edges and corners closely instead
        of taking a shadow's narrow tip for ink. None when the light is even or this
        closing is already that narrow."""
        if self.even:
            return None
        top, left, bottom, right = box
        factor = reduction(self.grey.shape)
        labels, count = ndimage.label(self.mask[top:bottom, left:right])
        areas = np.bincount(labels.ravel())[1:]
        sizeable = np.flatnonzero(areas >= 0.05 * areas.sum()) + 1 if count else []
        # The thinnest sizeable piece's strokes: the digit's, not a shadow's tip taken in with it.
        width = min((stroke_width(labels == k) for k in sizeable), default=0.0)
        size = max(3, int(STROKES_PER_CLOSING * width / factor) | 1)
        if not width:
            return None
        if size >= self.closing:
            return None
        return PaperInk(self.grey, self.scale, self.limits, closing=size, small=self.small)  # the same page downscaled

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


class SmallScanInk(DrawingInk):
    """A small image (long side at most SMALL_IMAGE) of either polarity, grey or binary, with or
    without anti-aliasing: a crop of one digit. Its background is its border's level (the
    digit may touch the border, but fills less than half of it); its ink is what differs from
    that towards the image's farther extreme (dark ink on light paper, or light on dark),
    as strength in [0, 1]; the border's noise sets the floor, as for a drawing."""

    def __init__(self, grey: np.ndarray, scale: float, limits: Limits):
        values = grey.astype(np.float32) / np.float32(scale)
        border = border_of(values)
        background = median(border)
        low, high = np.percentile(values, [1, 99])
        strength = (background - values) if background - low > high - background else (values - background)
        np.clip(strength, 0.0, None, out=strength)
        if np.count_nonzero(strength >= SMALL_EMPTY_LEVEL) < SMALL_INK_PIXELS:
            raise EmptyImageError("nothing drawn: no ink stands out from the background")
        noise = median(np.abs(border - background)) * 1.4826  # MAD → σ
        peak = max(high_percentile(strength, 99.9), float(strength.max()) * 0.9)
        self.grey, self.scale, self.peak = strength, 1.0, peak
        self.floor = min(3 * noise, 0.5 * SMALL_EMPTY_LEVEL)
        self.mask = strength > self.floor + 0.1 * (peak - self.floor)
        self.weights = None
