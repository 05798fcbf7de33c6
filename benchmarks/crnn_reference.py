"""A PyTorch reference for reading numbers: a CRNN (convolutions, a bidirectional LSTM, CTC),
trained here on numbers composed of MNIST's and EMNIST's *training* digits by the same
composition benchmarks/read.py measures with (model_core.data.numbers), chosen on composed
validation numbers, and read on the same material as read.py: exact-text accuracy and
character error rate, by touching or apart, beside its training curve. Never a runtime
dependency: `pip install -e '.[bench]'` brings torch.

    python benchmarks/crnn_reference.py [--minutes 20] [--split validation|test] [--count 1000]
    python benchmarks/crnn_reference.py --lines --minutes 45   # on the line network's corpus, its curve
    python benchmarks/crnn_reference.py --lines --alphabet characters --corpus 80000   # on the words' corpus
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image
from read import edit_distance  # benchmarks/read.py

from model_core.data.datasets import load_mnist, train_val_split
from model_core.data.emnist import load_characters
from model_core.data.numbers import compose, numbers

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "crnn-reference.json"
HEIGHT, MAX_WIDTH = 32, 320
TRAIN_SCALE = 0.4  # training lines drawn at 0.4 of the composition's size: 24-56 px, shrunk to 32 anyway


def line(canvas: np.ndarray, dark_on_light: bool) -> np.ndarray:
    """The written line as the CRNN reads it: light on dark, cropped to its ink, 32 px high."""
    grey = 255 - canvas if dark_on_light else canvas
    if np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])) > 127:
        grey = 255 - grey  # a light page: the ink made light, as the network learnt it
    rows, cols = np.flatnonzero(grey.max(axis=1) > 40), np.flatnonzero(grey.max(axis=0) > 40)
    crop = grey[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] if rows.size else grey
    width = min(MAX_WIDTH, max(8, round(crop.shape[1] * HEIGHT / crop.shape[0])))
    out = np.zeros((HEIGHT, MAX_WIDTH), np.float32)
    out[:, :width] = np.asarray(Image.fromarray(crop).resize((width, HEIGHT), Image.Resampling.BILINEAR)) / 255.0
    return out


def build(torch, classes: int = 11):
    nn = torch.nn

    class CRNN(nn.Module):
        def __init__(self):
            super().__init__()

            def block(cin, cout, pool):
                return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(pool)]

            self.conv = nn.Sequential(
                *block(1, 32, (2, 2)), *block(32, 64, (2, 2)), *block(64, 128, (2, 1)), *block(128, 128, (2, 1))
            )
            self.rnn = nn.LSTM(128 * 2, 128, bidirectional=True, batch_first=True)
            self.out = nn.Linear(256, classes)  # blank, then the labels

        def forward(self, x):  # (N, 1, 32, W) → (W/4, N, 11) log-probabilities
            f = self.conv(x)  # (N, 128, 2, W/4)
            f = f.flatten(1, 2).transpose(1, 2)  # (N, W/4, 256)
            return self.out(self.rnn(f)[0]).log_softmax(-1).transpose(0, 1)

    return CRNN()


def decode(log_probs) -> list[str]:
    best = log_probs.argmax(-1).transpose(0, 1).tolist()
    texts = []
    for seq in best:
        chars, last = [], 0
        for k in seq:
            if k != last and k != 0:
                chars.append(str(k - 1))
            last = k
        texts.append("".join(chars))
    return texts


def figures(model, torch, items) -> dict:
    model.eval()
    rows = {"all": [], "apart": [], "touching": []}
    with torch.no_grad():
        for start in range(0, len(items), 128):
            chunk = items[start : start + 128]
            x = torch.from_numpy(np.stack([line(n.canvas, n.dark_on_light) for _, n in chunk]))[:, None]
            for (text, n), read in zip(chunk, decode(model(x)), strict=True):
                for key in ("all", "touching" if n.touching else "apart"):
                    rows[key].append((read == text, edit_distance(read, text), len(text)))
    model.train()
    return {
        key: {
            "count": len(r),
            "exact": sum(e for e, _, _ in r) / max(1, len(r)),
            "cer": sum(d for _, d, _ in r) / max(1, sum(n for _, _, n in r)),
        }
        for key, r in rows.items()
    }


def train_on_lines(args, torch) -> None:
    """The reference on the line network's own material: the same cached corpus (training.lines,
    docs/lines.md), the same 32-px lines, the same validation lines and labels (digits and marks),
    its validation curve by wall time beside ours (the line card's curve). With --alphabet
    characters, the words' corpus (docs/lines.md, Lines of words) and its labels."""
    from model_core.training.lines import LABELS, assemble, batches, corpus

    labels = LABELS[args.alphabet]
    train = corpus("train", args.corpus, 0, alphabet=args.alphabet)
    val = corpus("validation", 600, 1, alphabet=args.alphabet)
    targets = train.encode(labels)
    widths = np.array([im.shape[1] for im in train.images])
    model = build(torch, classes=len(labels) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    rng = np.random.default_rng(0)
    curve, started, step, queue = [], time.monotonic(), 0, []
    clock = 0.0  # training seconds, validation left out (as our curve counts them)
    while clock < args.minutes * 60:
        tick = time.monotonic()
        if not queue:
            queue = batches(widths, 32, rng)
        idx = queue.pop()
        x, steps = assemble([train.images[i] for i in idx], rng)
        log_probs = model(torch.from_numpy(x)[:, None])
        flat = torch.tensor([k for i in idx for k in targets[i]])
        loss = ctc(log_probs, flat, torch.tensor(steps), torch.tensor([len(targets[i]) for i in idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        clock += time.monotonic() - tick
        if step % 500 == 0:
            read = read_lines(model, torch, val.images, labels)
            exact = float(np.mean([r == t for r, t in zip(read, val.written, strict=True)]))
            curve.append({"step": step, "minutes": round(clock / 60, 2), "validation_exact": round(exact, 4)})
            print(curve[-1], flush=True)
    OUT.parent.mkdir(exist_ok=True)
    result = {"material": "lines", "alphabet": args.alphabet, "corpus": args.corpus, "steps": step, "curve": curve,
              "wall_minutes": round((time.monotonic() - started) / 60, 1)}  # fmt: skip
    name = "crnn-reference-lines.json" if args.alphabet == "digits" else f"crnn-reference-lines-{args.alphabet}.json"
    (OUT.parent / name).write_text(json.dumps(result, indent=1))


def read_lines(model, torch, images, labels) -> list[str]:
    from model_core.training.lines import assemble

    model.eval()
    out = {}
    order = np.argsort([im.shape[1] for im in images], kind="stable")
    with torch.no_grad():
        for start in range(0, len(order), 64):
            idx = order[start : start + 64]
            x, steps = assemble([images[i] for i in idx], None)
            best = model(torch.from_numpy(x)[:, None]).argmax(-1).transpose(0, 1).tolist()
            for i, seq, n in zip(idx, best, steps, strict=True):
                chars, last = [], 0
                for k in seq[:n]:
                    if k != last and k != 0:
                        chars.append(labels[k - 1])
                    last = k
                out[int(i)] = "".join(chars)
    model.train()
    return [out[i] for i in range(len(images))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--split", choices=["validation", "test"], default="validation")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=39, help="the material's seed, as read.py's")
    parser.add_argument("--lines", action="store_true", help="train on the line network's corpus (docs/lines.md)")
    parser.add_argument("--corpus", type=int, default=100000, help="with --lines: the cached corpus's size")
    parser.add_argument("--alphabet", choices=["digits", "characters"], default="digits", help="with --lines")
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(2)
    if args.lines:
        return train_on_lines(args, torch)
    mnist_train, _ = train_val_split(load_mnist("train"), 5000, 0)
    emnist = load_characters("train")
    keep = emnist.labels < 10
    images = np.concatenate([mnist_train.images, emnist.images[keep]])
    labels = np.concatenate([mnist_train.labels, emnist.labels[keep]])
    val_part = load_characters("validation")
    val = numbers(val_part.images[val_part.labels < 10], val_part.labels[val_part.labels < 10], 300, 7)
    model = build(torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    rng = np.random.default_rng(0)
    curve, started, step, best = [], time.monotonic(), 0, (-1.0, None)
    while time.monotonic() - started < args.minutes * 60:
        batch = []
        for _ in range(64):
            length = int(rng.integers(2, 9))
            picks = rng.integers(0, len(images), length)
            written = compose([images[i] for i in picks], rng, scale=TRAIN_SCALE)
            batch.append(("".join(str(int(labels[i])) for i in picks), written))
        x = torch.from_numpy(np.stack([line(n.canvas, n.dark_on_light) for _, n in batch]))[:, None]
        targets = torch.tensor([int(c) + 1 for text, _ in batch for c in text])
        lengths = torch.tensor([len(text) for text, _ in batch])
        log_probs = model(x)
        loss = ctc(log_probs, targets, torch.full((len(batch),), log_probs.shape[0], dtype=torch.long), lengths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        if step % 200 == 0:
            exact = figures(model, torch, val)["all"]["exact"]
            curve.append(
                {
                    "step": step,
                    "minutes": round((time.monotonic() - started) / 60, 1),
                    "loss": loss.item(),
                    "validation_exact": exact,
                }
            )
            print(curve[-1], flush=True)
            if exact > best[0]:
                best = (exact, {k: v.clone() for k, v in model.state_dict().items()})
    if best[1] is not None:
        model.load_state_dict(best[1])  # chosen on validation
    part = load_characters(args.split)
    material = numbers(part.images[part.labels < 10], part.labels[part.labels < 10], args.count, args.seed)
    result = {
        "split": args.split,
        "steps": step,
        "minutes": args.minutes,
        "curve": curve,
        "figures": figures(model, torch, material),
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["figures"], indent=1))


if __name__ == "__main__":
    main()
