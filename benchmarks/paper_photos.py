"""A second maker of phone photos of digits on paper, written apart from the one the ink
finder is developed on (`model_core.data.synth.phone_photo`), so that a figure measured on its
photos says how the ink finder does on photos nobody tuned it against.

What differs from synth.phone_photo, on purpose:
- the digits are real NIST writers' (EMNIST's digits, its validation or test part), not MNIST's;
- the ink is the writer's own stroke, thresholded at a random level from the enlarged glyph
  and softened, not a pen redrawn to a width;
- the page: paper with blotchy low-frequency texture, vignetting (dark corners), a cast
  shadow with a polygonal edge (a hand or a phone) rather than a straight soft band, and a
  slight perspective warp of the whole photo;
- ruled lines placed so that one crosses the digit (or its top or bottom edge), with a red
  margin line sometimes; a phone's sharpening; EXIF orientations 3, 6 and 8.

Each photo has one *condition* held (its name, below), the rest drawn moderately:
    shadow    a cast shadow of 25–55% darkness whose edge runs near or across the digit,
              or dark corners (strong vignetting)
    ruling    ruled paper, a line through the digit, lines 1–4 px, darker than usual
    small     a 40–80 px digit on a 9–12 MP page
    contrast  pencil or faded ink darkening the paper by 20–40% (40–85% otherwise)
    exif      stored turned (orientation 3, 6 or 8), upright once the tag is applied
    plain     nothing held

    from paper_photos import paper_photo; data, info = paper_photo(glyph, rng, "ruling")
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

CONDITIONS = ("plain", "shadow", "ruling", "small", "contrast", "exif")
INKS = {"black": (0.15, 0.15, 0.17), "blue": (0.15, 0.2, 0.55), "pencil": (0.35, 0.35, 0.37)}
# Orientation tag → the transpose that stores the upright image turned (the tag turns it back).
STORED = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def _stroke(glyph: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """The writer's glyph enlarged to `height` px, cut at a random level: float alpha."""
    rows, cols = np.nonzero(glyph > 40)
    crop = glyph[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].astype(np.float32)
    scale = height / crop.shape[0]
    width = max(1, round(crop.shape[1] * scale))
    big = np.asarray(Image.fromarray(crop, "F").resize((width, height), Image.Resampling.BICUBIC))
    level = rng.uniform(70, 150)
    alpha = np.clip((big - level) / 40 + 0.5, 0, 1)
    return ndimage.gaussian_filter(alpha, max(0.4, height / 200))


