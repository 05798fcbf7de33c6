"""Handwritten numbers composed of real writers' digits, for measuring a reader (and for
training one): each digit a glyph of MNIST's or EMNIST's (28×28, white on black), written
left to right on one line the way people write numbers. The composition, fixed before any
reading was measured (docs/measurements.md, "Reading numbers"):

- length: 2 to 8 digits, each length equally likely;
- height: the line's digits 60-140 px tall, each scaled from its own ink by 0.85-1.1 of that
  (people do not write every digit the same size), its baseline moved up to ±5% of the height;
- slant: one shear for the whole number, -0.25 to 0.25 (writers lean one way);
- stroke width: the glyphs' own strokes, scaled, then thickened by 0, 1 or 2 px (a pen's);
- spacing: each gap drawn on its own: a third of them touching or overlapping (-15% to 0% of
  the height), the rest apart (3% to 50% of the height);
- the canvas: the number anywhere on a page 1.2-2× its size, white on black; the one in five
  dark on light (a canvas the other way round, or a scan) is made by the caller from the
  returned flag.

`compose(glyphs, rng)` returns the canvas, each digit's box and whether any pair touches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from .synth import ink_crop

LENGTHS = range(2, 9)
TOUCHING_SHARE = 1 / 3
DARK_ON_LIGHT_SHARE = 0.2


@dataclass
class Written:
    """A line of handwriting composed on its canvas: a number (here) or words (data.words)."""

    canvas: np.ndarray  # uint8, white ink on black
    boxes: list[tuple[int, int, int, int]]  # each digit's x, y, width, height
    touching: bool  # some pair touches or overlaps
    dark_on_light: bool  # the caller should invert the canvas


def compose(glyphs: list[np.ndarray], rng: np.random.Generator, scale: float = 1.0) -> Written:
    """The glyphs written as one number, by the composition above; `scale` < 1 draws it smaller
    (training data for a reader that shrinks every line to a few dozen pixels anyway)."""
    height = rng.uniform(60, 140) * scale
    slant = rng.uniform(-0.25, 0.25)
    thicken = int(rng.integers(0, 3))
    parts = []
    for glyph in glyphs:
        scaled = written_glyph(glyph, height * rng.uniform(0.85, 1.1), thicken)
        parts.append((scaled, rng.uniform(-0.05, 0.05) * height))
    gaps = []
    for _ in parts[1:]:
        touching = rng.random() < TOUCHING_SHARE
        gaps.append(rng.uniform(-0.15, 0.0) * height if touching else rng.uniform(0.03, 0.5) * height)
    return write_line(parts, gaps, height, slant, rng)


def written_glyph(glyph: np.ndarray, height: float, thicken: int, max_width: int | None = None) -> np.ndarray:
    """A 28×28 glyph's ink (white on black) scaled to `height` px (its width in proportion, at
    most `max_width`), in [0, 1], its strokes thickened by `thicken` px as a pen's."""
    ink = ink_crop(glyph).astype(np.float32) / 255.0
    width = max(2, round(ink.shape[1] * height / ink.shape[0]))
    if max_width is not None:
        width = min(max_width, width)
    scaled = np.asarray(Image.fromarray(ink).resize((width, max(2, round(height))), Image.Resampling.BILINEAR))
    if thicken:
        scaled = ndimage.grey_dilation(scaled, size=(thicken + 1, thicken + 1))
    return scaled


def write_line(
    parts: list[tuple[np.ndarray, float]],
    gaps: list[float],
    height: float,
    slant: float,
    rng: np.random.Generator,
    below: float = 0.0,
) -> Written:
    """Scaled glyphs (ink in [0, 1], each with its bottom's shift below the baseline) written
    left to right on one baseline with these gaps (negative: overlapping), sheared by `slant`,
    on a page with a margin (and `below` heights more under the line, for descenders): the
    Written line, its boxes moved with the shear."""
    width = sum(p.shape[1] for p, _ in parts) + sum(gaps) + abs(slant) * height * 1.2
    margin = rng.uniform(0.1, 0.5)
    page_w, page_h = int(width * (1 + 2 * margin)) + 4, int(height * 1.2 * (1 + 2 * margin)) + 4
    base = int(page_h / 2 + height * 0.55)
    page_h += int(below * height)
    canvas = np.zeros((page_h, page_w), np.float32)
    x = int(width * margin) + abs(slant) * height * 0.6
    boxes = []
    for k, (part, shift) in enumerate(parts):
        h, w = part.shape
        top = int(base - h + shift)
        left = int(round(x))
        region = canvas[top : top + h, left : left + w]
        np.maximum(region, part[: region.shape[0], : region.shape[1]], out=region)
        boxes.append((left, top, w, h))
        x += w + (gaps[k] if k < len(gaps) else 0)
    if slant:
        # A point (y, x) moves to x - slant·(base - y): upright strokes lean, the baseline stays.
        canvas = ndimage.affine_transform(canvas, [[1, 0], [-slant, 1]], offset=[0, slant * base], order=1)
        moved = []
        for bx, by, bw, bh in boxes:
            xs = [x0 - slant * (base - y0) for x0 in (bx, bx + bw) for y0 in (by, by + bh)]
            moved.append((int(min(xs)), by, int(max(xs) - min(xs)), bh))
        boxes = moved
    return Written(
        canvas=np.clip(canvas * 255, 0, 255).astype(np.uint8),
        boxes=boxes,
        touching=any(g <= 0 for g in gaps),
        dark_on_light=bool(rng.random() < DARK_ON_LIGHT_SHARE),
    )


def numbers(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> list[tuple[str, Written]]:
    """`count` numbers composed of these digit glyphs (labels 0-9), with their text."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        length = int(rng.choice(list(LENGTHS)))
        picks = rng.integers(0, len(images), length)
        out.append(("".join(str(int(labels[i])) for i in picks), compose([images[i] for i in picks], rng)))
    return out
