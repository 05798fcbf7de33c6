"""Accuracy on digits drawn the way users draw them, next to raw MNIST test accuracy.

The robustness set is generated here from what the project can reproduce, and nothing
in it is ever trained or tuned on:
  - the 10,000 MNIST *test* digits redrawn as on a 280×280 canvas (35–90% of it, anywhere,
    a 15–25 px brush), as white-on-black PNG, dark-on-white JPEG and transparent PNG;
  - digits typeset in Debian's handwriting-style fonts at varied size, place, slant, weight.
Every image goes through the same `model_core.imaging.preprocess` the API uses. The font subset
uses whichever of those fonts are installed (its row says how many); all 24 come with the
Debian packages fonts-dejavu-core, fonts-dkg-handwriting, fonts-breip, fonts-humor-sans,
fonts-bwht, fonts-comic-neue, fonts-dancingscript and fonts-kaushanscript.

    python benchmarks/robustness.py [--limit N] [--models cnn mlp]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

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
        images = [preprocess(redraw_mnist(test.images[i], rng, variant)) for i in index]
        sets[f"redrawn_{variant}"] = (np.stack(images), test.labels[index])
        print(f"  built redrawn_{variant}: {len(images)} images in {time.perf_counter() - started:.1f}s", flush=True)
    fonts = handwriting_fonts()
    images, labels = [], []
    for font in fonts:
        for _ in range(font_repeats):
            for digit in range(10):
                images.append(preprocess(render_font_digit(str(digit), font, rng)))
                labels.append(digit)
    if images:
        sets[f"fonts ({len(fonts)} fonts)"] = (np.stack(images), np.array(labels))
    return sets


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
    for name, (images, labels) in sets.items():
        scores = [f"{(m.predict(images) == labels).mean() * 100:.2f}%" for m in models.values()]
        print(f"| {name} | {len(labels):,} | " + " | ".join(scores) + " |")


if __name__ == "__main__":
    main()
