"""Training a line network with CTC: the corpus, the batches, the run.

The corpus is composed once (data.lines, by its seed and the generator's version), each line
found as a reader finds it (reading.line.find_written_line) and scaled to the network's input
(reading.network.line_input), and cached in var/cache/lines/ as uint8; training draws batches of
lines of like width (bucketed: no padding to the widest line of the corpus) and augments them
cheaply on the fly (width stretched, contrast, noise). Validation reads composed lines of the
validation digits by best path, every `validate_every` steps; the best weights are kept. A run
is resumable from its checkpoint (weights, the optimiser's moments, the step and the
randomness) and reproducible from its seed at the same thread count.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..data.datasets import load_mnist, train_val_split
from ..data.emnist import load_characters
from ..data.lines import MARKS, compose_line, digit_glyphs, printed_fonts
from ..data.text_lines import TEXT_LABELS, class_glyphs, compose_text_line
from ..imaging.decode import PreprocessError, load_pixels
from ..nn.ctc import CTCLoss, best_path
from ..nn.network import Sequential
from ..nn.optim import OPTIMIZERS, SCHEDULES
from ..paths import CACHE_DIR
from ..reading.line import find_written_line
from ..reading.network import COLUMN_PIXELS, LINE_HEIGHT, line_input

GENERATOR_VERSION = 1  # bump when data.lines or the line finder changes what a line looks like
CACHE = CACHE_DIR / "lines"  # var/cache/lines (MODEL_CORE_CACHE_DIR moves it)
DIGIT_LABELS = list("0123456789" + MARKS)  # class k + 1; class 0 the blank
LABELS = {"digits": DIGIT_LABELS, "characters": TEXT_LABELS}  # what each alphabet's line network emits


def line_architecture(classes: int, width: str = "lean") -> list[dict[str, Any]]:
    """The line network: four 3×3 convolution blocks (the last two pooling height only), the
    columns as a sequence, two temporal convolutions for context, and the scores of each step."""
    channels = {"lean": (16, 32, 64, 96), "wide": (32, 64, 96, 128)}[width]
    spec: list[dict[str, Any]] = []
    for filters, pool in zip(channels, ([2, 2], [2, 2], [2, 1], [2, 1]), strict=True):
        spec += [
            {"type": "conv2d", "filters": filters, "kernel": 3, "padding": 1},
            {"type": "batchnorm"},
            {"type": "relu"},
            {"type": "maxpool2d", "size": pool},
        ]
    spec += [
        {"type": "columns"},
        {"type": "temporalconv", "units": 160, "kernel": 5},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "dropout", "rate": 0.2},
        {"type": "temporalconv", "units": 160, "kernel": 3},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "temporalconv", "units": classes, "kernel": 1},
    ]
    return spec


@dataclass
class Corpus:
    images: list[np.ndarray]  # uint8 (LINE_HEIGHT, width) each
    written: list[str]
    conditions: list[list[str]]
    missed: int = 0  # lines the line finder found nothing in

    def encode(self, labels: list[str]) -> list[list[int]]:
        index = {label: k + 1 for k, label in enumerate(labels)}
        return [[index[c] for c in text] for text in self.written]


def _glyph_sources(part: str, alphabet: str = "digits") -> dict:
    """The glyphs of a part: for digits, training MNIST's training split and EMNIST's training
    digits; validation, MNIST's held-out 5,000 and EMNIST's validation digits; test, EMNIST's
    test digits. For characters, EMNIST's part of the 47 classes."""
    if alphabet == "characters":
        emnist = load_characters(part)
        return class_glyphs(emnist.images, emnist.labels)
    if part == "test":
        emnist = load_characters("test")
        keep = emnist.labels < 10
        return digit_glyphs(emnist.images[keep], emnist.labels[keep])
    mnist_train, mnist_val = train_val_split(load_mnist("train"), 5000, 0)
    mnist = mnist_train if part == "train" else mnist_val
    emnist = load_characters("train" if part == "train" else "validation")
    keep = emnist.labels < 10
    images = np.concatenate([mnist.images, emnist.images[keep]])
    labels = np.concatenate([mnist.labels, emnist.labels[keep]])
    return digit_glyphs(images, labels)


_worker: dict = {}


def _compose_chunk(args: tuple[str, int, int, str]) -> tuple[list, list, list, int]:
    part, seed, count, alphabet = args
    if _worker.get("part") != (part, alphabet):
        _worker.update(
            part=(part, alphabet),
            glyphs=_glyph_sources(part, alphabet),
            fonts=printed_fonts("test" if part == "test" else "train"),
        )
    rng = np.random.default_rng(seed)
    compose = compose_text_line if alphabet == "characters" else compose_line
    images, written, conditions, missed = [], [], [], 0
    for _ in range(count):
        line = compose(_worker["glyphs"], rng, _worker["fonts"], part="test" if part == "test" else "train")
        try:
            found = find_written_line(load_pixels(line.jpeg) if line.jpeg else line.page)
        except PreprocessError:
            found = None
        if found is None:
            missed += 1
            continue
        images.append(np.rint(line_input(found) * 255).astype(np.uint8))
        written.append(line.written)
        conditions.append(sorted(line.conditions))
    return images, written, conditions, missed


