"""What is kept of a user's image: the decoded pixels re-encoded as a bounded, lossless PNG
(a stored correction's), and a smaller copy of one where a cell or a page must be smaller."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .decode import DEFAULT_LIMITS, Limits, decode_base64, decode_bytes, load_pixels

KEEP_SIDE, KEEP_BYTES = 1024, 256 * 1024


def reduced_png(png: bytes, max_bytes: int) -> bytes:
    """A stored PNG as a copy of at most `max_bytes`: grey, then smaller by quarters (the
    original stays as it was stored); the PNG itself when it fits."""
    if len(png) <= max_bytes:
        return png
    image = Image.open(io.BytesIO(png))
    image.load()
    return _fitted_png(image, max_bytes, smallest=8)


def _fitted_png(image: Image.Image, max_bytes: int, smallest: int) -> bytes:
    """`image` as PNG within `max_bytes`: colour given up, then size, until it fits (or its
    long side reaches `smallest`)."""
    while True:
        buffer = io.BytesIO()
        image.save(buffer, "PNG", optimize=True)
        if buffer.tell() <= max_bytes or max(image.size) <= smallest:
            return buffer.getvalue()
        if image.mode not in ("L", "LA"):
            image = image.convert("LA" if "A" in image.getbands() else "L")
        else:
            image = image.resize(
                (max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)), Image.Resampling.LANCZOS
            )


def keepsake_png(source: object, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """What a user drew or photographed, kept as decoded pixels re-encoded as a lossless PNG:
    long side at most KEEP_SIDE, at most KEEP_BYTES (colour given up, then size, until it
    fits). Everything drawn survives; whatever else the file carried (appended bytes,
    metadata) does not."""
    if isinstance(source, str):
        source = decode_base64(source, limits)
    if isinstance(source, bytes | bytearray | memoryview):
        image = decode_bytes(bytes(source), limits, colour=True)
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    elif isinstance(source, Image.Image):
        image = source.convert("RGBA")
    else:
        grey = load_pixels(source, limits)
        image = Image.fromarray(grey if grey.dtype == np.uint8 else np.rint(grey * 255).astype(np.uint8), "L")
    image.thumbnail((KEEP_SIDE, KEEP_SIDE), Image.Resampling.LANCZOS)
    return _fitted_png(image, KEEP_BYTES, smallest=64)
