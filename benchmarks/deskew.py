"""Does deskewing by image moments help? Two MLPs, same recipe, one on deskewed digits.

Deskewing (shearing each digit so its principal axis stands upright, as in LeCun et al.'s
"deskewed" MNIST results) only makes sense if training sees deskewed digits too, so this
trains two MLPs with the same seed, epochs and augmentation — one on MNIST as it is, one
on MNIST deskewed — and scores both on MNIST test and on the robustness set of
`benchmarks/robustness.py`, each through its own pipeline (the second deskews after
preprocessing). Validation picks each one's best epoch; the test digits are only scored.

    python benchmarks/deskew.py [--epochs 12] [--limit 5000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from model_core.data import Dataset, load_mnist, train_val_split
from model_core.network import architecture
from model_core.preprocess import SIZE, to_uint8
from model_core.train import TrainConfig, as_float_images, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from robustness import build_sets  # noqa: E402


def deskew(images: np.ndarray) -> np.ndarray:
    """Shear each (28, 28) float image so that its ink's x–y covariance vanishes, with its
    centre of mass moved to the centre; bilinear sampling."""
    x = np.asarray(images, np.float32).reshape(-1, SIZE, SIZE)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    mass = x.sum(axis=(1, 2)) + 1e-6
    cy = (x * ys).sum(axis=(1, 2)) / mass
    cx = (x * xs).sum(axis=(1, 2)) / mass
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]
    alpha = (x * dx * dy).sum(axis=(1, 2)) / ((x * dy * dy).sum(axis=(1, 2)) + 1e-6)
    centre = SIZE / 2
    # Output pixel (oy, ox) samples the input at (oy + cy - c, ox + cx - c + alpha·(oy - c)).
    src_y = ys[None] + (cy - centre)[:, None, None]
    src_x = xs[None] + (cx - centre)[:, None, None] + alpha[:, None, None] * (ys[None] - centre)
    y0, x0 = np.floor(src_y).astype(np.int64), np.floor(src_x).astype(np.int64)
    fy, fx = src_y - y0, src_x - x0
    n = np.arange(len(x))[:, None, None]

    def at(yy, xx):
        inside = (yy >= 0) & (yy < SIZE) & (xx >= 0) & (xx < SIZE)
        return np.where(inside, x[n, np.clip(yy, 0, SIZE - 1), np.clip(xx, 0, SIZE - 1)], 0.0)

    out = (
        at(y0, x0) * (1 - fy) * (1 - fx)
        + at(y0, x0 + 1) * (1 - fy) * fx
        + at(y0 + 1, x0) * fy * (1 - fx)
        + at(y0 + 1, x0 + 1) * fy * fx
    )
    return out.astype(np.float32)


def deskewed(dataset: Dataset) -> Dataset:
    return Dataset(to_uint8(deskew(as_float_images(dataset.images))), dataset.labels, dataset.label_names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--limit", type=int, default=5000, help="MNIST test digits to redraw (0 = all)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    train_set, val_set = train_val_split(load_mnist("train"), 5000, 1234)
    config = TrainConfig(epochs=args.epochs, seed=args.seed)
    spec = architecture("mlp")
    plain = train(spec, train_set, val_set, config, progress=False).network
    skewless = train(spec, deskewed(train_set), deskewed(val_set), config, progress=False).network
    sets = build_sets(args.limit, font_repeats=10, seed=2024)
    print("\n| subset | images | MLP as shipped (no deskew) | MLP deskewed | change |\n|---|---|---|---|---|")
    for name, (images, labels) in sets.items():
        a = (plain.logits(images).argmax(axis=1) == labels).mean() * 100
        b = (skewless.logits(deskew(images)).argmax(axis=1) == labels).mean() * 100
        print(f"| {name} | {len(labels):,} | {a:.2f}% | {b:.2f}% | {b - a:+.2f} |")


if __name__ == "__main__":
    main()