def corpus(
    part: str, count: int, seed: int, workers: int = 2, cache: Path | None = CACHE, alphabet: str = "digits"
) -> Corpus:
    """`count` composed lines of a part's numbers (or texts, for alphabet "characters"), found
    and scaled as a reader does, cached by alphabet, part, count, seed and GENERATOR_VERSION."""
    kind = "" if alphabet == "digits" else f"{alphabet}-"
    path = None if cache is None else cache / f"{kind}{part}-{count}-{seed}-v{GENERATOR_VERSION}.npz"
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            offsets = data["offsets"]
            flat = data["pixels"]
            images = [flat[:, offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
            meta = json.loads(str(data["meta"]))
        return Corpus(images, meta["written"], meta["conditions"], meta["missed"])
    chunk = 500
    jobs = [
        (part, seed * 100_003 + i, min(chunk, count - i * chunk), alphabet) for i in range(math.ceil(count / chunk))
    ]
    images, written, conditions, missed = [], [], [], 0
    with ProcessPoolExecutor(workers) as pool:
        for got in pool.map(_compose_chunk, jobs):
            images += got[0]
            written += got[1]
            conditions += got[2]
            missed += got[3]
    found = Corpus(images, written, conditions, missed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        offsets = np.cumsum([0] + [im.shape[1] for im in images])
        flat = np.concatenate(images, axis=1) if images else np.zeros((LINE_HEIGHT, 0), np.uint8)
        meta = json.dumps({"written": written, "conditions": conditions, "missed": missed})
        np.savez(path, pixels=flat, offsets=offsets, meta=np.array(meta))
    return found


@dataclass
class LineTrainConfig:
    steps: int = 6000
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    schedule: str = "onecycle"
    seed: int = 0
    corpus_size: int = 60000
    validation_size: int = 600
    validate_every: int = 250
    width: str = "lean"
    minutes: float = 0.0  # stop after this long (0: run every step)
    alphabet: str = "digits"  # what the lines hold: numbers, or words and codes ("characters")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LineRun:
    net: Sequential
    optimizer: Any
    step: int = 0
    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    curve: list[dict] = field(default_factory=list)
    best: tuple[float, int] = (-1.0, 0)
    seconds: float = 0.0
    train_lines: int = 0  # the corpus's lines it trained on


def batches(widths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The corpus's lines in batches of like width: sorted by width (ties broken at random),
    cut into batches, the batches in a random order."""
    order = np.lexsort((rng.random(len(widths)), widths))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [chunks[i] for i in rng.permutation(len(chunks))]


def assemble(images: list[np.ndarray], rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """A batch: the lines (augmented when `rng` is given: stretched 0.85-1.2 in width, contrast
    0.6-1.1, a little noise) side by side at their widest, zero-padded; and each line's steps."""
    prepared = []
    for image in images:
        x = image.astype(np.float32) / 255.0
        if rng is not None:
            width = max(COLUMN_PIXELS, int(x.shape[1] * rng.uniform(0.85, 1.2)))
            x = np.asarray(Image.fromarray(x).resize((width, LINE_HEIGHT), Image.Resampling.BILINEAR))
            x = np.clip(x * rng.uniform(0.6, 1.1) + rng.normal(0, rng.uniform(0, 0.05), x.shape), 0, 1)
        prepared.append(x)
    widest = max(x.shape[1] for x in prepared)
    widest += (-widest) % COLUMN_PIXELS
    out = np.zeros((len(prepared), LINE_HEIGHT, widest), np.float32)
    for i, x in enumerate(prepared):
        out[i, :, : x.shape[1]] = x
    return out, np.array([max(1, x.shape[1] // COLUMN_PIXELS) for x in prepared])


def read_best_path(net: Sequential, images: list[np.ndarray], labels: list[str], batch: int = 64) -> list[str]:
    """Each line read by best path (validation's quick reading)."""
    out = []
    order = np.argsort([im.shape[1] for im in images], kind="stable")
    texts: dict[int, str] = {}
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        x, steps = assemble([images[i] for i in idx], None)
        logits = net.logits(x)
        for i, row, n in zip(idx, logits, steps, strict=True):
            texts[int(i)] = "".join(labels[k - 1] for k in best_path(row[:n])[0])
    out = [texts[i] for i in range(len(images))]
    return out


def train_lines(
    config: LineTrainConfig,
    checkpoint: Path,
    log: Callable[[str], None] = print,
    labels: list[str] | None = None,
) -> LineRun:
    """Train (or resume from `checkpoint`) a line network on the corpus; the best validation
    weights are kept in `checkpoint`'s `best` arrays."""
    started = time.monotonic()
    labels = labels or LABELS[config.alphabet]
    train = corpus("train", config.corpus_size, config.seed, alphabet=config.alphabet)
    val = corpus("validation", config.validation_size, config.seed + 1, alphabet=config.alphabet)
    log(f"corpus: {len(train.images)} lines ({train.missed} missed), validation {len(val.images)} "
        f"({val.missed} missed), {time.monotonic() - started:.0f} s")  # fmt: skip
    targets = train.encode(labels)
    widths = np.array([im.shape[1] for im in train.images])
    net = Sequential(
        line_architecture(len(labels) + 1, config.width), seed=config.seed, input_shape=(LINE_HEIGHT, None, 1)
    )
    optimizer = OPTIMIZERS["adamw"](net.layers, lr=config.lr, weight_decay=config.weight_decay)
    run = LineRun(net, optimizer, rng=np.random.default_rng(config.seed), train_lines=len(train.images))
    best_weights = None
    if checkpoint.is_file():
        run, best_weights = _resume(run, checkpoint)
        log(f"resumed at step {run.step}")
    schedule = SCHEDULES[config.schedule]
    loss_fn = CTCLoss()
    queue: list[np.ndarray] = []
    recent = []
    clock = time.monotonic()
    with net.training_threads():
        while run.step < config.steps:
            if config.minutes and run.seconds + (time.monotonic() - clock) > config.minutes * 60:
                log(f"stopped at step {run.step}: {config.minutes} minutes")
                break
            if not queue:
                queue = batches(widths, config.batch_size, run.rng)
            idx = queue.pop()
            x, steps = assemble([train.images[i] for i in idx], run.rng)
            logits = net.forward(x, training=True)
            loss = loss_fn.forward(logits, [targets[i] for i in idx], steps)
            net.backward(loss_fn.backward())
            optimizer.lr = schedule(run.step, config.steps, config.lr)
            optimizer.step()
            run.step += 1
            recent.append(loss)
            if run.step % config.validate_every == 0 or run.step == config.steps:
                run.seconds += time.monotonic() - clock
                clock = time.monotonic()
                read = read_best_path(net, val.images, labels)
                exact = float(np.mean([r == t for r, t in zip(read, val.written, strict=True)]))
                point = {
                    "step": run.step,
                    "minutes": round(run.seconds / 60, 2),
                    "loss": round(float(np.mean(recent)), 4),
                    "validation_exact": round(exact, 4),
                }
                recent = []
                run.curve.append(point)
                log(json.dumps(point))
                if exact > run.best[0]:
                    run.best = (exact, run.step)
                    best_weights = {k: v.copy() for k, v in net.weights().items()}
                _save(run, best_weights, checkpoint, config)
                clock = time.monotonic()
    run.seconds += time.monotonic() - clock
    _save(run, best_weights, checkpoint, config)
    if best_weights is not None:
        net.set_weights(best_weights)
    return run


def _save(run: LineRun, best: dict | None, path: Path, config: LineTrainConfig) -> None:
    arrays = {f"w/{k}": v for k, v in run.net.weights().items()}
    if best is not None:
        arrays.update({f"best/{k}": v for k, v in best.items()})
    for i, (m, v) in enumerate(zip(run.optimizer.m, run.optimizer.v, strict=True)):
        arrays[f"m/{i}"], arrays[f"v/{i}"] = m, v
    state = {
        "step": run.step,
        "t": run.optimizer.t,
        "curve": run.curve,
        "best": list(run.best),
        "seconds": run.seconds,
        "rng": run.rng.bit_generator.state,
        "config": config.to_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, state=np.array(json.dumps(state)), **arrays)
    temporary.replace(path)


def _resume(run: LineRun, path: Path) -> tuple[LineRun, dict | None]:
    with np.load(path, allow_pickle=False) as data:
        state = json.loads(str(data["state"]))
        run.net.set_weights({k[2:]: data[k] for k in data.files if k.startswith("w/")})
        best = {k[5:]: data[k] for k in data.files if k.startswith("best/")} or None
        for i in range(len(run.optimizer.m)):
            run.optimizer.m[i][...] = data[f"m/{i}"]
            run.optimizer.v[i][...] = data[f"v/{i}"]
    run.optimizer.t = state["t"]
    run.step, run.curve, run.seconds = state["step"], state["curve"], state["seconds"]
    run.best = tuple(state["best"])
    run.rng.bit_generator.state = state["rng"]
    return run, best
