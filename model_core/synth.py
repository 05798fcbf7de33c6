"""Synthetic "real-world" digits for measuring robustness (never for training).

- `redraw_mnist`: an MNIST test digit redrawn the way a 280×280 browser canvas draws it:
  35–90% of the canvas, anywhere on it, strokes re-thickened to a 15–25 px brush,
  then encoded as a given variant (white-on-black PNG, dark-on-white JPEG, transparent PNG).
- `render_font_digit`: a digit typeset in a font at a random size, place, slant and weight.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

CANVAS = 280
VARIANTS = ("canvas_png", "dark_on_white_jpeg", "transparent_png")
# Stroke fonts only: femkeklaver (outlined, hollow glyphs) is left out because nobody draws
# a digit as its outline; with it, the font subset would measure something else.
FONT_GLOBS = (
    "truetype/fifthhorseman/dkg*.ttf",
    "truetype/breip/*.ttf",
    "truetype/humor-sans/*.ttf",
    "opentype/bwht/*.otf",
    "opentype/comic-neue/*.otf",
    "opentype/dancingscript/*.otf",
    "opentype/kaushanscript/*.otf",
    "truetype/dejavu/DejaVuSans.ttf",
    "truetype/dejavu/DejaVuSans-Bold.ttf",
)


def handwriting_fonts(root: str | Path = "/usr/share/fonts") -> list[Path]:
    """The Debian-packaged fonts we render digits with (whichever are installed)."""
    return sorted({p for pattern in FONT_GLOBS for p in Path(root).glob(pattern)})


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary shape ≈ 2·area / perimeter."""
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    perimeter = mask[1:-1, 1:-1].sum() - inner.sum()
    return 2.0 * mask.sum() / max(1, perimeter)


def _encode(ink: np.ndarray, variant: str, rng: np.random.Generator) -> bytes:
    """Ink (H, W) in [0, 1] → encoded bytes of the requested variant."""
    grey = np.rint(ink * 255).astype(np.uint8)
    buffer = io.BytesIO()
    if variant == "canvas_png":
        Image.fromarray(grey, "L").save(buffer, "PNG")
    elif variant == "dark_on_white_jpeg":
        paper = rng.uniform(215, 250)
        pen = rng.uniform(10, 60)
        tone = paper - (paper - pen) * ink + rng.normal(0, 3, ink.shape)  # paper grain
        Image.fromarray(np.clip(tone, 0, 255).astype(np.uint8), "L").convert("RGB").save(buffer, "JPEG", quality=75)
    elif variant == "transparent_png":
        colour = 255 if rng.random() < 0.5 else 0  # white or black ink on a clear canvas
        rgba = np.zeros((*ink.shape, 4), np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = grey
        Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    else:
        raise ValueError(f"unknown variant {variant!r}")
    return buffer.getvalue()


def redraw_mnist(digit: np.ndarray, rng: np.random.Generator, variant: str = "canvas_png") -> bytes:
    """An MNIST digit (28×28 uint8) as a user would draw it on a 280×280 canvas."""
    rows, cols = np.nonzero(digit > 30)
    crop = digit[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    target = rng.uniform(0.35, 0.90) * CANVAS
    scale = target / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    big = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC)) > 100
    brush = rng.uniform(15, 25)
    # Grow or shrink the strokes by a square max/min filter until they are brush-wide.
    change = brush - _stroke_width(big)
    image = Image.fromarray((big * 255).astype(np.uint8))
    kernel = 2 * int(round(abs(change) / 2)) + 1
    if kernel > 1:
        image = image.filter(ImageFilter.MaxFilter(kernel) if change > 0 else ImageFilter.MinFilter(min(kernel, 5)))
    image = image.filter(ImageFilter.GaussianBlur(1.0))  # a canvas anti-aliases its strokes
    shape = np.asarray(image, np.float32) / 255.0
    h, w = shape.shape
    h, w = min(h, CANVAS), min(w, CANVAS)
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    y, x = rng.integers(0, CANVAS - h + 1), rng.integers(0, CANVAS - w + 1)
    canvas[y : y + h, x : x + w] = shape[:h, :w]
    return _encode(canvas, variant, rng)


def render_font_digit(digit: str, font_path: str | Path, rng: np.random.Generator) -> bytes:
    """A digit in a font: random size (35–90% of the canvas), place, slant and weight."""
    height = rng.uniform(0.35, 0.90) * CANVAS
    font = ImageFont.truetype(str(font_path), size=int(height * 1.25))
    weight = int(rng.integers(0, max(1, int(height / 25))))
    left, top, right, bottom = font.getbbox(digit, stroke_width=weight)
    glyph = Image.new("L", (right - left + 20, bottom - top + 20), 0)
    ImageDraw.Draw(glyph).text((10 - left, 10 - top), digit, font=font, fill=255, stroke_width=weight, stroke_fill=255)
    slant = rng.uniform(-0.25, 0.25)
    w, h = glyph.size
    glyph = glyph.transform(
        (w + int(abs(slant) * h), h),
        Image.Transform.AFFINE,
        (1, slant, -abs(slant) * h if slant > 0 else 0, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    box = glyph.getbbox() or (0, 0, 1, 1)
    glyph = glyph.crop(box)
    scale = min(1.0, height / glyph.height, (CANVAS - 4) / glyph.width)
    if scale < 1.0:
        glyph = glyph.resize(
            (max(1, int(glyph.width * scale)), max(1, int(glyph.height * scale))), Image.Resampling.BOX
        )
    canvas = Image.new("L", (CANVAS, CANVAS), 0)
    x = int(rng.integers(0, CANVAS - glyph.width + 1))
    y = int(rng.integers(0, CANVAS - glyph.height + 1))
    canvas.paste(glyph, (x, y))
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    return buffer.getvalue()
