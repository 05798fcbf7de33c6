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

A *small image* (at most 64 px: a scanner's, a form's or a thumbnail's crop of one digit,
MNIST's own 28×28, either polarity) is neither: its background is its border's level, its
ink whatever stands out from that, and every piece of it but dust is the digit's.

Then the pieces of ink are grouped: the biggest compact piece, and every piece near it (a
5's separate top bar, a crossed 7, a broken stroke, two digits written side by side), make
the digit; specks, a page's edge or a shadow's border that lie apart are dropped.
"""

from __future__ import annotations

import numpy as np

from .backgrounds import SMALL_IMAGE, DrawingInk, PaperInk, SmallScanInk, is_flat_drawing, is_paper
from .decode import DEFAULT_LIMITS, Limits
from .pieces import crop_box, digit_box


def find_ink(grey: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Grey pixels (uint8 0-255 or float in [0, 1]) → the digit's crop as float32 ink in [0, 1]
    on a 0 background. EmptyImageError when no digit-sized ink stands out.

    A drawing is a drawing whatever its colours: dark strokes on a flat light canvas (one
    colour to its border, no paper's grain) are read as the same drawing inverted, so both
    polarities of a canvas give the same 28×28; only a page with grain or uneven light takes
    the photo's path."""
    ink, box = locate_ink(grey, limits)
    return ink.crop(box)


def locate_ink(
    grey: np.ndarray, limits: Limits = DEFAULT_LIMITS
) -> tuple[DrawingInk | PaperInk, tuple[int, int, int, int]]:
    """Where the digit is (see `find_ink`): the image's ink, and the digit's box in it."""
    scale = 255.0 if grey.dtype == np.uint8 else 1.0
    if max(grey.shape) <= SMALL_IMAGE:  # a crop of one digit, not a page: every stroke kept
        ink = SmallScanInk(grey, scale, limits)
        return ink, crop_box(ink.mask)
    if not is_paper(grey, scale):
        ink = DrawingInk(grey, scale, limits)
    elif is_flat_drawing(grey, scale):
        ink = DrawingInk(np.subtract(255 if scale == 255.0 else 1.0, grey, dtype=grey.dtype), scale, limits)
    else:
        ink = PaperInk(grey, scale, limits)
    box = digit_box(ink.mask, ink.weights, limits)
    fitted = ink.fitted(box) if isinstance(ink, PaperInk) else None
    if fitted is not None:  # the light again, followed as closely as the digit's strokes allow
        ink, box = fitted, digit_box(fitted.mask, fitted.weights, limits)
    return ink, box
