"""Inference-only form of trained networks: fewer, bigger NumPy calls.

At inference BatchNorm is a fixed per-channel affine map, so it folds into the
convolution or dense layer before it; dropout disappears; ReLU runs in place on the
layer's output; the kernel matrices are laid out once, not per call. Each layer says how
(`Layer.inference`, `Layer.fold_into`, `Layer.infer` in layers.py); this module only folds
and groups. Networks that share one architecture (the members of an ensemble) run as one
grouped network: activations carry a leading member axis and every layer is one stacked
matmul, so answering one image costs a handful of NumPy calls however many members there are.
Many images run in batches sized to stay in cache, the batches shared among the
library's threads, each with BLAS on one thread.

Training never goes through here; build a new `GroupedNetwork` after weights change.
"""

from __future__ import annotations

import numpy as np

from .layers import Conv2D, Inference, Layer
from .parallel import between_batches, on_threads

NOMINAL_WIDTH = 128  # a network taking any width (None) is built, and its shapes described, at this width
CACHE_BYTES = 4 << 20  # a batch's biggest im2col matrix stays within this: see batch_size()
MAX_BATCH = 128


def fold(layers: list[Layer]) -> list[Inference]:
    """One network's inference ops, in float64 until stacked: BatchNorm folded, ReLU fused."""
    ops: list[Inference] = []
    for layer in layers:
        if ops and layer.fold_into(ops[-1]):
            continue
        op = layer.inference()
        if op is not None:
            ops.append(op)
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
        if isinstance(layer, Conv2D):  # (a line network's, at its nominal width)
            height, width = (d or NOMINAL_WIDTH for d in out[:2])
            columns = max(columns, height * width * layer.kernel**2 * shape[-1])
        shape = out
    return int(np.clip(CACHE_BYTES // max(1, 4 * columns * members), 1, MAX_BATCH))


class GroupedNetwork:
    """Several networks of one architecture evaluated together; `logits` → (members, N, outputs)."""

    def __init__(self, networks: list):
        if not networks:
            raise ValueError("a grouped network needs at least one network")
        per_net = [fold(net.layers) for net in networks]
        if len({tuple(op.signature() for op in ops) for ops in per_net}) != 1 or (
            len({tuple(net.input_shape) for net in networks}) != 1
        ):
            raise ValueError("networks in a group must share one architecture")
        self.members = len(networks)
        self.input_shape = tuple(networks[0].input_shape)
        self.batch_size = batch_size(networks[0], self.members)
        self.ops: list[Inference] = []
        for group in zip(*per_net, strict=True):
            op = group[0]
            if op.weight is not None:
                op = Inference(
                    op.kind,
                    np.stack([o.weight for o in group]).astype(np.float32),  # (M, ...)
                    np.stack([o.bias for o in group]).astype(np.float32)[:, None, :],  # (M, 1, F)
                    op.relu,
                    op.config,
                )
            self.ops.append(op)

    def logits(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Inputs (N, *input_shape) or (N, 28, 28), in batches of `batch_size` images (default
        `self.batch_size`); the batches are shared among the library's threads."""
        x = np.asarray(x, dtype=np.float32)
        if None in self.input_shape:  # a line network: (N, H, W) or (N, H, W, C), one width for all
            x = x[..., None] if x.ndim == len(self.input_shape) else x
        else:
            x = x.reshape(-1, *self.input_shape)
        step = batch_size or self.batch_size
        batches = [x[i : i + step] for i in range(0, len(x), step)] or [x]
        check = between_batches()  # the caller's, taken on its own thread

        def forward(batch: np.ndarray) -> np.ndarray:
            if check is not None:
                check()
            return self._forward(batch)

        return np.concatenate(on_threads(forward, batches), axis=1)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        x = x[None]  # a member axis of 1 broadcasts against the stacked weights until the first GEMM
        for op in self.ops:
            x = op.kind.infer(op, x)
        return x
