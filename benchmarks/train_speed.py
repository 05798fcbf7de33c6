"""Our NumPy network against PyTorch (CPU) on the same architecture and the same batches.

Prints seconds per training epoch (55,000 images, batch 128, AdamW, no augmentation, timed
over --batches batches and scaled to an epoch) and seconds for inference over the 10,000
test images (in batches of INFERENCE_BATCH, the size our library uses), for both
frameworks in one run, with the ratio NumPy ÷ PyTorch.
Both use the same number of threads. PyTorch is a `bench` extra, never a runtime dependency.

    pip install -e '.[bench]' && python benchmarks/train_speed.py [--batches 60] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from model_core.data import load_mnist
from model_core.losses import SoftmaxCrossEntropy
from model_core.network import INFERENCE_BATCH, Sequential, architecture
from model_core.optim import AdamW
from model_core.train import as_float_images

EPOCH_IMAGES = 55_000
BATCH = 128


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


def time_numpy(spec, x, y, batches):
    net = Sequential(spec, seed=0)
    opt = AdamW(net.layers, lr=1e-3)
    loss = SoftmaxCrossEntropy()

    def step(i):
        xb, yb = x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH]
        loss.forward(net.forward(xb, training=True), yb)
        net.backward(loss.backward())
        opt.step()

    step(0)  # warm-up
    started = time.perf_counter()
    for i in range(batches):
        step(i)
    train = (time.perf_counter() - started) / (batches * BATCH) * EPOCH_IMAGES
    return train, net


def time_torch(spec, x, y, batches, torch):
    model = torch_model(spec, torch)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x[:, None]), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt[i * BATCH : (i + 1) * BATCH]), yt[i * BATCH : (i + 1) * BATCH])
        loss.backward()
        opt.step()

    model.train()
    step(0)
    started = time.perf_counter()
    for i in range(batches):
        step(i)
    train = (time.perf_counter() - started) / (batches * BATCH) * EPOCH_IMAGES
    return train, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=60, help="training batches timed per framework")
    parser.add_argument("--threads", type=int, default=2)
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
        for arch in ("mlp", "cnn"):
            spec = architecture(arch)
            np_train, net = time_numpy(spec, x, y, args.batches)
            pt_train, model = time_torch(spec, x, y, args.batches, torch)
            rows.append((f"{arch} training, s/epoch", np_train, pt_train))
            net.logits(x_test[:INFERENCE_BATCH])
            started = time.perf_counter()
            net.logits(x_test, batch_size=INFERENCE_BATCH)
            np_infer = time.perf_counter() - started
            model.eval()
            with torch.no_grad():
                xt = torch.from_numpy(x_test[:, None])
                model(xt[:INFERENCE_BATCH])
                started = time.perf_counter()
                for i in range(0, len(xt), INFERENCE_BATCH):
                    model(xt[i : i + INFERENCE_BATCH])
                pt_infer = time.perf_counter() - started
            rows.append((f"{arch} inference, 10k images, s", np_infer, pt_infer))
    print(f"\nthreads: {args.threads}, numpy {np.__version__}, torch {torch.__version__}")
    print("| measure | NumPy (ours) | PyTorch | ratio |\n|---|---|---|---|")
    for name, ours, theirs in rows:
        print(f"| {name} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
