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
from scipy import ndimage

CANVAS = 280  # the app's drawing pad, in pixels: every canvas made here is this big
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
    elif variant == "dark_on_light_png":  # black ink on a white canvas, as many scripts send it
        Image.fromarray(255 - grey, "L").save(buffer, "PNG")
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
    crop = ink_crop(digit)
    return _redraw(crop, rng.uniform(0.35, 0.90) * CANVAS, rng, variant)


def draw_character(glyph: np.ndarray, rng: np.random.Generator, dark_on_light: float = 0.2) -> bytes:
    """An EMNIST character (28×28 uint8) as the app's canvas draws it: cropped to its ink,
    scaled 5–9× (at most 250 px), anywhere on the 280×280 canvas; dark on light with
    probability `dark_on_light`."""
    crop = ink_crop(glyph)
    target = min(250.0, rng.uniform(5, 9) * max(crop.shape))
    variant = "dark_on_light_png" if rng.random() < dark_on_light else "canvas_png"
    return _redraw(crop, target, rng, variant)


def ink_crop(glyph: np.ndarray) -> np.ndarray:
    """A 28×28 glyph (white on black) cropped to its ink (above 30 of 255)."""
    rows, cols = np.nonzero(glyph > 30)
    return glyph[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def _redraw(crop: np.ndarray, target: float, rng: np.random.Generator, variant: str) -> bytes:
    """A glyph's ink crop drawn with a 15–25 px brush, its longer side `target` px, anywhere
    on the canvas."""
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


# --- Phone photos of paper ------------------------------------------------------------------

PHOTO_INKS = ("black", "blue", "grey")
# How each colour channel darkens under an ink, scaled so the luminance darkens by the ink's
# contrast: black and pencil grey evenly, blue pen mostly in red and green.
_INK_CHANNELS = {"black": (1.0, 1.0, 1.0), "blue": (0.9, 0.7, 0.15), "grey": (1.0, 1.0, 1.0)}
_LUMA = np.array([0.299, 0.587, 0.114])


def _pen_strokes(digit: np.ndarray, height: int, pen: float) -> np.ndarray:
    """An MNIST digit redrawn `height` pixels tall with a pen about `pen` pixels wide: float
    alpha. The width comes from where the smoothly enlarged digit is cut (a higher level gives
    thinner strokes that stay joined, as eroding would not); a pen wider than the thickest
    cut is grown with a max filter."""
    rows, cols = np.nonzero(digit > 30)
    crop = digit[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = height / crop.shape[0]
    size = (max(1, round(crop.shape[1] * scale)), max(1, height))
    smooth = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC))
    shape = smooth > 60
    pieces = ndimage.label(shape)[1]
    for level in (100, 140, 180, 210):
        if _stroke_width(shape) <= pen:
            break
        thinner = smooth > level
        if thinner.sum() < 0.5 * shape.sum() or ndimage.label(thinner)[1] > pieces:
            break  # a pen does not break a stroke in two
        shape = thinner
    image = Image.fromarray((shape * 255).astype(np.uint8))
    grow = 2 * int(round((pen - _stroke_width(shape)) / 2)) + 1
    if grow > 1:
        image = image.filter(ImageFilter.MaxFilter(grow))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(0.6)), np.float32) / 255.0


def phone_photo(
    digit: np.ndarray | None, rng: np.random.Generator, long_side: int | None = None, **fixed
) -> tuple[bytes, dict]:
    """A phone-style JPEG of `digit` (MNIST 28×28 uint8; None: a blank page) on paper, and the conditions
    it was made with. Every condition is drawn at random unless given in `fixed` (see
    `photo_conditions`). The photo is made in the order a camera sees it: the page's light,
    the lines printed on it, the digit written on it, the two inks and the grain, then blur,
    JPEG and the EXIF orientation."""
    c = photo_conditions(rng, long_side, fixed)
    width, height = c["long_side"], int(c["long_side"] * 3 / 4)
    if c["portrait"]:
        width, height = height, width
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = _page_light(c, rng, ys, xs)
    lines = _printed_lines(c, rng, ys, xs)
    drawn = _written_digit(digit, c, rng, height, width)
    rgb = _inked_page(c, rng, light, lines, drawn)
    return _phone_jpeg(rgb, c), c


