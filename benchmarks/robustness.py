"""Accuracy on digits drawn the way users draw them, next to raw MNIST test accuracy.

The robustness set is generated here from what the project can reproduce, and nothing
in it is ever trained or tuned on:
  - the 10,000 MNIST *test* digits redrawn as on a 280×280 canvas (35–90% of it, anywhere,
    a 15–25 px brush), as white-on-black PNG, dark-on-white JPEG and transparent PNG;
  - digits typeset in Debian's handwriting-style fonts at varied size, place, slant, weight;
  - every one of those again with its colours inverted (dark on light becomes light on dark
    and the other way round): a drawing is a drawing whatever its colours, so both polarities
    should score the same and get the same answers (the second table).
Every image goes through the same `model_core.imaging.preprocess` the API uses. The font subset
uses whichever of those fonts are installed (its row says how many); all 24 come with the
Debian packages fonts-dejavu-core, fonts-dkg-handwriting, fonts-breip, fonts-humor-sans,
fonts-bwht, fonts-comic-neue, fonts-dancingscript and fonts-kaushanscript.

    python benchmarks/robustness.py [--limit N] [--models cnn mlp]
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image, ImageOps

from model_core import load_model
from model_core.data.datasets import as_float_images, load_mnist, mnist_validation
from model_core.data.synth import VARIANTS, handwriting_fonts, redraw_mnist, render_font_digit
from model_core.imaging.preprocess import preprocess


def build_sets(
    limit: int, font_repeats: int, seed: int, split: str = "test"
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    # --split validation: the 5,000 training images every network held out, for choosing
    # between models before the test set is read.
    test = load_mnist("test") if split == "test" else mnist_validation()
    index = np.arange(len(test)) if limit <= 0 else rng.choice(len(test), limit, replace=False)
    sets = {f"mnist_{split}_raw": (as_float_images(test.images[index]), test.labels[index])}
    sets[f"mnist_{split}_preprocessed"] = (
        np.stack([preprocess(as_float_images(im)) for im in test.images[index]]),
        test.labels[index],
    )
    for variant in VARIANTS:
        started = time.perf_counter()
        encoded = [redraw_mnist(test.images[i], rng, variant) for i in index]
        add_both_polarities(sets, f"redrawn_{variant}", encoded, test.labels[index])
        print(f"  built redrawn_{variant}: {len(encoded)} images in {time.perf_counter() - started:.1f}s", flush=True)
    fonts = handwriting_fonts()
    encoded, labels = [], []
    for font in fonts:
        for _ in range(font_repeats):
            for digit in range(10):
                encoded.append(render_font_digit(str(digit), font, rng))
                labels.append(digit)
    if encoded:
        add_both_polarities(sets, f"fonts ({len(fonts)} fonts)", encoded, np.array(labels))
    return sets


def inverted(data: bytes) -> bytes:
    """The same image with its colours inverted (alpha kept), in the same format."""
    image = Image.open(io.BytesIO(data))
    fmt = image.format
    if image.mode == "RGBA":
        rgb, alpha = image.convert("RGB"), image.getchannel("A")
        image = ImageOps.invert(rgb)
        image.putalpha(alpha)
    else:
        image = ImageOps.invert(image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 75} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def add_both_polarities(sets: dict, name: str, encoded: list[bytes], labels: np.ndarray) -> None:
    """A subset as made, and the same images with their colours inverted."""
    sets[name] = (np.stack([preprocess(data) for data in encoded]), labels)
    sets[f"{name}, inverted"] = (np.stack([preprocess(inverted(data)) for data in encoded]), labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="MNIST digits to redraw (0 = all of the split)")
    parser.add_argument("--font-repeats", type=int, default=10, help="renderings of each digit per font")
    parser.add_argument("--models", nargs="+", default=["cnn", "mlp"])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--split", choices=["test", "validation"], default="test")
    args = parser.parse_args()
    sets = build_sets(args.limit, args.font_repeats, args.seed, args.split)
    models = {name: load_model(name) for name in args.models}
    header = "| subset | images | " + " | ".join(models) + " |"
    print("\n" + header + "\n|" + "---|" * (2 + len(models)))
    answers = {}
    for name, (images, labels) in sets.items():
        answers[name] = {key: m.predict(images) for key, m in models.items()}
        scores = [f"{(answers[name][key] == labels).mean() * 100:.2f}%" for key in models]
        print(f"| {name} | {len(labels):,} | " + " | ".join(scores) + " |")
    print(
        "\n| subset | 28×28s differing by > 0.1 in some pixel | "
        + " | ".join(f"{key}: same answer both polarities" for key in models)
        + " |"
    )
    print("|---|---|" + "---|" * len(models))
    for name in sets:
        if f"{name}, inverted" in answers:
            apart = np.abs(sets[name][0] - sets[f"{name}, inverted"][0]).max(axis=(1, 2)) > 0.1
            same = [np.mean(answers[name][key] == answers[f"{name}, inverted"][key]) * 100 for key in models]
            print(f"| {name} | {apart.mean() * 100:.2f}% | " + " | ".join(f"{v:.2f}%" for v in same) + " |")


if __name__ == "__main__":
    main()
