"""The characters model (EMNIST's 47 handwritten characters) on data it never trained on.

Reports, for the model's test part of the fixed split (read once, for the published
figures) or its validation part (`--split validation`, for choosing):
  - accuracy, balanced accuracy (mean per-class recall: the figure EMNIST-Balanced results
    are given in), top-3 and top-5, and the ten most confused pairs;
  - the same on characters drawn as the app draws them (each glyph of the validation part
    cropped to its ink, scaled 5–9×, anywhere on a 280×280 canvas, one in five dark on light),
    read through the same preprocessing as the API;
  - one character's time through the network, and through preprocessing and the network;
  - beside ours, a PyTorch reference of the same architecture trained in this session on the
    same data, split, class weights, augmentation and schedule (`--reference` trains it and
    keeps its figures in var/characters-reference.json).

`--recipes` compares the EMNIST recipe's border and blur on drawn validation glyphs: how
close each 28×28 comes to the glyph's own, and (with the model) its balanced accuracy.

    python benchmarks/characters.py [--split test] [--drawn 3000] [--model characters]
    python benchmarks/characters.py --reference [--epochs 20]       (needs torch: pip install -e '.[bench]')
    python benchmarks/characters.py --recipes [--drawn 1500]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from timing import median_ms

from model_core import load_model
from model_core.data.augment import AugmentConfig, augment
from model_core.data.datasets import Dataset, as_float_images
from model_core.data.emnist import CHARACTER_LABELS, load_characters
from model_core.data.synth import draw_character
from model_core.imaging.decode import load_pixels
from model_core.imaging.ink import find_ink
from model_core.imaging.preprocess import RECIPES, place_emnist, preprocess
from model_core.nn.network import architecture
from model_core.nn.optim import one_cycle
from model_core.training.train import class_weights

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "var" / "characters-reference.json"


def figures(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, balanced accuracy, top-3, top-5 and the ten most confused pairs."""
    classes = probabilities.shape[1]
    ranked = np.argsort(-probabilities, axis=1)
    predicted = ranked[:, 0]
    recall = np.array([np.mean(predicted[labels == c] == c) for c in range(classes)])
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    pairs = off + off.T  # a pair confused either way
    upper = np.triu_indices(classes, 1)
    order = np.argsort(-pairs[upper])[:10]
    return {
        "samples": int(len(labels)),
        "accuracy": float(np.mean(predicted == labels)),
        "balanced_accuracy": float(recall.mean()),
        "top3": float(np.mean((ranked[:, :3] == labels[:, None]).any(axis=1))),
        "top5": float(np.mean((ranked[:, :5] == labels[:, None]).any(axis=1))),
        "worst_classes": [(CHARACTER_LABELS[c], float(recall[c])) for c in np.argsort(recall)[:6]],
        "confused_pairs": [
            (f"{CHARACTER_LABELS[upper[0][k]]}/{CHARACTER_LABELS[upper[1][k]]}", int(pairs[upper][k])) for k in order
        ],
    }


def drawn_set(count: int, seed: int) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """`count` validation glyphs drawn as the app draws them: (PNG bytes, labels, originals)."""
    val = load_characters("validation")
    rng = np.random.default_rng(seed)
    index = rng.choice(len(val), min(count, len(val)), replace=False)
    return [draw_character(val.images[i], rng) for i in index], val.labels[index], val.images[index]


def report(name: str, result: dict) -> None:
    print(
        f"{name:<34} {result['samples']:>6}  acc {result['accuracy'] * 100:6.2f}%  "
        f"balanced {result['balanced_accuracy'] * 100:6.2f}%  top-3 {result['top3'] * 100:6.2f}%  "
        f"top-5 {result['top5'] * 100:6.2f}%"
    )
    print(f"{'':<34} worst classes: " + ", ".join(f"{c} {r * 100:.1f}%" for c, r in result["worst_classes"]))
    print(f"{'':<34} most confused: " + ", ".join(f"{p} ({n})" for p, n in result["confused_pairs"]))


def evaluate_ours(args: argparse.Namespace) -> None:
    model = load_model(args.model)
    part = load_characters(args.split)
    print(f"model {model.name} ({model.version}), recipe {model.recipe}; EMNIST {args.split} part")
    report(
        f"EMNIST {args.split} (28×28 as stored)",
        figures(model.predict_proba(as_float_images(part.images)), part.labels),
    )
    pngs, labels, _ = drawn_set(args.drawn, args.seed)
    images = np.stack([preprocess(png, recipe=model.recipe) for png in pngs])
    report("drawn on the canvas (validation)", figures(model.predict_proba(images), labels))
    one = images[:1]
    network_ms = median_ms(lambda: model.predict_proba(one), 200)
    whole_ms = median_ms(lambda: model.predict_proba(preprocess(pngs[0], recipe=model.recipe)[None]), 100)
    print(f"one character: network {network_ms:.3f} ms; PNG → preprocessing → network {whole_ms:.3f} ms")
    if REFERENCE.exists():
        ref = json.loads(REFERENCE.read_text())
        print(f"PyTorch reference ({ref['epochs']} epochs, {ref['seconds']:.0f} s, best epoch {ref['best_epoch']}):")
        for key in ("test", "drawn"):
            if key in ref:
                report(f"  reference: {key}", ref[key])
    else:
        print(f"no PyTorch reference yet ({REFERENCE.relative_to(ROOT)}): run with --reference")


