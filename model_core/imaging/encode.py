"""The network's 28×28 input as what is stored and shown: MNIST's bytes, a PNG, a data URL."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from .sampling import SIZE


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A float image in [0, 1] as 0-255 bytes, as MNIST stores it."""
    return np.clip(np.rint(np.asarray(image, np.float32) * 255), 0, 255).astype(np.uint8)


def from_uint8_bytes(raw: bytes, side: int = SIZE) -> np.ndarray:
    """The inverse of `to_uint8(...).tobytes()`: bytes → float (side, side) in [0, 1]."""
    return np.frombuffer(raw, np.uint8).reshape(side, side).astype(np.float32) / 255.0


def to_png(image: np.ndarray) -> bytes:
    """A float image in [0, 1] (the 28×28, or any) as an 8-bit greyscale PNG."""
    pixels = to_uint8(image)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def stacked_png(images: list[np.ndarray]) -> bytes:
    """Float images in [0, 1] of one height, top first, each padded on the right to the widest,
    as one greyscale PNG (a text correction's lines, as its line network read them)."""
    widest = max(image.shape[1] for image in images)
    return to_png(np.concatenate([np.pad(image, ((0, 0), (0, widest - image.shape[1]))) for image in images]))


def to_data_url(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(to_png(image)).decode("ascii")
