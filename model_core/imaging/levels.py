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
from .rulings import ruled_lines

SMALL_SIDE = 160  # the illumination is estimated on the image downscaled to this long side
CLOSING = 0.16  # its closing removes dark marks narrower than this share of the long side
UNIFORM = 0.06  # light varying less than this (of its brightest) is taken as even
MASK_LEVEL = 0.12  # ink is what exceeds floor + this share of (peak - floor)
# A canvas's background is one colour: 98% of its border within this of its median (of full
# scale, 2 levels of 255). Paper, even scanned or photographed in good light, has grain.
FLAT_BORDER = 2 / 255
FLAT_SHARE = 0.98


def border_of(grey: np.ndarray) -> np.ndarray:
    """The image's outermost pixels, each once."""
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


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


def is_flat_drawing(grey: np.ndarray, scale: float) -> bool:
    """A drawing on a flat background (one colour, what a canvas or a script gives), as opposed
    to paper with its grain and light: nearly all its border at one level."""
    border = border_of(grey) / np.float32(scale)
    return float(np.mean(np.abs(border - np.median(border)) <= FLAT_BORDER)) >= FLAT_SHARE


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
