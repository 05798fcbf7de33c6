"""From what users send (a canvas, a photo, raw pixels) to what the network was trained on.

MNIST was made by a precise recipe: crop to the ink, fit the longer side into 20×20 keeping
the aspect ratio (anti-aliased), then place it in a 28×28 field with its centre of mass at
the centre. Shrinking a whole canvas instead, or sending dark ink on white, is why canvas
recognizers that score 98% on MNIST get a fifth of real drawings right. This module
reproduces the recipe for any input:

    bytes | data URL | base64 | PIL image | array
      → decode under limits (size and pixel count checked before decoding; EXIF orientation;
        transparency flattened; grey)
      → polarity (dark ink on a light background is inverted) and background clean-up
      → crop to the ink → fit 20×20 → centre of mass at (14, 14) → float32 (28, 28) in [0, 1]
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .augment import bilinear_sample

SIZE, BOX = 28, 20
LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, the weights of Pillow's "L" mode too
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")


class PreprocessError(ValueError):
    """The input cannot become a digit image. `code` says why, for the API to map."""

    code = "invalid_image"


class ImageDecodeError(PreprocessError):
    code = "invalid_image"


class UnsupportedImageError(PreprocessError):
    code = "unsupported_image_type"


class ImageTooLargeError(PreprocessError):
    code = "image_too_large"


class EmptyImageError(PreprocessError):
    """Nothing drawn: a blank canvas, or no ink distinguishable from the background."""

    code = "empty_image"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 25_000_000  # e.g. a 5000×5000 photo; bigger is refused before decoding
    min_contrast: float = 0.15  # ink must differ from the background by this much (of 0..1)
    min_extent: float = 0.06  # ink spanning less than this share of the image is a stray mark


DEFAULT_LIMITS = Limits()


def base64_limit(max_bytes: int) -> int:
    """The one size rule for base64 text: at most the characters that encode `max_bytes`
    bytes (4 per 3, padded), counted after any data-URL header, whitespace included."""
    return 4 * -(-max_bytes // 3)


def base64_too_long(text: str, max_bytes: int) -> bool:
    header = text.find(",", 0, 256) + 1 if text[:5].lower() == "data:" else 0
    return len(text) - header > base64_limit(max_bytes)


def decode_base64(text: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """A data URL (`data:image/png;base64,...`) or bare base64 → bytes."""
    text = text.strip()
    if base64_too_long(text, limits.max_bytes):
        raise ImageTooLargeError(f"image exceeds {limits.max_bytes} bytes")
    if text[:5].lower() == "data:":
        header, comma, text = text.partition(",")
        if not comma or not header.lower().endswith(";base64"):
            raise ImageDecodeError("data URL must be base64-encoded (data:image/...;base64,...)")
    try:
        return base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageDecodeError("image is not valid base64") from exc


def looks_supported(data: bytes) -> bool:
    """Whether the bytes start like one of the accepted formats (so a failure is corruption)."""
    return data.startswith((b"\x89PNG", b"\xff\xd8", b"GIF87a", b"GIF89a", b"BM")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def decode_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Image.Image:
    """Encoded bytes → an upright PIL image, refusing bombs before any pixel is decoded."""
    if len(data) > limits.max_bytes:
        raise ImageTooLargeError(f"image is {len(data)} bytes; the limit is {limits.max_bytes}")
    if not data:
        raise EmptyImageError("the image is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError as exc:
        if looks_supported(data):
            raise ImageDecodeError("image data is corrupt: its header could not be read") from exc
        raise UnsupportedImageError(f"not an image in a supported format ({', '.join(ACCEPTED_FORMATS)})") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError("image has too many pixels") from exc
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(f"image is {width}×{height}; the limit is {limits.max_pixels} pixels")
    if width == 0 or height == 0:
        raise ImageDecodeError("image has no pixels")
    try:
        image.seek(0)  # GIF / animated WebP: the first frame
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # our own image: no copy needed
        return image
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError(f"image data is truncated or corrupt: {exc}") from exc


def grey_pixels(image: Image.Image) -> np.ndarray:
    """Grey pixels of an image: uint8 (0-255) for 8-bit images — a canvas is looked at once to
    find its ink, and only that crop becomes floats — float32 in [0, 1] otherwise.
    Transparent pixels become background: the colour the opaque strokes are *not*, so a
    white or a black stroke on a clear canvas both survive."""
    if image.mode in ("P", "PA") or (image.mode not in ("RGBA", "LA") and "transparency" in image.info):
        image = image.convert("RGBA")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = np.asarray(image, dtype=np.float32)
        return grey / max(1.0, float(grey.max()))
    if image.mode == "F":
        return np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    # Pillow's own conversions and compositing (C loops over uint8) beat NumPy on floats.
    grey = image.convert("L")
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        alpha = image.getchannel("A")
        if alpha.getextrema()[0] < 253:
            white = 255 * background_under(np.asarray(grey), np.asarray(alpha) > 127, light=127)
            grey = Image.composite(grey, Image.new("L", grey.size, white), alpha)
    return np.asarray(grey)


def background_under(grey: np.ndarray, opaque: np.ndarray, light: float) -> int:
    """What transparent pixels become: 1 (white) under dark strokes, 0 (black) under light
    ones (grey above `light`) or when nothing is opaque, so that every stroke stands out."""
    strokes_are_light = not opaque.any() or float(grey[opaque].mean()) > light
    return 0 if strokes_are_light else 1


def flatten_alpha(rgba: np.ndarray) -> np.ndarray:
    """Float RGBA in [0, 1] → grey, transparency flattened by the rule of `background_under`."""
    grey, alpha = rgba[..., :3] @ LUMA, rgba[..., 3]
    if alpha.min() > 0.99:
        return grey
    background = background_under(grey, alpha > 0.5, light=0.5)
    return grey * alpha + background * (1.0 - alpha)


def array_to_grey(pixels: np.ndarray) -> np.ndarray:
    """Numbers (H, W), (H, W, 1|3|4), in 0-1 or 0-255 → grey float32 in [0, 1]."""
    a = np.asarray(pixels)
    if a.dtype == bool or a.dtype.kind not in "uif":
        raise ImageDecodeError("pixels must be numbers")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ImageDecodeError("pixels must be finite numbers")
    if a.ndim == 3 and a.shape[2] in (1, 3, 4):
        channels = a.shape[2]
    elif a.ndim == 2:
        channels = 0
    else:
        raise ImageDecodeError(f"pixels must be (height, width[, 1|3|4]), got shape {a.shape}")
    if a.size == 0:
        raise ImageDecodeError("pixels are empty")
    if a.min() < 0 or a.max() > 255:
        raise ImageDecodeError("pixel values must lie in 0-255 (or 0-1)")
    if a.max() > 1.0:
        a /= 255.0
    if channels == 0:
        return a
    if channels == 1:
        return a[..., 0]
    if channels == 3:
        return a @ LUMA
    return flatten_alpha(a)


def load_pixels(source: object, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Any accepted input → grey (H, W), uint8 0-255 where the source is 8-bit, else float32 in [0, 1]."""
    if isinstance(source, np.ndarray) or (isinstance(source, list) and source):
        pixels = np.asarray(source)
        if (np.prod(pixels.shape[:2]) if pixels.ndim >= 2 else pixels.size) > limits.max_pixels:
            raise ImageTooLargeError(f"the limit is {limits.max_pixels} pixels")  # pixels, not channels
        if pixels.dtype == np.uint8 and pixels.ndim == 2 and pixels.size and pixels.max() > 1:
            return pixels  # grey bytes already (0/1 masks go the general way, read as 0-1)
        return array_to_grey(pixels)
    if isinstance(source, Image.Image):
        return grey_pixels(ImageOps.exif_transpose(source))
    if isinstance(source, str):
        source = decode_base64(source, limits)
    if isinstance(source, bytes | bytearray | memoryview):
        return grey_pixels(decode_bytes(bytes(source), limits))
    raise ImageDecodeError(f"cannot read an image from {type(source).__name__}")


