"""Reading handwritten numbers: exact-text accuracy and character error rate on numbers
composed of EMNIST's digits (model_core.data.numbers: the composition is in
docs/measurements.md, "Reading numbers", written before the first measurement), by length
and by touching or apart; and the time to read a 5-digit number on one thread.

`--split validation` (the default) composes them of EMNIST's validation digits, for
developing the reader; `--split test` of its test digits, read once for the published figures.

    python benchmarks/read.py [--split validation] [--count 1000] [--model cnn] [--seed 39]
"""

from __future__ import annotations

import argparse
import io
import os
from collections import defaultdict

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the time is one thread's, as a worker reads
os.environ.setdefault("MODEL_CORE_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from timing import median_ms  # noqa: E402

from model_core import load_model  # noqa: E402
from model_core.data.emnist import load_characters  # noqa: E402
from model_core.data.numbers import numbers  # noqa: E402
from model_core.reading import read_text  # noqa: E402


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def calibration_error(confidences: list[float], right: list[bool], bins: int = 15) -> float:
    """Expected calibration error: the gap between confidence and accuracy, over equal-width
    bins of confidence, weighted by how many readings fall in each."""
    conf, hit = np.asarray(confidences), np.asarray(right, float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    return float(sum(abs(conf[which == b].mean() - hit[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))  # fmt: skip


def fit_confidence(raw: list[float], right: list[bool]) -> tuple[float, float]:
    """Platt scaling of the reading's raw confidence (its characters' probabilities'
    product): P(right) = sigmoid(a · log(raw) + b), by Newton's method on the log loss."""
    x = np.log(np.clip(np.asarray(raw), 1e-12, 1.0))
    y = np.asarray(right, float)
    a, b = 1.0, 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a * x + b)))
        w = p * (1 - p) + 1e-9
        grad = np.array([((p - y) * x).sum(), (p - y).sum()])
        hess = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]])
        a, b = np.array([a, b]) - np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
    return float(a), float(b)


def png(number) -> bytes:
    canvas = 255 - number.canvas if number.dark_on_light else number.canvas
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, "PNG")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["validation", "test"], default="validation")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--model", default=None)
    parser.add_argument("--seed", type=int, default=39)
    parser.add_argument("--show", type=int, default=0, help="print this many misread numbers")
    parser.add_argument("--scorer", default=None, help="a model saying how much each candidate is one character")
    parser.add_argument(
        "--fit-confidence",
        action="store_true",
        help="fit the confidence's calibration on this material (validation only)",
    )
    args = parser.parse_args()
    model = load_model(args.model)
    scorer = load_model(args.scorer) if args.scorer else None
    part = load_characters(args.split)
    digits = part.labels < 10
    items = numbers(part.images[digits], part.labels[digits], args.count, args.seed)
    rows: dict[str, list[tuple[bool, int, int]]] = defaultdict(list)  # (exact, edits, length)
    shown = 0
    confidences, raw, right = [], [], []
    for text, number in items:
        reading = read_text(model, png(number), scorer=scorer)
        read = reading.text
        confidences.append(reading.confidence)
        raw.append(reading.raw_confidence)
        right.append(read == text)
        edits = edit_distance(read, text)
        for key in ("all", f"{len(text)} digits", "touching" if number.touching else "apart"):
            rows[key].append((read == text, edits, len(text)))
        if read != text and shown < args.show:
            print(f"  {text} read as {read or '(nothing)'}{' (touching)' if number.touching else ''}")
            shown += 1
    print(f"model {model.name} {model.version}; {args.split}: {args.count} numbers of EMNIST {args.split} digits")
    print("| numbers | count | exact | character error rate |\n|---|---|---|---|")
    order = ["all", "apart", "touching", *(f"{n} digits" for n in range(2, 9))]
    for key in order:
        if key in rows:
            r = rows[key]
            exact = sum(e for e, _, _ in r) / len(r)
            cer = sum(d for _, d, _ in r) / sum(n for _, _, n in r)
            print(f"| {key} | {len(r)} | {exact * 100:.2f}% | {cer * 100:.2f}% |")
    print(f"\nconfidence: expected calibration error {calibration_error(confidences, right) * 100:.2f}% (15 bins)")
    if args.fit_confidence:
        if args.split == "test":
            raise SystemExit("the confidence is fitted on validation, never on the test part")
        a, b = fit_confidence(raw, right)
        print(f"fitted: CONFIDENCE_SLOPE = {a:.4f}, CONFIDENCE_SHIFT = {b:.4f}")
    five = next(png(n) for t, n in items if len(t) == 5)
    print(f"\na 5-digit number read in {median_ms(lambda: read_text(model, five), 50):.1f} ms (median, one thread)")


if __name__ == "__main__":
    main()
