"""Writes the handwritten fixtures of tests/test_not_a_digit.py: real writers' characters
from the EMNIST *test* part (never trained on), each the first of its label in that part,
written big on a 280×280 canvas as the app draws (white on black), and two numbers made the
same way from the first 7, 2, 3, 0 and 5.

    python -m devtools.handwritten   # rewrites tests/fixtures/handwritten/*.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from model_core.data.emnist import load_characters
from model_core.data.synth import ink_crop

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "handwritten"
LETTERS = "AEHKMRWXadefhnrt"
NUMBERS = ("72", "305")
CANVAS = 280


def written(glyphs: list[np.ndarray], gap: int = 3) -> Image.Image:
    """Glyphs side by side, `gap` 28-grid pixels apart, bottoms aligned, scaled to 70% of the canvas, centred."""
    inks = [ink_crop(g) for g in glyphs]
    height = max(i.shape[0] for i in inks)
    padded = [np.pad(i, ((height - i.shape[0], 0), (0, gap))) for i in inks]
    strip = np.concatenate(padded, axis=1)[:, :-gap]
    scale = 0.7 * CANVAS / max(strip.shape)
    big = Image.fromarray(strip).resize((round(strip.shape[1] * scale), round(strip.shape[0] * scale)), Image.BICUBIC)
    canvas = Image.new("L", (CANVAS, CANVAS), 0)
    canvas.paste(big, ((CANVAS - big.width) // 2, (CANVAS - big.height) // 2))
    return canvas


def main() -> None:
    test = load_characters("test")
    first = {label: test.images[int(np.flatnonzero(test.labels == i)[0])] for i, label in enumerate(test.label_names)}
    OUT.mkdir(parents=True, exist_ok=True)
    for letter in LETTERS:
        name = f"letter-{letter}{'-lower' if letter.islower() else ''}.png"
        written([first[letter]]).save(OUT / name, optimize=True)
    for number in NUMBERS:
        written([first[c] for c in number]).save(OUT / f"number-{number}.png", optimize=True)


if __name__ == "__main__":
    main()
