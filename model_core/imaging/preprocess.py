"""From a drawing or a photo to what the network was trained on: MNIST's recipe.

MNIST was made by a precise recipe: crop to the ink, fit the longer side into 20×20 keeping
the aspect ratio (anti-aliased), then place it in a 28×28 field with its centre of mass at
the centre. Shrinking a whole canvas instead, or sending dark ink on white, is why canvas
recognizers that score 98% on MNIST get a fifth of real drawings right. This module
reproduces the recipe for any input:

    bytes | data URL | base64 | PIL image | array
      → grey pixels under limits (decode.py: a photo decoded at reduced size, EXIF
        orientation, transparency flattened)
      → where the ink is (ink.py): a drawing's background is read off its border; a photo
        of paper has its illumination flattened first, ruled lines taken out, and the
        pieces of ink that lie together kept, specks and page edges dropped
      → crop to that ink → fit 20×20 → centre of mass at (14, 14) → float32 (28, 28) in [0, 1]

EMNIST's characters were made by another recipe (`place_emnist`): the crop centred in a
square frame keeping its aspect ratio, a thin border, reduced with bicubic interpolation,
softened. A model says which recipe its networks learnt (`Model.recipe`); `RECIPES` maps
the name to the placement.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image
from scipy import ndimage

from .decode import (
    DEFAULT_LIMITS,
    EmptyImageError,
    Limits,
    decode_base64,
    decode_bytes,
    grey_pixels,
    load_pixels,
)
from .ink import find_ink, locate_ink
from .sampling import SIZE, bilinear_sample

BOX = 20  # MNIST fits the ink's longer side into 20 of the 28 pixels


def place(crop: np.ndarray) -> np.ndarray:
    """Ink cropped to its bounding box → 28×28 with the longer side 20 px, centre of mass at (14, 14)."""
    height, width = crop.shape
    scale = BOX / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    # Area averaging when shrinking is the anti-aliasing MNIST had; bilinear when growing.
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize((new_w, new_h), resample))
    small = np.clip(small, 0.0, None)
    total = float(small.sum())
    if total <= 0:
        raise EmptyImageError("nothing drawn: the image is blank")
    com_y = float(small.sum(axis=1) @ np.arange(new_h)) / total
    com_x = float(small.sum(axis=0) @ np.arange(new_w)) / total
    # Place the patch so its centre of mass lands on pixel (14, 14), where MNIST's sits
    # (measured: 13.99 ± 0.29, 14.01 ± 0.29 over the test set), staying inside the field.
    y0 = int(np.clip(round(SIZE / 2 - com_y), 0, SIZE - new_h))
    x0 = int(np.clip(round(SIZE / 2 - com_x), 0, SIZE - new_w))
    out = np.zeros((SIZE, SIZE), np.float32)
    out[y0 : y0 + new_h, x0 : x0 + new_w] = small
    return out / max(float(out.max()), 1e-6)  # MNIST strokes peak at full intensity


# EMNIST's recipe, as measured on its data: its glyphs' ink spans 24–26 of the 28 pixels
# once the blur has spread the edges, strokes softened by the σ = 1 blur it applied at scan
# resolution. Both numbers chosen on validation glyphs drawn as the app draws them, as the
# pair whose 28×28 comes closest to the glyph's own (benchmarks/characters.py --recipes).
EMNIST_BORDER = 3.0  # pixels of the 28 left empty on each side of the crop's longer side
EMNIST_BLUR = 0.75  # σ in pixels of the 28×28 result


def place_emnist(crop: np.ndarray, border: float = EMNIST_BORDER, blur: float = EMNIST_BLUR) -> np.ndarray:
    """Ink cropped to its bounding box → 28×28 as EMNIST made its characters: centred in a
    square frame (the longer side `SIZE - 2·border` pixels), bicubic reduction, a Gaussian
    blur of σ = `blur`, the peak stretched to 1."""
    height, width = crop.shape
    inner = SIZE - 2 * border
    scale = inner / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    small = np.asarray(
        Image.fromarray(crop.astype(np.float32), mode="F").resize((new_w, new_h), Image.Resampling.BICUBIC)
    )
    out = np.zeros((SIZE, SIZE), np.float32)
    y0, x0 = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    out[y0 : y0 + new_h, x0 : x0 + new_w] = np.clip(small, 0.0, None)
    if blur > 0:
        out = ndimage.gaussian_filter(out, blur, mode="constant")
    peak = float(out.max())
    if peak <= 0:
        raise EmptyImageError("nothing drawn: the image is blank")
    return np.clip(out / peak, 0.0, 1.0)


RECIPES = {"mnist": place, "emnist": place_emnist}


def preprocess(source: object, limits: Limits = DEFAULT_LIMITS, recipe: str = "mnist") -> np.ndarray:
    """Anything accepted → float32 (28, 28) in [0, 1], white ink on black, by the named
    recipe (MNIST's unless told otherwise).

    Raises EmptyImageError when nothing is drawn, ImageTooLargeError, UnsupportedImageError,
    DecoderBusyError or ImageDecodeError otherwise (all PreprocessError).
    """
    return RECIPES[recipe](find_digit(source, limits))


# A photo decoded at reduced size is searched coarse to fine: a digit spanning fewer than
# FINE_BELOW of the reduced image's pixels is looked at again, decoded just fine enough for
# it to span FINE_SPAN pixels. A digit must span MIN_DIGIT_PX of the photo's own pixels (a
# 40-pixel digit on a 12 MP page is kept) or `Limits.min_extent` of it, whichever is less.
FINE_BELOW, FINE_SPAN, MIN_DIGIT_PX = 48, 96, 32
REGION_MARGIN = 1.0  # the region looked at again: the digit's box and this many of its sizes around it


def find_digit(source: object, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """The digit's crop as ink in [0, 1] (see ink.find_ink), for any accepted input (`located`)."""
    return located(source, limits)[0]


def located(source: object, limits: Limits = DEFAULT_LIMITS) -> tuple[np.ndarray, np.ndarray]:
    """The digit's crop as ink in [0, 1] (see ink.find_ink), and the grey pixels it was found in
    (what `decode.load_pixels` gives for the source: a reader of the same picture needs no
    second decode). An encoded photo decoded at reduced size (a 12 MP JPEG at a quarter) is
    searched coarse to fine: the digit is found on the reduced page, and when it is small there
    it is decoded again at a finer scale and found in its neighbourhood, so a small digit on a
    big page keeps its strokes without the whole page ever being worked on at full size."""
    if isinstance(source, str):
        source = decode_base64(source, limits)
    if not isinstance(source, bytes | bytearray | memoryview):
        grey = load_pixels(source, limits)
        return find_ink(grey, limits), grey
    data = bytes(source)
    image = decode_bytes(data, limits)
    grey = grey_pixels(image)
    reduced = max(image.info["source_size"]) / max(grey.shape)
    if reduced < 1.5:
        return find_ink(grey, limits), grey
    smallest = min(limits.min_extent, MIN_DIGIT_PX / max(image.info["source_size"]))
    ink, box = locate_ink(grey, dataclasses.replace(limits, min_extent=smallest))
    top, left, bottom, right = box
    span = max(bottom - top, right - left)
    if span >= FINE_BELOW:
        return ink.crop(box), grey
    reduction = max(1, min(8, int(span * reduced / FINE_SPAN)))
    reduction = max(r for r in (1, 2, 4, 8) if r <= reduction)
    finer = grey_pixels(decode_bytes(data, limits, reduction=reduction))
    zoom = finer.shape[0] / grey.shape[0], finer.shape[1] / grey.shape[1]
    margin = REGION_MARGIN * span
    region = finer[
        max(0, int((top - margin) * zoom[0])) : int((bottom + margin) * zoom[0]) + 1,
        max(0, int((left - margin) * zoom[1])) : int((right + margin) * zoom[1]) + 1,
    ]
    return find_ink(region, limits), grey


def deskew(images: np.ndarray) -> np.ndarray:
    """Shear each (28, 28) image so its ink's x–y covariance vanishes (its slant stands
    upright) and move its centre of mass to the centre; bilinear sampling. (N, 28, 28) or
    (28, 28) float in [0, 1] in, same shape float32 out.

    Models trained on deskewed digits say so in their card (`input.deskew`) and deskew
    their inputs themselves, so callers never need to.
    """
    x = np.asarray(images, np.float32)
    single = x.ndim == 2
    x = x.reshape(-1, SIZE, SIZE)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    mass = x.sum(axis=(1, 2)) + 1e-6
    cy = np.einsum("nij,ij->n", x, ys) / mass
    cx = np.einsum("nij,ij->n", x, xs) / mass
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]
    alpha = (x * dx * dy).sum(axis=(1, 2)) / ((x * dy * dy).sum(axis=(1, 2)) + 1e-6)
    centre = SIZE / 2
    # Output pixel (oy, ox) samples the input at (oy + cy - c, ox + cx - c + alpha·(oy - c)).
    src_y = ys[None] + (cy - centre)[:, None, None]
    src_x = xs[None] + (cx - centre)[:, None, None] + alpha[:, None, None] * (ys[None] - centre)
    out = bilinear_sample(x, src_y, src_x)
    return out[0] if single else out
