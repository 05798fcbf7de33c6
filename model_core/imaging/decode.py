"""From what users send (bytes, a data URL, base64, a PIL image, an array of numbers) to grey
pixels, under limits checked before the work is spent.

A photo is decoded at reduced size: JPEG by its own DCT scaling (Pillow's `draft`), which
makes a 12 MP phone photo cost a sixteenth of a full decode; any image whose long side is
still over WORK_MAX is reduced by an integer factor. The digit then spans a few hundred
pixels at most, far more than the 20×20 it becomes. What a decode would cost (pixels ×
bands × bytes per sample, after that reduction) is checked against `Limits.max_decode_bytes`
before a pixel is decoded, and only a few big decodes run at once per process, and, among
a server's processes as many as the server's hook allows (ServerHooks).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import io
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, the weights of Pillow's "L" mode too
WORK_MIN, WORK_MAX = 640, 1280  # a photo's long side is brought within this range, never below WORK_MIN
BIG_DECODE_BYTES = 16 << 20  # decodes above this take one of BIG_DECODES_AT_ONCE slots
BIG_DECODES_AT_ONCE = 2
BUSY_WAIT_SECONDS = 2.0
# Pillow decodes run-length-encoded BMPs in pure Python, a pixel at a time: 0.13 s for a
# megapixel of the worst such file on this machine, 0.65 s for four. Bigger ones are refused.
RLE_BMP_MAX_PIXELS = 1_000_000
# The JPEG family: decoded at reduced size by its DCT scaling (MPO is Pillow's name for a
# multi-picture JPEG, as phones store Ultra HDR photos; its first picture is the photo).
JPEG_FAMILY = ("JPEG", "MPO")
# Modes Image.reduce cannot work on, and what they become first (the same grey afterwards).
REDUCIBLE = {"1": "L", "P": "RGBA", "PA": "RGBA", "I;16": "I", "I;16L": "I", "I;16B": "I", "I;16N": "I"}


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


class TooCostly(PreprocessError):
    """The request would cost more network work than one request may (Limits.max_price)."""

    code = "too_costly"


class DecoderBusyError(PreprocessError):
    """No slot for a big decode came free (in this process, or among the server's): try again in a moment."""

    code = "busy"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 25_000_000  # e.g. a 5000×5000 photo; bigger is refused before decoding
    # What decoding may produce, after a JPEG's reduced-size decode: 64 MiB is a 16 MP RGBA
    # PNG (a phone's screenshot is 12 MB); 16-bit samples count twice.
    max_decode_bytes: int = 64 << 20
    # What all the images of one request (a batch) may decode to together: two of the largest.
    max_request_decode_bytes: int = 128 << 20
    min_contrast: float = 0.15  # ink must differ from the background by this much (of 0..1)
    min_extent: float = 0.06  # ink spanning less than this share of the image is a stray mark
    # Run between the network's batches and a request's images: it raises (a PreprocessError,
    # code "cancelled") to stop work whose answer nobody waits for (the client left, time ran out).
    check: Callable[[], None] | None = field(default=None, compare=False)
    max_price: int = 0  # what one request may cost, in network evaluations of a 28×28 (0: no ceiling)

    def base64_too_long(self, text: str) -> bool:
        """Whether base64 text (a data URL's or bare) encodes more than `max_bytes`: refused
        before a byte of it is decoded."""
        return base64_too_long(text, self.max_bytes)


DEFAULT_LIMITS = Limits()


# --- base64 -------------------------------------------------------------------------------


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
        media = header[5:].split(";", 1)[0].strip().lower()
        if media and not media.startswith("image/"):  # an absent type is read as an image's
            raise ImageDecodeError(f"a data URL's media type must be an image's (image/...), not {media}")
    try:
        return base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageDecodeError("image is not valid base64") from exc


# --- Encoded images -------------------------------------------------------------------------


def looks_supported(data: bytes) -> bool:
    """Whether the bytes start like one of the accepted formats (so a failure is corruption)."""
    return data.startswith((b"\x89PNG", b"\xff\xd8", b"GIF87a", b"GIF89a", b"BM")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


_big_decodes = threading.BoundedSemaphore(BIG_DECODES_AT_ONCE)
# Whether this request already holds a big-decode slot (a big pixel body takes one for its
# whole request): its images then decode within it, rather than wait for a second one that
# the request itself keeps from coming free.
_holding_slot = contextvars.ContextVar("holding_slot", default=False)
# What is left of this request's decode budget (decode_budget), when one is set.
_request_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("decode_budget", default=None)


@contextlib.contextmanager
def decode_budget(max_bytes: int) -> Iterator[None]:
    """Within this block (one request), images decode to at most `max_bytes` in all, each
    decode charged before it runs; ImageTooLargeError for the one that would pass it."""
    token = _request_budget.set([max_bytes, max_bytes])
    try:
        yield
    finally:
        _request_budget.reset(token)


def _charge(cost: int) -> None:
    budget = _request_budget.get()
    if budget is None:
        return
    left, total = budget
    if cost > left:
        raise ImageTooLargeError(
            f"the images of one request decode to at most {total >> 20} MiB in all; this one would take "
            f"{cost >> 20} MiB of the {left >> 20} left: send fewer or smaller images at once"
        )
    budget[0] = left - cost


@dataclass
class ServerHooks:
    """What a server lends the library around big decodes (backend/runtime.py sets them):
    `shared_slot()` a context giving True while it holds one of the server's slots shared by
    its processes (never waited for; False when none is free), `after_big_decode()` e.g.
    handing the freed memory back to the system. The library has no processes of its own
    to coordinate: without hooks it only bounds its own threads."""

    shared_slot: Callable[[], AbstractContextManager[bool]] | None = None
    after_big_decode: Callable[[], object] | None = None

    def slot(self, cost: int) -> AbstractContextManager[None]:
        """A turn for work of `cost` bytes (`decode_slot`): a server takes one for a big body
        of pixels before parsing it, as a decode does for a big image."""
        return decode_slot(cost)


HOOKS = ServerHooks()


@contextlib.contextmanager
def decode_slot(cost: int) -> Iterator[None]:
    """Big decodes take turns (at most BIG_DECODES_AT_ONCE at once in a process, waiting up
    to BUSY_WAIT_SECONDS, and within the server's shared slots), so a burst of them cannot
    take every core, every worker and all the memory."""
    if cost <= BIG_DECODE_BYTES or _holding_slot.get():
        yield
        return
    busy = DecoderBusyError("the server is decoding other large images: try again in a moment")
    if not _big_decodes.acquire(timeout=BUSY_WAIT_SECONDS):
        raise busy
    try:
        with HOOKS.shared_slot() if HOOKS.shared_slot else contextlib.nullcontext(True) as free:
            if not free:
                raise busy
            token = _holding_slot.set(True)
            try:
                yield
            finally:
                _holding_slot.reset(token)
    finally:
        _big_decodes.release()
        if HOOKS.after_big_decode:
            HOOKS.after_big_decode()


def _bytes_per_pixel(image: Image.Image) -> int:
    """What one pixel costs to decode: its bands, twice over for 16-bit samples."""
    rawmode = image.tile[0][3] if image.tile and isinstance(image.tile[0][3], str) else image.mode
    rawmode = rawmode[0] if isinstance(rawmode, tuple) else rawmode
    deep = "16" in str(rawmode) or image.mode.startswith("I")
    return len(image.getbands()) * (2 if deep else 1)


def _reduce_on_decode(image: Image.Image, colour: bool, reduction: int | None) -> None:
    """A JPEG decodes its luminance only (all the grey a digit needs) unless `colour`, and,
    when bigger than WORK_MAX, at 1/2, 1/4 or 1/8 size (never below WORK_MIN); or at
    1/`reduction` when told."""
    width, height = image.size
    if image.format not in JPEG_FAMILY or image.mode not in ("L", "RGB"):
        return
    if reduction is not None:
        scale = 1.0 / reduction
    else:
        scale = min(1.0, WORK_MIN / max(width, height)) if max(width, height) > WORK_MAX else 1.0
    image.draft(image.mode if colour else "L", (max(1, int(width * scale)), max(1, int(height * scale))))


def decode_bytes(
    data: bytes, limits: Limits = DEFAULT_LIMITS, colour: bool = False, reduction: int | None = None
) -> Image.Image:
    """Encoded bytes → an upright PIL image at a working size (long side ≤ WORK_MAX, a JPEG
    decoded at reduced size, and in grey unless `colour`), refusing what would cost too much
    before decoding. With `reduction` (1, 2, 4 or 8), at that fraction of its size instead,
    for a closer look at part of it. `info["source_size"]` is the stored width and height."""
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
    except Exception as exc:  # noqa: BLE001  a damaged header makes Pillow's parsers raise anything
        raise ImageDecodeError("image data is corrupt: its header could not be read") from exc
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(f"image is {width}×{height}; the limit is {limits.max_pixels} pixels")
    if width == 0 or height == 0:
        raise ImageDecodeError("image has no pixels")
    if image.format == "BMP" and image.tile and image.tile[0][0] == "bmp_rle" and width * height > RLE_BMP_MAX_PIXELS:
        raise ImageTooLargeError(
            f"a run-length-encoded BMP is at most {RLE_BMP_MAX_PIXELS:,} pixels (its decoder is slow); this one is "
            f"{width}×{height}: send it as PNG"
        )
    try:
        _reduce_on_decode(image, colour, reduction)
        cost = image.size[0] * image.size[1] * _bytes_per_pixel(image)
        if cost > limits.max_decode_bytes:
            raise ImageTooLargeError(
                f"image is {width}×{height} with {_bytes_per_pixel(image)} bytes per pixel: decoding it would take "
                f"{cost >> 20} MiB; the limit is {limits.max_decode_bytes >> 20} MiB (a JPEG may be larger: "
                "it is decoded at reduced size)"
            )
        _charge(cost)
        with decode_slot(cost):
            image.seek(0)  # GIF / animated WebP: the first frame only
            image.load()
            factor = (
                -(-max(image.size) // WORK_MAX)
                if reduction is None
                else -(-max(image.size) * reduction // max(width, height))
            )
            if factor > 1:
                if image.mode in REDUCIBLE:  # a palette, 1-bit or 16-bit image: converted, then reduced
                    image = image.convert(
                        "RGB" if image.mode == "P" and "transparency" not in image.info else REDUCIBLE[image.mode]
                    )
                image = image.reduce(factor)
        ImageOps.exif_transpose(image, in_place=True)
        image.info["source_size"] = (width, height)
        return image
    except PreprocessError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001  untrusted bytes: whatever a decoder raises, the image is corrupt
        raise ImageDecodeError(f"image data is truncated or corrupt: {exc}"[:300]) from exc


# --- Grey pixels ------------------------------------------------------------------------------


def background_under(grey: np.ndarray, opaque: np.ndarray, light: float) -> int:
    """What transparent pixels become: 1 (white) under dark strokes, 0 (black) under light
    ones (grey above `light`) or when nothing is opaque, so that every stroke stands out."""
    strokes_are_light = not opaque.any() or float(grey[opaque].mean()) > light
    return 0 if strokes_are_light else 1


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
