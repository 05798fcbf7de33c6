"""Inference-only form of trained networks: fewer, bigger NumPy calls.

At inference BatchNorm is a fixed per-channel affine map, so it folds into the
convolution or dense layer before it; dropout disappears; ReLU runs in place on the
layer's output; the kernel matrices are laid out once, not per call. Networks that share
one architecture (the members of an ensemble) run as one grouped network: activations
carry a leading member axis and every layer is one stacked matmul, so answering one image
costs a handful of NumPy calls however many members there are.
Many images run in batches sized to stay in cache, the batches shared among the
library's threads, each with BLAS on one thread.

Training never goes through here; build a new `GroupedNetwork` after weights change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers import BatchNorm, Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, on_threads, windows

CACHE_BYTES = 4 << 20  # a batch's biggest im2col matrix stays within this: see batch_size()
MAX_BATCH = 128


@dataclass
class Op:
    kind: str  # conv | dense | affine | relu | pool | flatten
    weight: np.ndarray | None = None  # conv: (k*k*C, F) rows in im2col order; dense: (D, U); affine: scale
    bias: np.ndarray | None = None  # (F,) or (U,); affine: shift
    relu: bool = False
    kernel: int = 0
    stride: int = 1
    padding: int = 0
    size: int = 0  # pooling window


def fold(layers: list[Layer]) -> list[Op]:
    """One network's inference ops, in float64 until stacked: BatchNorm folded, ReLU fused."""
    ops: list[Op] = []
    for layer in layers:
        last = ops[-1] if ops else None
        if isinstance(layer, Dropout):
            continue
        if isinstance(layer, Conv2D):
            matrix = layer.params["W"].transpose(2, 3, 1, 0).reshape(-1, layer.filters)  # (ky, kx, c) rows
            ops.append(
                Op(
                    "conv",
                    matrix.astype(np.float64),
                    layer.params["b"].astype(np.float64),
                    kernel=layer.kernel,
                    stride=layer.stride,
                    padding=layer.padding,
                )
            )
        elif isinstance(layer, Dense):
            ops.append(Op("dense", layer.params["W"].astype(np.float64), layer.params["b"].astype(np.float64)))
        elif isinstance(layer, BatchNorm):
            scale = layer.params["gamma"].astype(np.float64) / np.sqrt(
                layer.state["var"].astype(np.float64) + layer.eps
            )
            shift = layer.params["beta"] - layer.state["mean"].astype(np.float64) * scale
            if last is not None and last.kind in {"conv", "dense"} and not last.relu:
                last.weight = last.weight * scale
                last.bias = last.bias * scale + shift
            else:
                ops.append(Op("affine", scale, shift))
        elif isinstance(layer, ReLU):
            if last is not None and last.kind in {"conv", "dense", "affine"}:
                last.relu = True
            else:
                ops.append(Op("relu"))
        elif isinstance(layer, MaxPool2D):
            ops.append(Op("pool", size=layer.size))
        elif isinstance(layer, Flatten):
            ops.append(Op("flatten"))
        else:
            raise TypeError(f"no inference form for {type(layer).__name__}")
    return ops