def photo_of_writing(writing: np.ndarray, printed: np.ndarray, rng: np.random.Generator, **fixed) -> tuple[bytes, dict]:
    """A phone-style JPEG of a piece of paper with `writing` on it (its ink's alpha, [0, 1]) over
    `printed` (what the paper carries, as its ink's alpha: rulings, patterns, words), by this
    maker's light, inks, grain, blur and JPEG (`photo_conditions`, without its own printed lines
    or rotation: the caller's paper has both), and the conditions."""
    c = photo_conditions(rng, max(writing.shape), {"lines": "none", "rotation": 0.0, **fixed})
    ys, xs = np.mgrid[0 : writing.shape[0], 0 : writing.shape[1]].astype(np.float32)
    drawn = writing.astype(np.float32)
    if c["ink"] == "grey":
        drawn = drawn * np.clip(rng.uniform(0.55, 1.0, drawn.shape), 0, 1).astype(np.float32)
    rgb = _inked_page(c, rng, _page_light(c, rng, ys, xs), printed.astype(np.float32), drawn)
    return _phone_jpeg(rgb, c), c


def photo_conditions(rng: np.random.Generator, long_side: int | None, fixed: dict) -> dict:
    """Page 640×480 to 1600×1200 (either way up), paper 185–245 grey under a linear light
    gradient of up to 70 levels in any direction, a soft shadow in a third, grain, ink black,
    blue or grey pencil at 40–90% contrast, the digit 15–50% of the short side, ±10° rotation,
    ruled or squared lines in a quarter, blur σ 0.3–1.5, JPEG quality 60–92, a tenth stored
    sideways with an EXIF Orientation tag; `fixed` overrides any of them."""
    c = {
        "long_side": long_side or int(rng.integers(640, 1601)),
        "portrait": bool(rng.random() < 0.5),
        "paper": float(rng.uniform(185, 245)),
        "gradient": float(rng.uniform(0, 70)),
        "gradient_angle": float(rng.uniform(0, 2 * np.pi)),
        "shadow": float(rng.uniform(0.15, 0.35)) if rng.random() < 1 / 3 else 0.0,
        "grain": float(rng.uniform(2, 6)),
        "ink": PHOTO_INKS[int(rng.integers(len(PHOTO_INKS)))],
        "contrast": float(rng.uniform(0.4, 0.9)),
        "digit_share": float(rng.uniform(0.15, 0.5)),
        "pen_share": float(rng.uniform(0.04, 0.12)),
        "rotation": float(rng.uniform(-10, 10)),
        "lines": ("ruled", "squared")[int(rng.random() < 1 / 3)] if rng.random() < 0.25 else "none",
        "blur": float(rng.uniform(0.3, 1.5)),
        "quality": int(rng.integers(60, 93)),
        "sideways": bool(rng.random() < 0.1),
    }
    c.update(fixed)
    return c


