"""How long preprocessing takes for a 280×280 canvas drawing, per stage.

python benchmarks/preprocess_speed.py [--repeats 500]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import numpy as np
from PIL import Image, ImageDraw

from model_core.preprocess import fit_and_centre, ink_map, load_grey, preprocess


def canvas() -> Image.Image:
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(80, 70), (200, 70), (130, 230)], fill=(255, 255, 255, 255), width=20)
    return image


def timed(fn, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=500)
    args = parser.parse_args()
    image = canvas()
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    png = buffer.getvalue()
    grey = load_grey(png)
    ink = ink_map(grey)
    array = np.asarray(image.convert("L"))
    rows = [
        ("decode PNG → grey (RGBA, alpha flattened)", timed(lambda: load_grey(png), args.repeats)),
        ("polarity + background (ink_map)", timed(lambda: ink_map(grey), args.repeats)),
        ("crop, fit 20×20, centre of mass", timed(lambda: fit_and_centre(ink), args.repeats)),
        ("whole pipeline from PNG bytes", timed(lambda: preprocess(png), args.repeats)),
        ("whole pipeline from a uint8 array", timed(lambda: preprocess(array), args.repeats)),
    ]
    print("| stage (280×280 canvas) | median ms |\n|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.3f} |")


if __name__ == "__main__":
    main()
