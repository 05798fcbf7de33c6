"""An attempt, measured and not shipped: the characters network taught what the reader cuts.

The reader of words fails where the network meets what it never saw: a letter cut from a
composed line (scaled, thickened, slanted: a small e's loop closes), and a piece of a letter
or parts of two, which it reads as a confident letter. This teaches it both, in our NumPy
library: composed words of EMNIST's *training* letters (model_core.data.words) are read by the
reader, every candidate it cuts is kept with its 28×28 and labelled by the composition's boxes
(one letter's: its class; a piece of one or parts of two: a 48th output, "not one
character"), and the shipped `characters` network, its last layer widened to 48 outputs, is
trained on them with 40,000 of EMNIST's own training characters mixed in. Saved with the
"class" rule, the reader takes its "not one character" output as how much a candidate is one
character (model_core.reading). Then, on validation:

    python benchmarks/read.py --words --count 1000 --seed 40 --boxes 300 --model var/taught-reader

    python benchmarks/taught_reader.py [--texts 16000] [--epochs 4] [--out var/taught-reader]
"""

from __future__ import annotations

import argparse
import copy
import io
import time

import numpy as np
from PIL import Image

import model_core.reading.lattice as lattice
from model_core import load_model
from model_core.data.datasets import Dataset
from model_core.data.emnist import load_characters
from model_core.data.words import glyph_class, words
from model_core.imaging.decode import DEFAULT_LIMITS, load_pixels
from model_core.imaging.encode import to_uint8
from model_core.model import Model
from model_core.nn.network import Sequential
from model_core.reading.line import find_line
from model_core.saved import save_model
from model_core.training.train import TrainConfig, train

NOT_ONE = 47  # the 48th output


class Candidates:
    """What the reader cut from one line: its candidates' 28×28s and their spans in the
    image's columns, watched from outside (the reader keeps them to itself)."""

    def __init__(self, model: Model):
        self.model = model

    def __call__(self, source: bytes) -> list[tuple[np.ndarray, tuple[int, int]]]:
        line = find_line(load_pixels(source))
        if line is None:
            return []
        seen: dict = {"pieces": [], "images": None}
        piece = lattice._piece

        def watched_piece(*args):
            found = piece(*args)
            seen["pieces"].append(found)
            return found

        model = self.model

        class Watched:
            def __getattr__(self, name):
                return getattr(model, name)

            def scores(self, x, *args, **kwargs):
                seen["images"] = x.copy()
                return model.scores(x, *args, **kwargs)

        lattice._piece = watched_piece
        try:
            lattice.LatticeReader(Watched(), "characters").read(line, DEFAULT_LIMITS)
        finally:
            lattice._piece = piece
        crops = [p for p in seen["pieces"] if p is not None]
        if seen["images"] is None or len(crops) != len(seen["images"]):
            return []
        left = line.box[1]
        spans = [(left + x0, left + x1) for _, (x0, x1, _, _) in crops]
        return list(zip(seen["images"], spans, strict=True))


def label_of(span: tuple[int, int], truth: list[tuple[int, int]], classes: list[int]) -> int | None:
    """One letter's class when the candidate covers it (and little else), NOT_ONE for a piece
    of one or parts of two, None when in between (left out)."""
    a, z = span
    width = max(1, z - a)
    overlaps = [max(0, min(z, t1) - max(a, t0)) for t0, t1 in truth]
    covered = sorted((o / max(1, t1 - t0) for o, (t0, t1) in zip(overlaps, truth, strict=True)), reverse=True)
    best = int(np.argmax(overlaps))
    share = overlaps[best] / max(1, truth[best][1] - truth[best][0])
    second = covered[1] if len(covered) > 1 else 0.0
    if overlaps[best] / width >= 0.75 and share >= 0.75 and second < 0.25:
        return classes[best]
    if share < 0.6 or second >= 0.3:
        return NOT_ONE
    return None


def crops(model: Model, texts: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    part = load_characters("train")
    letters = part.labels >= 10
    cut = Candidates(model)
    images, labels = [], []
    for text, _, line in words(part.images[letters], part.labels[letters], texts, seed):
        if max(line.canvas.shape) > 1280:  # read at a reduced size: the boxes would not match
            continue
        buffer = io.BytesIO()
        Image.fromarray(255 - line.canvas if line.dark_on_light else line.canvas).save(buffer, "PNG")
        classes = [glyph_class(ch) for ch in text if ch != " "]
        truth = [(x, x + w) for x, _, w, _ in line.boxes]
        for image, span in cut(buffer.getvalue()):
            label = label_of(span, truth, classes)
            if label is not None:
                images.append(to_uint8(image))
                labels.append(label)
    return np.stack(images), np.array(labels, np.int64)


def widened(base: Model) -> tuple[Sequential, list[dict]]:
    """The base network with one more output, its own outputs as they were."""
    spec = copy.deepcopy(base.members[0].spec)
    spec[-1]["units"] = NOT_ONE + 1
    net = Sequential(spec, seed=5)
    weights = {k: v.copy() for k, v in base.members[0].weights().items()}
    last_w = [k for k in weights if k.endswith(".W")][-1]
    last_b = [k for k in weights if k.endswith(".b")][-1]
    w, b = net.weights()[last_w].copy(), net.weights()[last_b].copy()
    w[:, :NOT_ONE], b[:NOT_ONE] = weights[last_w], weights[last_b]
    w[:, NOT_ONE] = 0.01 * np.random.default_rng(0).standard_normal(w.shape[0])
    b[NOT_ONE] = float(np.median(weights[last_b]))
    weights[last_w], weights[last_b] = w, b
    net.set_weights(weights)
    return net, spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=16000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--out", default="var/taught-reader")
    args = parser.parse_args()
    base = load_model("characters")
    started = time.perf_counter()
    x, y = crops(base, args.texts, args.seed)
    seconds = time.perf_counter() - started
    print(f"{len(y)} candidates cut ({int((y == NOT_ONE).sum())} not one character) in {seconds:.0f} s")
    emnist = load_characters("train")
    mixed = np.random.default_rng(1).choice(len(emnist.labels), 40000, replace=False)
    data = Dataset(
        np.concatenate([x, emnist.images[mixed]]), np.concatenate([y, emnist.labels[mixed]]), [*base.labels, "-"], {}
    )
    net, spec = widened(base)
    result = train(spec, data, None, TrainConfig(epochs=args.epochs, lr=5e-4, schedule="cosine", seed=3), network=net)
    card = copy.deepcopy(base.card)
    card.update(name="taught-reader", not_a_digit={"method": "class", "threshold": 0.5, "temperature": 1.0})
    card["training"] = {"command": "python benchmarks/taught_reader.py", "history": result.history}
    print(save_model(Model([result.network], base.labels, card), args.out))


if __name__ == "__main__":
    main()