@dataclass(frozen=True)
class InkLevels:
    """Where ink starts and peaks in a grey image, and whether that image is dark-on-light."""

    inverted: bool
    floor: float  # in [0, 1], after inversion
    peak: float
    scale: float = 1.0  # what white is in the pixels these levels were measured on (255 for uint8)

    def ink(self, grey: np.ndarray) -> np.ndarray:
        """Grey (any region of the image) → float32 ink in [0, 1] on a 0 background."""
        out = grey.astype(np.float32)  # always a copy: everything below is in place
        out /= self.scale
        if self.inverted:
            np.subtract(1.0, out, out=out)
        out -= self.floor
        out /= self.peak - self.floor
        return np.clip(out, 0.0, 1.0, out=out)

    def mask(self, grey: np.ndarray, level: float = 0.1) -> np.ndarray:
        """Where the ink exceeds `level`, computed on the grey pixels without building the ink."""
        threshold = self.floor + level * (self.peak - self.floor)
        return grey < (1.0 - threshold) * self.scale if self.inverted else grey > threshold * self.scale


def ink_levels(grey: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> InkLevels:
    """Polarity and the background's level and noise, from the image's border.

    The background level is the median of the border (ink rarely covers most of it); if it
    is light, the image is dark-on-light and is inverted. Paper texture and sensor noise sit
    a few MADs from that level, so the ink starts just above them.
    """
    scale = 255.0 if grey.dtype == np.uint8 else 1.0
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]]) / np.float32(scale)
    inverted = float(np.median(border)) > 0.5
    if inverted:
        border = 1.0 - border
    background = float(np.median(border))
    noise = float(np.median(np.abs(border - background))) * 1.4826  # MAD → σ
    step = max(1, int(np.sqrt(grey.size / 4096)))  # a percentile of ~4k samples is plenty
    sample = grey[::step, ::step]
    if inverted:
        peak = max(1.0 - float(np.percentile(sample, 0.1)) / scale, (1.0 - float(grey.min()) / scale) * 0.9)
    else:
        peak = max(float(np.percentile(sample, 99.9)) / scale, float(grey.max()) / scale * 0.9)
    contrast = peak - background
    if contrast < max(limits.min_contrast, 6 * noise):
        raise EmptyImageError("nothing drawn: no ink stands out from the background")
    return InkLevels(inverted, background + min(3 * noise, 0.5 * contrast), peak, scale)


