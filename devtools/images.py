"""Test images: a drawn 7 as a canvas sends it, and data URLs."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def seven_png(size: int = 280) -> bytes:
    """A white 7 on black, as a canvas of `size` pixels would hold it, as PNG bytes."""
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).line([(size * 0.3, size * 0.25), (size * 0.7, size * 0.25), (size * 0.45, size * 0.8)],
                               fill=255, width=max(2, size // 14))  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    """Encoded image bytes as the data URL a canvas's toDataURL gives."""
    return f"data:{mime};base64," + base64.b64encode(data).decode()
