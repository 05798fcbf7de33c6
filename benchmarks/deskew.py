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

from model_core.data.datasets import SPLIT_SEED, VALIDATION_SIZE, load_mnist, train_val_split
from model_core.imaging.preprocess import deskew
from model_core.nn.network import architecture
from model_core.training.train import TrainConfig, deskewed, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from robustness import build_sets  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--limit", type=int, default=5000, help="MNIST test digits to redraw (0 = all)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    train_set, val_set = train_val_split(load_mnist("train"), VALIDATION_SIZE, SPLIT_SEED)
    config = TrainConfig(epochs=args.epochs, seed=args.seed)
    spec = architecture("mlp")
    plain = train(spec, train_set, val_set, config, progress=False)
    skewless = train(spec, deskewed(train_set), deskewed(val_set), config, progress=False)
    print(f"validation (best epoch): {plain.best_val_accuracy:.4f} plain, {skewless.best_val_accuracy:.4f} deskewed")
    plain, skewless = plain.network, skewless.network
    sets = build_sets(args.limit, font_repeats=10, seed=2024)
    print("\n| subset | images | MLP | MLP, deskewed | change |\n|---|---|---|---|---|")
    for name, (images, labels) in sets.items():
        a = (plain.logits(images).argmax(axis=1) == labels).mean() * 100
        b = (skewless.logits(deskew(images)).argmax(axis=1) == labels).mean() * 100
        print(f"| {name} | {len(labels):,} | {a:.2f}% | {b:.2f}% | {b - a:+.2f} |")


if __name__ == "__main__":
    main()