def compare_recipes(args: argparse.Namespace) -> None:
    """Border × blur of the EMNIST recipe, on drawn validation glyphs."""
    pngs, labels, originals = drawn_set(args.drawn, args.seed)
    crops = [find_ink(load_pixels(png)) for png in pngs]
    target = as_float_images(originals)
    model = load_model(args.model) if args.with_model else None
    print("border  blur   mse to the glyph   mean ink (glyph's)" + ("   balanced acc" if model else ""))
    for border in (2.0, 2.5, 3.0, 3.5):
        for blur in (0.5, 0.75, 1.0):
            images = np.stack([place_emnist(crop, border, blur) for crop in crops])
            line = f"{border:6.1f}  {blur:4.2f}   {np.mean((images - target) ** 2):.4f}            "
            line += f"{images.mean():.3f} ({target.mean():.3f})"
            if model is not None:
                line += f"        {figures(model.predict_proba(images), labels)['balanced_accuracy'] * 100:6.2f}%"
            print(line)
    if model is not None:
        mnist = np.stack([RECIPES["mnist"](crop) for crop in crops])
        balanced = figures(model.predict_proba(mnist), labels)["balanced_accuracy"]
        print(f"MNIST's recipe instead (20×20 box, centre of mass): balanced {balanced * 100:.2f}%")


def train_reference(args: argparse.Namespace) -> None:
    """The same network in PyTorch, trained as `python -m model_core train --dataset characters
    --class-weights balanced --arch cnn-deep` trains ours: AdamW, one-cycle, our augmentation."""
    import torch
    from train_speed import torch_model

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train, val, test = (load_characters(part) for part in ("train", "validation", "test"))
    spec = architecture("cnn-deep", len(CHARACTER_LABELS))
    net = torch_model(spec, torch)
    weights = torch.from_numpy(class_weights(train.labels, len(CHARACTER_LABELS)))
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-2)
    x, y = as_float_images(train.images), train.labels
    rng = np.random.default_rng(args.seed)
    batch, steps = 128, math.ceil(len(y) / 128)
    total, step, best = steps * args.epochs, 0, (-1.0, 0, None)
    started = time.perf_counter()

    def probabilities(data: Dataset | np.ndarray) -> np.ndarray:
        images = as_float_images(data.images) if isinstance(data, Dataset) else data
        net.eval()
        with torch.no_grad():
            out = [
                torch.softmax(net(torch.from_numpy(images[i : i + 512, None])), 1) for i in range(0, len(images), 512)
            ]
        return torch.cat(out).numpy()

    for epoch in range(1, args.epochs + 1):
        net.train()
        order = rng.permutation(len(y))
        for b in range(steps):
            idx = order[b * batch : (b + 1) * batch]
            images = torch.from_numpy(augment(x[idx], rng, AugmentConfig())[:, None])
            for group in optimizer.param_groups:
                group["lr"] = one_cycle(step, total, 3e-3)
            loss = (torch.nn.functional.cross_entropy(net(images), torch.from_numpy(y[idx]), reduction="none")
                    * weights[idx]).mean()  # fmt: skip
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
        accuracy = float(np.mean(probabilities(val).argmax(1) == val.labels))
        print(f"reference epoch {epoch}: validation {accuracy * 100:.2f}%  ({time.perf_counter() - started:.0f} s)")
        if accuracy >= best[0]:
            best = (accuracy, epoch, {k: v.clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[2])
    pngs, labels, _ = drawn_set(args.drawn, args.seed)
    drawn = np.stack([preprocess(png, recipe="emnist") for png in pngs])
    result = {
        "epochs": args.epochs,
        "best_epoch": best[1],
        "validation_accuracy": best[0],
        "seconds": time.perf_counter() - started,
        "torch": torch.__version__,
        "test": figures(probabilities(test), test.labels),
        "drawn": figures(probabilities(drawn), labels),
    }
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(json.dumps(result, indent=1))
    report("reference: test", result["test"])
    report("reference: drawn", result["drawn"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="characters")
    parser.add_argument("--split", choices=["validation", "test"], default="test")
    parser.add_argument("--drawn", type=int, default=3000, help="validation glyphs drawn on the canvas")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reference", action="store_true", help="train the PyTorch reference and keep its figures")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads for --reference")
    parser.add_argument("--recipes", action="store_true", help="compare the EMNIST recipe's border and blur")
    parser.add_argument("--with-model", action="store_true", help="with --recipes: also the model's accuracy")
    args = parser.parse_args()
    if args.reference:
        train_reference(args)
    elif args.recipes:
        compare_recipes(args)
    else:
        evaluate_ours(args)


if __name__ == "__main__":
    main()
