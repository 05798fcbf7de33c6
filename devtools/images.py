"""Test images: a drawn 7 as a canvas sends it, and data URLs."""

from __future__ import annotations

import base64
import io
import struct

from PIL import Image, ImageDraw


def seven_png(size: int = 280) -> bytes:
    """A white 7 on black, as a canvas of `size` pixels would hold it, as PNG bytes."""
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).line([(size * 0.3, size * 0.25), (size * 0.7, size * 0.25), (size * 0.45, size * 0.8)],
                               fill=255, width=max(2, size // 14))  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def grey_png(pixels) -> bytes:
    """A uint8 grey array as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    """Encoded image bytes as the data URL a canvas's toDataURL gives."""
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def rle_bmp(side: int, bits: int = 8) -> bytes:
    """A run-length-encoded BMP whose every row is one pixel and "end of line" (RLE8), or runs
    of 255 pixels (RLE4): Pillow's pure-Python decoder works a pixel at a time on both."""
    if bits == 8:
        data = b"\x01\x07\x00\x00" * side + b"\x00\x01"
    else:
        data = (b"\xff\x12" * -(-side // 255) + b"\x00\x00") * side + b"\x00\x01"
    colours = 1 << bits
    palette = b"".join(bytes([i * 255 // (colours - 1)] * 3 + [0]) for i in range(colours))
    info = struct.pack(
        "<IiiHHIIiiII", 40, side, side, 1, bits, 1 if bits == 8 else 2, len(data), 2835, 2835, colours, 0
    )
    offset = 14 + 40 + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + palette + data


def canvas_png(draw, size=280, mode="RGBA", background=(0, 0, 0, 0), ink=(255, 255, 255, 255), fmt="PNG") -> bytes:
    """A canvas `size` px square drawn on by `draw(ImageDraw, ink)` (e.g. draw_seven), encoded."""
    image = Image.new(mode, (size, size), background)
    draw(ImageDraw.Draw(image), ink)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def draw_seven(d, ink) -> None:
    """A 7 in three strokes, as a mouse draws it on the 280 px pad."""
    d.line([(80, 70), (200, 70), (130, 230)], fill=ink, width=20, joint="curve")


def draw_one(d, ink) -> None:
    """A 1: one upright stroke."""
    d.line([(140, 50), (140, 230)], fill=ink, width=20)