def ink_box(mask: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> tuple[slice, slice]:
    """The bounding box of the ink in `mask`; a blank image or a stray speck is EmptyImageError."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        raise EmptyImageError("nothing drawn: the image is blank")
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if max(bottom - top, right - left) < limits.min_extent * max(mask.shape) and max(mask.shape) > SIZE:
        raise EmptyImageError("nothing drawn: only a stray dot or speck, too small to be a digit")
    return slice(top, bottom), slice(left, right)


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


def preprocess(source: object, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Anything accepted → float32 (28, 28) in [0, 1], white ink on black, MNIST-style.

    Raises EmptyImageError when nothing is drawn, ImageTooLargeError, UnsupportedImageError
    or ImageDecodeError otherwise (all PreprocessError). Only the ink's bounding box is
    normalised: the rest of a canvas is looked at once, to find that box.
    """
    pixels = load_pixels(source, limits)
    levels = ink_levels(pixels, limits)
    return place(levels.ink(pixels[ink_box(levels.mask(pixels), limits)]))


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


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A float image in [0, 1] as 0-255 bytes, as MNIST stores it."""
    return np.clip(np.rint(np.asarray(image, np.float32) * 255), 0, 255).astype(np.uint8)


def from_uint8_bytes(raw: bytes, side: int = SIZE) -> np.ndarray:
    """The inverse of `to_uint8(...).tobytes()`: bytes → float (side, side) in [0, 1]."""
    return np.frombuffer(raw, np.uint8).reshape(side, side).astype(np.float32) / 255.0


def original_bytes(source: object, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, str]:
    """The input exactly as given, as bytes and a media type, for keeping a faithful copy."""
    if isinstance(source, str):
        source = decode_base64(source, limits)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        with contextlib.suppress(Exception):
            kind = Image.open(io.BytesIO(data)).format
            return data, f"image/{(kind or 'octet-stream').lower()}"
        return data, "application/octet-stream"
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(source), allow_pickle=False)
    return buffer.getvalue(), "application/x-npy"


def to_png(image: np.ndarray) -> bytes:
    """A (28, 28) float image in [0, 1] as an 8-bit greyscale PNG."""
    pixels = to_uint8(image)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def to_data_url(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(to_png(image)).decode("ascii")
