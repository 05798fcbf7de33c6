"""How long preprocessing takes for a 280×280 canvas drawing, per stage.

python benchmarks/preprocess_speed.py [--repeats 500] [--keep-freed-memory]

Stages are timed on their own inputs, so they do not quite add up to the whole pipeline
(which also pays for memory it allocates afresh). "PNG decoding alone" is Pillow's
`load()` — zlib inflating the canvas — the part no preprocessing code can avoid.
"""

from __future__ import annotations

import argparse
import io

import numpy as np
from PIL import Image, ImageDraw
from timing import median_ms  # benchmarks/timing.py

from backend.runtime import keep_freed_memory
from model_core.imaging.decode import load_pixels
from model_core.imaging.ink import find_ink
from model_core.imaging.preprocess import place, preprocess


def canvas() -> Image.Image:
    """What the SPA sends: white strokes on a transparent 280×280 canvas, as RGBA PNG."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(80, 70), (200, 70), (130, 230)], fill=(255, 255, 255, 255), width=20)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=500)
    parser.add_argument("--keep-freed-memory", action="store_true", help="tune malloc as the API's gunicorn workers do")
    args = parser.parse_args()
    if args.keep_freed_memory:
        print(f"keep_freed_memory() applied: {keep_freed_memory()}")
    image = canvas()
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    png = buffer.getvalue()
    pixels = load_pixels(png)
    crop = find_ink(pixels)
    array = np.asarray(image.convert("L"))
    floats = array / np.float32(255)
    rows = [
        ("PNG decoding alone (Pillow load: zlib)", median_ms(lambda: Image.open(io.BytesIO(png)).load(), args.repeats)),
        ("decode PNG → grey bytes (alpha flattened)", median_ms(lambda: load_pixels(png), args.repeats)),
        ("find the ink: background, polarity, pieces, the crop", median_ms(lambda: find_ink(pixels), args.repeats)),
        ("fit 20×20, centre of mass to (14, 14)", median_ms(lambda: place(crop), args.repeats)),
        ("whole pipeline from PNG bytes", median_ms(lambda: preprocess(png), args.repeats)),
        ("whole pipeline from a uint8 array", median_ms(lambda: preprocess(array), args.repeats)),
        ("whole pipeline from a float array", median_ms(lambda: preprocess(floats), args.repeats)),
    ]
    print("| stage (280×280 canvas) | median ms |\n|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.3f} |")


if __name__ == "__main__":
    main()
