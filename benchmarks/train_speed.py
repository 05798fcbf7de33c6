"""Our NumPy network against PyTorch (CPU) on the same architecture and the same batches.

Prints seconds per training epoch (55,000 images, batch 128, AdamW, no augmentation, timed
over --batches batches and scaled to an epoch) and seconds for inference over the 10,000
test images (ours in the batches our library picks for the architecture, PyTorch's in
batches of TORCH_INFERENCE_BATCH, its fastest), for both frameworks in one run, with the
ratio NumPy ÷ PyTorch. The two take turns, --rounds times, so that drift in the machine's
speed during the run falls on both alike.
Both use the same number of threads. PyTorch is a `bench` extra, never a runtime dependency.

    pip install -e '.[bench]' && python benchmarks/train_speed.py [--batches 100] [--rounds 5] [--threads 2]
        [--archs mlp cnn cnn-deep]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from model_core.data.datasets import as_float_images, load_mnist
from model_core.nn.losses import SoftmaxCrossEntropy
from model_core.nn.network import Sequential, architecture
from model_core.nn.optim import AdamW

EPOCH_IMAGES = 55_000
BATCH = 128
# PyTorch's fastest of 16, 64, 128, 256 and 1000 for cnn and cnn-deep here (mlp: 128 and up, by 10%)
TORCH_INFERENCE_BATCH = 64
WARM_UP_IMAGES = 64  # each side's inference runs once on these before timing


def torch_model(spec, torch):
    nn = torch.nn
    layers, shape = [], (1, 28, 28)  # NCHW without the batch axis
    for entry in spec:
        kind = entry["type"]
        if kind == "conv2d":
            conv = nn.Conv2d(
                shape[0], entry["filters"], entry["kernel"], entry.get("stride", 1), entry.get("padding", 0)
            )
            layers.append(conv)
            k, s, p = entry["kernel"], entry.get("stride", 1), entry.get("padding", 0)
            shape = (entry["filters"], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif kind == "batchnorm":
            layers.append(nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0]))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "maxpool2d":
            layers.append(nn.MaxPool2d(entry["size"]))
            shape = (shape[0], shape[1] // entry["size"], shape[2] // entry["size"])
        elif kind == "dropout":
            layers.append(nn.Dropout(entry["rate"]))
        elif kind == "flatten":
            layers.append(nn.Flatten())
            shape = (int(np.prod(shape)),)
        elif kind == "dense":
            layers.append(nn.Linear(shape[0], entry["units"]))
            shape = (entry["units"],)
    return nn.Sequential(*layers)


def numpy_trainer(spec, x, y):
    """A step function over batch i for our network, and the network."""
    net = Sequential(spec, seed=0)
    opt = AdamW(net.layers, lr=1e-3)
    loss = SoftmaxCrossEntropy()

    def step(i):
        xb, yb = x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH]
        with net.training_threads():  # as model_core.training.train does: the same cores, used our way
            loss.forward(net.forward(xb, training=True), yb)
            net.backward(loss.backward())
            opt.step()

    def infer(images):
        return net.logits(images)  # in the batches our library picks for the architecture

    return step, infer


def torch_trainer(spec, x, y, torch):
    model = torch_model(spec, torch)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x[:, None]), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(i):
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt[i * BATCH : (i + 1) * BATCH]), yt[i * BATCH : (i + 1) * BATCH])
        loss.backward()
        opt.step()

    def infer(images):
        model.eval()
        with torch.no_grad():
            batches = torch.from_numpy(images[:, None])
            for i in range(0, len(batches), TORCH_INFERENCE_BATCH):
                model(batches[i : i + TORCH_INFERENCE_BATCH])

    return step, infer


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def steps(step, chunk: range) -> None:
    for i in chunk:
        step(i)


def compare(ours, theirs, x_test, batches: int, rounds: int) -> tuple[list[float], ...]:
    """Alternate the two frameworks round by round, so a machine that speeds up or slows
    down over the run (this one does) weighs on both alike. Returns per-round seconds per
    epoch and per 10k-image inference, ours and theirs."""
    (our_step, our_infer), (their_step, their_infer) = ours, theirs
    for fn in (our_step, their_step):
        fn(0)  # warm-up
    for infer in (our_infer, their_infer):
        infer(x_test[:WARM_UP_IMAGES])
    per_round = max(1, batches // rounds)
    scale = EPOCH_IMAGES / (per_round * BATCH)
    out = ([], [], [], [])
    for r in range(rounds):
        chunk = range(1 + r * per_round, 1 + (r + 1) * per_round)
        out[0].append(timed(steps, our_step, chunk) * scale)
        out[1].append(timed(steps, their_step, chunk) * scale)
        out[2].append(timed(our_infer, x_test))
        out[3].append(timed(their_infer, x_test))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=100, help="training batches timed per framework")
    parser.add_argument("--rounds", type=int, default=5, help="alternations between the two frameworks")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--archs", nargs="+", default=["mlp", "cnn"], help="named architectures to compare")
    args = parser.parse_args()
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    train_set, test_set = load_mnist("train"), load_mnist("test")
    x = as_float_images(train_set.images[: (args.batches + 1) * BATCH])
    y = train_set.labels[: (args.batches + 1) * BATCH]
    x_test = as_float_images(test_set.images)
    rows = []
    with threadpool_limits(args.threads), torch.inference_mode(False):
        for arch in args.archs:
            spec = architecture(arch)
            ours, theirs, ours_infer, theirs_infer = compare(
                numpy_trainer(spec, x, y), torch_trainer(spec, x, y, torch), x_test, args.batches, args.rounds
            )
            rows.append((f"{arch} training, s/epoch", ours, theirs))
            rows.append((f"{arch} inference, 10k images, s", ours_infer, theirs_infer))
    print(f"\nthreads: {args.threads}, rounds: {args.rounds}, numpy {np.__version__}, torch {torch.__version__}")
    print("medians over the rounds; the ratio is the median of the per-round ratios (and its range)")
    print("| measure | NumPy (ours) | PyTorch | ratio | range |\n|---|---|---|---|---|")
    for name, ours, theirs in rows:
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        print(
            f"| {name} | {statistics.median(ours):.2f} | {statistics.median(theirs):.2f} | "
            f"{statistics.median(ratios):.2f} | {min(ratios):.2f}–{max(ratios):.2f} |"
        )


if __name__ == "__main__":
    main()
