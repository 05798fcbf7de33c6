"""Small scans: a 12-40 px digit read as well as the same scan enlarged.

Each digit (MNIST's held-out validation digits and EMNIST's validation digits, or with
`--split test` MNIST's and EMNIST's test digits, read once) becomes a small scan
(`model_core.data.synth.small_scan`: dark ink on light paper, 12, 16, 20, 28 or 40 px,
anti-aliased or not, some binarised, a little scanner noise) and is read three ways, as PNG
through the API's preprocessing:
  - dark on light, as scanned;
  - light on dark (the same scan inverted);
  - the reference: light on dark enlarged 10x (bicubic), as the same digit drawn big.
Printed per size and polarity: accuracy, "nothing drawn" rate, and the gap to the reference.

    python benchmarks/small_scans.py [--split validation] [--per-size 1000] [--model cnn]
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

from model_core import load_model
from model_core.data.datasets import load_mnist, mnist_validation
from model_core.data.emnist import load_characters
from model_core.data.synth import SCAN_SIZES, small_scan
from model_core.imaging.decode import EmptyImageError
from model_core.imaging.preprocess import preprocess

FORMS = ("dark_on_light", "light_on_dark", "enlarged_10x")


def digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's and EMNIST's digits of one split, interleaved half and half."""
    mnist = mnist_validation() if split == "validation" else load_mnist("test")
    emnist = load_characters(split)
    keep = emnist.labels < 10  # the digits come first among EMNIST's 47 labels
    images = np.concatenate([mnist.images, emnist.images[keep]])
    labels = np.concatenate([mnist.labels, emnist.labels[keep]])
    return images, labels


def png(grey: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, "PNG")
    return buffer.getvalue()


def forms(scan: np.ndarray) -> dict[str, bytes]:
    inverted = 255 - scan
    big = Image.fromarray(inverted).resize((scan.shape[1] * 10, scan.shape[0] * 10), Image.Resampling.BICUBIC)
    return {"dark_on_light": png(scan), "light_on_dark": png(inverted), "enlarged_10x": png(np.asarray(big))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["validation", "test"], default="validation")
    parser.add_argument("--per-size", type=int, default=1000, help="digits per size (each read in three forms)")
    parser.add_argument("--model", default=None, help="a shipped model (default: the default model)")
    parser.add_argument("--seed", type=int, default=36)
    args = parser.parse_args()
    model = load_model(args.model)
    images, labels = digits(args.split)
    rng = np.random.default_rng(args.seed)
    print(f"model {model.name} {model.version}; {args.split}: {args.per_size} digits a size, each in 3 forms")
    print("| size | form | accuracy | nothing drawn | gap to enlarged |\n|---|---|---|---|---|")
    totals = {form: [0, 0, 0] for form in FORMS}  # right, empty, count
    started = time.perf_counter()
    for size in SCAN_SIZES:
        chosen = rng.choice(len(images), args.per_size, replace=False)
        inputs = {form: [] for form in FORMS}
        empty = dict.fromkeys(FORMS, 0)
        for i in chosen:
            for form, data in forms(small_scan(images[i], size, rng)).items():
                try:
                    inputs[form].append(preprocess(data, recipe=model.recipe))
                except EmptyImageError:
                    empty[form] += 1
                    inputs[form].append(None)
        accuracy = {}
        for form in FORMS:
            read = [k for k, x in enumerate(inputs[form]) if x is not None]
            predicted = model.predict_proba(np.stack([inputs[form][k] for k in read])).argmax(axis=1)
            right = int((np.array(model.labels)[predicted] == labels[chosen][read].astype(str)).sum())
            accuracy[form] = right / len(chosen)
            totals[form][0] += right
            totals[form][1] += empty[form]
            totals[form][2] += len(chosen)
        for form in FORMS:
            gap = (accuracy[form] - accuracy["enlarged_10x"]) * 100
            print(
                f"| {size} px | {form} | {accuracy[form] * 100:.2f}% | {empty[form] / len(chosen) * 100:.2f}% | "
                f"{gap:+.2f} |"
            )
    for form in FORMS:
        right, empty_count, count = totals[form]
        print(f"| all | {form} | {right / count * 100:.2f}% | {empty_count / count * 100:.2f}% | |")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
