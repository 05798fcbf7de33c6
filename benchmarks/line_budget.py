"""The line network's budget, measured before its long run: what composing, finding and scaling
a line costs (two processes), and a training step of 32 lines for each width (both cores).

    python benchmarks/line_budget.py [--lines 1000] [--alphabet characters]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from model_core.nn.ctc import CTCLoss
from model_core.nn.network import Sequential
from model_core.nn.optim import AdamW
from model_core.training.lines import LABELS, assemble, batches, corpus, line_architecture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--alphabet", choices=sorted(LABELS), default="digits", help="numbers, or words and codes")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = corpus("train", args.lines, 123, cache=None, alphabet=args.alphabet)
    seconds = time.perf_counter() - started
    widths = np.array([im.shape[1] for im in lines.images])
    each = seconds / args.lines * 1000
    print(f"{args.lines} lines composed, found and scaled in {seconds:.1f} s ({each:.1f} ms a line, 2 processes)")
    print(f"{lines.missed} missed; width mean {widths.mean():.0f} px, p95 {np.percentile(widths, 95):.0f}")
    labels = LABELS[args.alphabet]
    targets = lines.encode(labels)
    for width in ("lean", "wide"):
        net = Sequential(line_architecture(len(labels) + 1, width), input_shape=(32, None, 1))
        optimizer, loss, rng = AdamW(net.layers, lr=1e-3), CTCLoss(), np.random.default_rng(0)
        times = []
        with net.training_threads():
            for batch in batches(widths, 32, rng)[:12]:
                tick = time.perf_counter()
                x, steps = assemble([lines.images[i] for i in batch], rng)
                loss.forward(net.forward(x, training=True), [targets[i] for i in batch], steps)
                net.backward(loss.backward())
                optimizer.step()
                times.append(time.perf_counter() - tick)
        print(f"{width}: {net.parameter_count:,} parameters, a step of 32 lines {np.median(times[2:]):.3f} s (median)")


if __name__ == "__main__":
    main()