def _texture(shape: tuple[int, int], rng: np.random.Generator, strength: float) -> np.ndarray:
    """Blotchy paper: smoothed noise at a few large scales, about ±`strength` levels."""
    h, w = shape
    out = np.zeros(shape, np.float32)
    for cells in (4, 9, 20):
        coarse = rng.normal(0, 1, (cells, max(2, cells * w // h))).astype(np.float32)
        out += np.asarray(Image.fromarray(coarse, "F").resize((w, h), Image.Resampling.BICUBIC)) / cells**0.5
    return out * strength


def _cast_shadow(
    shape: tuple[int, int], rng: np.random.Generator, near: tuple[float, float], depth: float
) -> np.ndarray:
    """A shadow with a polygonal edge passing near `near` (y, x): the light multiplier."""
    h, w = shape
    mask = Image.new("L", (w, h), 0)
    cy, cx = near
    angle = rng.uniform(0, 2 * np.pi)
    # A big polygon whose one edge passes within a fifth of the page of the point `near`.
    ox, oy = cx + np.cos(angle) * rng.uniform(-0.15, 0.15) * w, cy + np.sin(angle) * rng.uniform(-0.15, 0.15) * h
    along = np.array([-np.sin(angle), np.cos(angle)])
    away = np.array([np.cos(angle), np.sin(angle)])
    reach = 3 * max(h, w)
    bend = rng.uniform(-0.3, 0.3)
    corners = [
        (ox - along[0] * reach, oy - along[1] * reach),
        (ox + bend * away[0] * w * 0.3, oy + bend * away[1] * h * 0.3),
        (ox + along[0] * reach, oy + along[1] * reach),
        (ox + (along[0] + away[0]) * reach, oy + (along[1] + away[1]) * reach),
        (ox + (-along[0] + away[0]) * reach, oy + (-along[1] + away[1]) * reach),
    ]
    ImageDraw.Draw(mask).polygon(corners, fill=255)
    soft = rng.uniform(0.005, 0.04) * max(h, w)
    mask = mask.filter(ImageFilter.GaussianBlur(soft))
    return 1 - depth * np.asarray(mask, np.float32) / 255


def _vignette(shape: tuple[int, int], strength: float) -> np.ndarray:
    h, w = shape
    ys, xs = np.ogrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    return 1 - strength * np.clip((xs**2 + ys**2) / 2, 0, 1) ** 1.5


def _rulings(shape, rng, digit_box, heavy: bool) -> tuple[np.ndarray, bool]:
    """Ruled lines (and a red margin sometimes), one through the digit's box: their alpha, and
    whether a margin was drawn."""
    h, w = shape
    top, left, bottom, right = digit_box
    spacing = (bottom - top) * rng.uniform(0.6, 1.1)
    through = top + (bottom - top) * rng.uniform(-0.1, 1.1)
    thickness = rng.uniform(1, 4) if heavy else rng.uniform(1, 2.5)
    tilt = np.deg2rad(rng.uniform(-2, 2))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    v = ys - through - np.tan(tilt) * (xs - (left + right) / 2)
    distance = np.abs((v + spacing / 2) % spacing - spacing / 2)
    alpha = np.clip(thickness / 2 + 0.5 - distance, 0, 1) * rng.uniform(0.35, 0.7 if heavy else 0.45)
    return alpha, bool(rng.random() < 0.3)


def paper_photo(glyph: np.ndarray, rng: np.random.Generator, condition: str = "plain") -> tuple[bytes, dict]:
    """A phone JPEG of an EMNIST digit (28×28 uint8, white on black), or of a number written
    in such digits (any size), written on paper, with `condition` held; and what was drawn."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}")
    long_side = int(rng.integers(3900, 4450)) if condition == "small" else int(rng.integers(900, 2401))
    h, w = int(long_side * 3 / 4), long_side
    if rng.random() < 0.5:
        h, w = w, h
    small = condition == "small"
    digit_height = int(rng.integers(40, 81)) if small else int(rng.uniform(0.12, 0.4) * min(h, w))
    # A number (a wide glyph: numbers.compose's canvas) is written no wider than 80% of the
    # page; a digit, never so wide, is as it was.
    rows, cols = np.nonzero(glyph > 40)
    aspect = (cols.max() - cols.min() + 1) / (rows.max() - rows.min() + 1)
    digit_height = max(20, min(digit_height, int(0.8 * w / aspect)))
    alpha = _stroke(glyph, digit_height, rng)
    dh, dw = alpha.shape
    y0, x0 = (
        int(rng.integers(int(0.08 * h), max(int(0.08 * h) + 1, h - dh - int(0.08 * h)))),
        int(rng.integers(int(0.08 * w), max(int(0.08 * w) + 1, w - dw - int(0.08 * w)))),
    )
    ink_alpha = np.zeros((h, w), np.float32)
    ink_alpha[y0 : y0 + dh, x0 : x0 + dw] = alpha[: h - y0, : w - x0]

    paper = rng.uniform(170, 240)
    light = paper + _texture((h, w), rng, rng.uniform(2, 8))
    light = light * _vignette(
        (h, w), rng.uniform(0.35, 0.6) if condition == "shadow" and rng.random() < 0.3 else rng.uniform(0, 0.2)
    )
    shadowed = condition == "shadow" or rng.random() < 0.1
    if shadowed:
        light = light * _cast_shadow(
            (h, w),
            rng,
            (y0 + dh / 2, x0 + dw / 2),
            rng.uniform(0.25, 0.55) if condition == "shadow" else rng.uniform(0.1, 0.3),
        )
    rgb = light[..., None] * np.array([1.0, 0.985, 0.95], np.float32)

    ruled = condition == "ruling" or rng.random() < 0.15
    if ruled:
        lines, margin = _rulings((h, w), rng, (y0, x0, y0 + dh, x0 + dw), heavy=condition == "ruling")
        rgb = rgb * (1 - lines[..., None] * np.array([0.75, 0.45, 0.1], np.float32))
        if margin:
            mx = int(rng.uniform(0.05, 0.15) * w)
            rgb[:, mx : mx + max(1, w // 600)] *= np.array([0.6, 0.95, 0.95], np.float32)

    ink = list(INKS)[int(rng.integers(len(INKS)))]
    colour = np.array(INKS[ink], np.float32)
    # How much the ink darkens the paper where it is solid: 20–40% held, 40–85% otherwise.
    darkening = rng.uniform(0.2, 0.4) if condition == "contrast" else rng.uniform(0.4, 0.85)
    contrast = darkening / float(1 - colour.mean())
    rgb = rgb * (1 - contrast * ink_alpha[..., None] * (1 - colour))
    rgb = rgb + rng.normal(0, rng.uniform(1.5, 5), (h, w, 1)).astype(np.float32)

    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    # A slight perspective (the phone not quite square to the page), the photo taken inside
    # the page: the inner 90% of what was drawn.
    e = rng.uniform(-0.01, 0.01, 8)
    coeffs = (1 + e[0], e[1], (0.05 + e[2]) * w, e[3], 1 + e[4], (0.05 + e[5]) * h, e[6] / w, e[7] / h)
    fill = tuple(int(v) for v in np.median(rgb, axis=(0, 1)))
    image = image.transform(
        (int(w * 0.9), int(h * 0.9)), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=fill
    )
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    image = image.filter(ImageFilter.UnsharpMask(radius=2, percent=int(rng.integers(40, 120)), threshold=2))
    exif = Image.Exif()
    orientation = int(rng.choice([3, 6, 8])) if condition == "exif" else (6 if rng.random() < 0.05 else 1)
    if orientation != 1:
        image = image.transpose(STORED[orientation])
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(70, 95)), exif=exif.tobytes())
    return buffer.getvalue(), {
        "condition": condition,
        "size": f"{w}×{h}",
        "digit_px": digit_height,
        "ink": ink,
        "contrast": round(float(contrast), 2),
        "shadow": shadowed,
        "ruled": ruled,
        "orientation": orientation,
    }