def batch_size(net, members: int = 1) -> int:
    """Images per inference batch: as many as keep the biggest im2col matrix of all `members`
    within CACHE_BYTES (so it is still in cache when the GEMM reads it), at most MAX_BATCH.
    Measured on the 10k test images, batches shared by two threads (best of three runs):
    cnn-deep 2.59 s in batches of 6 (a 4 MB matrix), 2.65 in 4s, 2.72 in 9s, 3.19 in 25s,
    3.7 in 128s; cnn level from 13 to 74 (1.14-1.19 s); mlp, which has no im2col, fastest
    from 128 up (0.15 s, 0.23 s in 32s)."""
    columns, shape = 0, net.input_shape
    for layer, out in zip(net.layers, net.shapes, strict=True):
        if isinstance(layer, Conv2D):
            columns = max(columns, out[0] * out[1] * layer.kernel**2 * shape[-1])
        shape = out
    return int(np.clip(CACHE_BYTES // max(1, 4 * columns * members), 1, MAX_BATCH))


class GroupedNetwork:
    """Several networks of one architecture evaluated together; `logits` → (members, N, outputs)."""

    def __init__(self, networks: list):
        if not networks:
            raise ValueError("a grouped network needs at least one network")
        per_net = [fold(net.layers) for net in networks]
        shapes = {
            tuple((op.kind, op.kernel, op.stride, op.padding, op.size, op.relu, np.shape(op.weight)) for op in ops)
            for ops in per_net
        }
        if len(shapes) != 1 or len({tuple(net.input_shape) for net in networks}) != 1:
            raise ValueError("networks in a group must share one architecture")
        self.members = len(networks)
        self.input_shape = tuple(networks[0].input_shape)
        self.batch_size = batch_size(networks[0], self.members)
        self.ops: list[Op] = []
        for group in zip(*per_net, strict=True):
            op = group[0]
            if op.weight is None:
                self.ops.append(op)
                continue
            weight = np.stack([o.weight for o in group]).astype(np.float32)  # (M, ...)
            bias = np.stack([o.bias for o in group]).astype(np.float32)[:, None, :]  # (M, 1, F)
            self.ops.append(Op(op.kind, weight, bias, op.relu, op.kernel, op.stride, op.padding, op.size))

    def logits(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Inputs (N, *input_shape) or (N, 28, 28), in batches of `batch_size` images (default
        `self.batch_size`); the batches are shared among the THREADS threads."""
        x = np.asarray(x, dtype=np.float32).reshape(-1, *self.input_shape)
        step = batch_size or self.batch_size
        batches = [x[i : i + step] for i in range(0, len(x), step)] or [x]
        return np.concatenate(on_threads(self._forward, batches), axis=1)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        x = x[None]  # a member axis of 1 broadcasts against the stacked weights until the first GEMM
        for op in self.ops:
            x = _RUN[op.kind](op, x)
        return x


def _conv(op: Op, x: np.ndarray) -> np.ndarray:
    g, n, h, w, c = x.shape
    k, s, p = op.kernel, op.stride, op.padding
    if p:
        padded = np.zeros((g, n, h + 2 * p, w + 2 * p, c), np.float32)
        padded[:, :, p : p + h, p : p + w] = x
        x = padded
    win = windows(x.reshape(g * n, *x.shape[2:]), k, s)  # (G*N, Ho, Wo, k, k*C)
    ho, wo = win.shape[1:3]
    cols = win.reshape(g, n * ho * wo, k * k * c)  # the copy: each window's rows in runs of k*C floats
    out = np.matmul(cols, op.weight)
    return _finish(op, out).reshape(len(out), n, ho, wo, -1)


def _dense(op: Op, x: np.ndarray) -> np.ndarray:
    return _finish(op, np.matmul(x, op.weight))


def _finish(op: Op, out: np.ndarray) -> np.ndarray:
    out += op.bias
    if op.relu:
        np.maximum(out, 0, out=out)
    return out


def _affine(op: Op, x: np.ndarray) -> np.ndarray:
    shape = (len(op.weight),) + (1,) * (x.ndim - 2) + (-1,)
    out = x * op.weight.reshape(shape) + op.bias.reshape(shape)
    return np.maximum(out, 0, out=out) if op.relu else out


def _pool(op: Op, x: np.ndarray) -> np.ndarray:
    s = op.size
    ho, wo = x.shape[2] // s, x.shape[3] // s
    out = x[:, :, 0 : ho * s : s, 0 : wo * s : s].copy()
    for i in range(s):
        for j in range(s):
            if i or j:
                np.maximum(out, x[:, :, i : ho * s : s, j : wo * s : s], out=out)
    return out


_RUN = {
    "conv": _conv,
    "dense": _dense,
    "affine": _affine,
    "relu": lambda op, x: np.maximum(x, 0),
    "pool": _pool,
    "flatten": lambda op, x: x.reshape(len(x), x.shape[1], -1),
}
