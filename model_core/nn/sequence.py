"""Layers for reading a line: a feature map's columns as a sequence, and a convolution along it.

A line network's convolutions (layers.Conv2D, with layers.MaxPool2D shrinking height and width
apart) turn a line of any width into an (N, H', W', C) map; `Columns` makes each column one
step of a sequence of H'·C features, and `TemporalConv` is a convolution along the steps
(kernel k, the sequence's length kept): with kernel 1 it is a dense layer at every step, the
scores of each column. Both vectorised as one matrix product: no loop over time.

Sequences travel as (N, T, F) float32. At inference an op carries a leading member axis, as
every layer's does (layers.Inference).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .layers import Inference, Layer, he_normal, with_bias_and_relu


class Columns(Layer):
    """(N, H, W, C) → (N, W, H·C): each column of the map, its rows' channels in order, one step."""

    def build(self, input_shape, rng):
        h, w, c = input_shape
        return (w, h * c)

    def forward(self, x, training=False):
        self.input_shape = x.shape
        n, h, w, c = x.shape
        return np.ascontiguousarray(x.transpose(0, 2, 1, 3)).reshape(n, w, h * c)

    def backward(self, grad):
        n, h, w, c = self.input_shape
        return np.ascontiguousarray(grad.reshape(n, w, h, c).transpose(0, 2, 1, 3))

    def inference(self):
        return Inference(Columns)

    @staticmethod
    def infer(op, x):
        g, n, h, w, c = x.shape
        return np.ascontiguousarray(x.transpose(0, 1, 3, 2, 4)).reshape(g, n, w, h * c)


def steps(x: np.ndarray, kernel: int) -> np.ndarray:
    """Every window of `kernel` steps of (..., T + kernel - 1, F) `x` as a (..., T, kernel·F)
    view: one step's window is kernel·F contiguous floats."""
    x = np.ascontiguousarray(x)
    *lead, t_padded, f = x.shape
    t = t_padded - kernel + 1
    strides = (*x.strides[:-2], x.strides[-2], x.strides[-1])
    return as_strided(x, (*lead, t, kernel * f), strides, writeable=False)


class TemporalConv(Layer):
    """A convolution along a sequence, (N, T, F) → (N, T, units): out[t] = Σ_j x[t + j - k//2] · W_j + b,
    zeros beyond both ends; weights (kernel·F, units), each step's window flattened."""

    fuses_affine = True

    def __init__(self, units: int, kernel: int = 1) -> None:
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"a temporal convolution's kernel is odd (it keeps the length); got {kernel}")
        self.units, self.kernel = units, kernel

    def build(self, input_shape, rng):
        t, f = input_shape
        fan_in = self.kernel * f
        self.params = {"W": he_normal(rng, (fan_in, self.units), fan_in), "b": np.zeros(self.units, np.float32)}
        return (t, self.units)

    def _padded(self, x: np.ndarray) -> np.ndarray:
        pad = self.kernel // 2
        return np.pad(x, ((0, 0), (pad, pad), (0, 0))) if pad else x

    def forward(self, x, training=False):
        n, t, f = x.shape
        self.x_shape = x.shape
        self.cols = cols = steps(self._padded(x), self.kernel).reshape(n * t, self.kernel * f)
        out = cols @ self.params["W"]
        out += self.params["b"]
        return out.reshape(n, t, self.units)

    def backward(self, grad):
        n, t, f = self.x_shape
        g = grad.reshape(n * t, self.units)
        self.grads = {"W": self.cols.T @ g, "b": g.sum(axis=0)}
        dcols = (g @ self.params["W"].T).reshape(n, t, self.kernel, f)
        pad = self.kernel // 2
        dx = np.zeros((n, t + 2 * pad, f), dcols.dtype)
        for j in range(self.kernel):  # each tap's share, added along the sequence
            dx[:, j : j + t] += dcols[:, :, j]
        return dx[:, pad : pad + t]

    def config(self):
        return {"units": self.units, "kernel": self.kernel}

    def inference(self):
        w, b = self.params["W"].astype(np.float64), self.params["b"].astype(np.float64)
        return Inference(TemporalConv, w, b, config={"kernel": self.kernel})

    @staticmethod
    def infer(op, x):
        g, n, t, f = x.shape
        k = op.config["kernel"]
        pad = k // 2
        if pad:
            padded = np.zeros((g, n, t + 2 * pad, f), np.float32)
            padded[:, :, pad : pad + t] = x
            x = padded
        cols = steps(x, k).reshape(g, n * t, k * f)
        out = with_bias_and_relu(op, np.matmul(cols, op.weight))
        return out.reshape(len(out), n, t, -1)


SEQUENCE_LAYERS: dict[str, type[Layer]] = {"columns": Columns, "temporalconv": TemporalConv}