def _page_light(c: dict, rng: np.random.Generator, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The paper's grey under a linear gradient along a random direction, and a soft shadow."""
    height, width = ys.shape
    along = xs * np.cos(c["gradient_angle"]) + ys * np.sin(c["gradient_angle"])
    along = (along - along.min()) / max(1.0, float(np.ptp(along)))
    light = c["paper"] - c["gradient"] * along
    if c["shadow"]:
        angle, offset = rng.uniform(0, 2 * np.pi), rng.uniform(0.2, 0.8)
        side = (xs / width - 0.5) * np.cos(angle) + (ys / height - 0.5) * np.sin(angle) - (offset - 0.5)
        softness = rng.uniform(0.03, 0.1)
        light = light * (1 - c["shadow"] / (1 + np.exp(-side / softness)))
    return light


def _printed_lines(c: dict, rng: np.random.Generator, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Ruled or squared paper's lines, tilted with the page, as the alpha of their ink."""
    lines = np.zeros(ys.shape, np.float32)
    if c["lines"] == "none":
        return lines
    short = min(ys.shape)
    theta = np.deg2rad(c["rotation"])
    spacing = rng.uniform(0.05, 0.09) * short
    thickness = max(1.0, short / 700)
    phase = rng.uniform(0, spacing)
    for across in [0.0] if c["lines"] == "ruled" else [0.0, np.pi / 2]:
        v = ys * np.cos(theta + across) - xs * np.sin(theta + across) - phase
        distance = np.abs((v + spacing / 2) % spacing - spacing / 2)
        lines = np.maximum(lines, np.clip(thickness / 2 + 0.5 - distance, 0, 1))
    return lines * rng.uniform(0.12, 0.3)


def _written_digit(digit: np.ndarray | None, c: dict, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """The digit's pen strokes, turned with the page, somewhere on it, as the alpha of its ink
    (a pencil's grainy)."""
    drawn = np.zeros((height, width), np.float32)
    if digit is not None:
        digit_height = max(12, int(c["digit_share"] * min(height, width)))
        strokes = _pen_strokes(digit, digit_height, max(2.0, c["pen_share"] * digit_height))
        strokes = Image.fromarray(strokes, "F").rotate(c["rotation"], Image.Resampling.BILINEAR, expand=True)
        strokes = np.asarray(strokes)
        h, w = min(strokes.shape[0], height), min(strokes.shape[1], width)
        y = int(rng.integers(0, height - h + 1))
        x = int(rng.integers(0, width - w + 1))
        drawn[y : y + h, x : x + w] = strokes[:h, :w]
    if c["ink"] == "grey":
        drawn *= np.clip(rng.uniform(0.55, 1.0, drawn.shape), 0, 1).astype(np.float32)
    return drawn


def _inked_page(
    c: dict, rng: np.random.Generator, light: np.ndarray, lines: np.ndarray, drawn: np.ndarray
) -> np.ndarray:
    """Warm paper under its light, the lines' blue and the digit's ink taken out of it, grain."""
    channels = np.array(_INK_CHANNELS[c["ink"]]) / (_LUMA @ np.array(_INK_CHANNELS[c["ink"]]))
    tint = np.array([1.0, 0.99, 0.96])  # paper is a little warm
    rgb = light[..., None] * tint * (1 - lines[..., None] * np.array([0.8, 0.9, 0.4]))
    rgb = rgb * np.clip(1 - c["contrast"] * drawn[..., None] * channels, 0, 1)
    return rgb + rng.normal(0, c["grain"], (*light.shape, 1)) + rng.normal(0, c["grain"] / 3, rgb.shape)


def _phone_jpeg(rgb: np.ndarray, c: dict) -> bytes:
    """Blurred as a phone's lens does, a JPEG of the given quality, a tenth stored sideways."""
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    image = image.filter(ImageFilter.GaussianBlur(c["blur"]))
    exif = Image.Exif()
    if c["sideways"]:  # stored turned, with the tag that turns it upright for display
        image = image.transpose(Image.Transpose.ROTATE_90)  # anticlockwise; tag 6 turns it back
        exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=c["quality"], exif=exif.tobytes())
    return buffer.getvalue()


# --- Small scans ------------------------------------------------------------------------------

SCAN_SIZES = (12, 16, 20, 28, 40)  # the long side of a small scan, in pixels


def small_scan(glyph: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A 28×28 glyph (white on black) as a small scan of a handwritten digit: dark ink on light
    paper, `size` pixels on its long side (a form's crop, a thumbnail, USPS's 16×16 digits):
    the digit filling 70-100% of it, reduced with anti-aliasing or without (nearest
    neighbour), a third binarised at a threshold of 0.3-0.7, paper 190-250 grey and ink 0-90,
    and a little scanner noise on the grey ones. uint8 (size, size); 255 minus it is the same
    scan light on dark."""
    crop = ink_crop(glyph).astype(np.float32) / 255.0
    span = max(2, round(size * rng.uniform(0.7, 1.0)))
    scale = span / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    resample = Image.Resampling.BOX if rng.random() < 0.5 else Image.Resampling.NEAREST
    small = np.asarray(Image.fromarray(crop).resize((width, height), resample), np.float32)
    binary = rng.random() < 1 / 3
    if binary:
        small = (small >= rng.uniform(0.3, 0.7)).astype(np.float32)
    ink = np.zeros((size, size), np.float32)
    top = min(size - height, max(0, (size - height) // 2 + int(rng.integers(-1, 2))))
    left = min(size - width, max(0, (size - width) // 2 + int(rng.integers(-1, 2))))
    ink[top : top + height, left : left + width] = np.clip(small, 0, 1)
    paper, pen = rng.uniform(190, 250), rng.uniform(0, 90)
    grey = paper - ink * (paper - pen)
    if not binary:
        grey += rng.normal(0, rng.uniform(0, 5), grey.shape)
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)
