"""Layers: each one's forward and backward side by side.

Images travel as NHWC float32 arrays (batch, height, width, channels), so a convolution
is one matrix multiply whose output is already NHWC. Every layer keeps its parameters in
`params` and their gradients, same keys, in `grads`, so an optimiser can walk them;
non-trainable state (BatchNorm's running statistics) lives in `state`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Layer:
    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    state: dict[str, np.ndarray]

    def __init__(self) -> None:
        self.params, self.grads, self.state = {}, {}, {}

    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator) -> tuple[int, ...]:
        """Create parameters for inputs of `input_shape` (no batch axis); return the output shape."""
        return input_shape

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def config(self) -> dict:
        """The arguments that rebuild this layer (its entry in the architecture spec)."""
        return {}


def he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    # He et al. 2015: std = sqrt(2 / fan_in) keeps ReLU activations' variance constant.
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class Dense(Layer):
    def __init__(self, units: int) -> None:
        super().__init__()
        self.units = units

    def build(self, input_shape, rng):
        (fan_in,) = input_shape
        self.params = {"W": he_normal(rng, (fan_in, self.units), fan_in), "b": np.zeros(self.units, np.float32)}
        return (self.units,)

    def forward(self, x, training=False):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad):
        self.grads = {"W": self.x.T @ grad, "b": grad.sum(axis=0)}
        return grad @ self.params["W"].T

    def config(self):
        return {"units": self.units}


class Conv2D(Layer):
    """2-D convolution by im2col: gather every k×k window into a row, then one GEMM.

    Weights are (filters, in_channels, k, k), the layout PyTorch uses.
    """

    def __init__(self, filters: int, kernel: int = 3, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.filters, self.kernel, self.stride, self.padding = filters, kernel, stride, padding
        self.input_grad = True  # the first layer of a network has no use for dL/dx

    def build(self, input_shape, rng):
        h, w, c = input_shape
        k, s, p = self.kernel, self.stride, self.padding
        fan_in = c * k * k
        self.params = {
            "W": he_normal(rng, (self.filters, c, k, k), fan_in),
            "b": np.zeros(self.filters, np.float32),
        }
        return ((h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1, self.filters)

    def forward(self, x, training=False):
        k, s, p = self.kernel, self.stride, self.padding
        if p:
            x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        self.padded_shape = x.shape
        windows = sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s]  # (N, Ho, Wo, C, k, k)
        n, ho, wo = windows.shape[:3]
        # Rows ordered (ky, kx, channel): channels are contiguous in NHWC, so the copy is fast.
        self.cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, -1)
        out = self.cols @ self._kernel_matrix().T
        out += self.params["b"]  # in place: no second output-sized array
        return out.reshape(n, ho, wo, self.filters)

    def _kernel_matrix(self) -> np.ndarray:
        """(F, C, k, k) weights as an (F, k*k*C) matrix matching the im2col row order."""
        return self.params["W"].transpose(0, 2, 3, 1).reshape(self.filters, -1)

    def backward(self, grad):
        n, ho, wo, f = grad.shape
        g = grad.reshape(-1, f)
        dk = (g.T @ self.cols).reshape(f, self.kernel, self.kernel, -1)
        self.grads = {"W": dk.transpose(0, 3, 1, 2), "b": g.sum(axis=0)}
        if not self.input_grad:
            return None
        k, s, p = self.kernel, self.stride, self.padding
        dx = np.zeros(self.padded_shape, grad.dtype)
        weights = self.params["W"]
        for i in range(k):  # col2im, one kernel tap at a time: a GEMM then a strided add
            for j in range(k):
                tap = (g @ weights[:, :, i, j]).reshape(n, ho, wo, -1)
                dx[:, i : i + s * ho : s, j : j + s * wo : s, :] += tap
        h, w = self.padded_shape[1] - 2 * p, self.padded_shape[2] - 2 * p
        return dx[:, p : p + h, p : p + w, :]

    def config(self):
        return {"filters": self.filters, "kernel": self.kernel, "stride": self.stride, "padding": self.padding}


class MaxPool2D(Layer):
    """Non-overlapping max pooling (window = stride); a trailing odd row/column is dropped."""

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        self.size = size

    def build(self, input_shape, rng):
        h, w, c = input_shape
        return (h // self.size, w // self.size, c)

    def _offsets(self, x):
        """The s×s strided views of x, one per position inside the window."""
        s = self.size
        ho, wo = x.shape[1] // s, x.shape[2] // s
        return [x[:, i : ho * s : s, j : wo * s : s] for i in range(s) for j in range(s)]

    def forward(self, x, training=False):
        # An elementwise maximum over the s×s strided views: much faster than reducing a
        # reshaped (N, Ho, s, Wo, s, C) view over two non-adjacent axes.
        first, *rest = self._offsets(x)
        out = first.copy()
        for view in rest:
            np.maximum(out, view, out=out)
        self.x, self.out = x, out
        return out

    def backward(self, grad):
        # Each window's gradient goes to where its maximum sat (to every tie, as before).
        dx = np.zeros(self.x.shape, grad.dtype)
        for view, target in zip(self._offsets(self.x), self._offsets(dx), strict=True):
            np.multiply(view == self.out, grad, out=target)
        return dx

    def config(self):
        return {"size": self.size}


class ReLU(Layer):
    def forward(self, x, training=False):
        out = np.maximum(x, 0)
        self.out = out  # where it is positive is where the gradient flows
        return out

    def backward(self, grad):
        return np.multiply(grad, self.out > 0, dtype=grad.dtype)


class Dropout(Layer):
    """Inverted dropout: scale kept units by 1/(1-rate) at training so inference is a no-op."""

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        self.rate = rate
        self.rng = np.random.default_rng()

    def build(self, input_shape, rng):
        self.rng = np.random.default_rng(rng.integers(2**63))
        return input_shape

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.keep = None
            return x
        self.keep = (self.rng.random(x.shape, dtype=np.float32) >= self.rate).astype(x.dtype) / (1 - self.rate)
        return x * self.keep

    def backward(self, grad):
        return grad if self.keep is None else grad * self.keep

    def config(self):
        return {"rate": self.rate}


class Flatten(Layer):
    def build(self, input_shape, rng):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.input_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class BatchNorm(Layer):
    """Batch normalisation over every axis but the last (features or channels)."""

    def __init__(self, momentum: float = 0.9, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum, self.eps = momentum, eps

    def build(self, input_shape, rng):
        c = input_shape[-1]
        self.params = {"gamma": np.ones(c, np.float32), "beta": np.zeros(c, np.float32)}
        self.state = {"mean": np.zeros(c, np.float32), "var": np.ones(c, np.float32)}
        return input_shape

    def forward(self, x, training=False):
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        ones = np.ones(len(x), x.dtype)  # sums over rows as a GEMV: much faster than .sum(0)
        self.training = training
        if training:
            mean = ones @ x / len(x)
            centred = x - mean
            var = ones @ (centred * centred) / len(x)
            m = self.momentum
            self.state["mean"] = (m * self.state["mean"] + (1 - m) * mean).astype(np.float32)
            self.state["var"] = (m * self.state["var"] + (1 - m) * var).astype(np.float32)
        else:
            mean, var = self.state["mean"], self.state["var"]
            centred = x - mean
        self.inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        centred *= self.inv_std  # in place: these arrays are the biggest in the network
        self.x_hat = centred
        out = np.multiply(self.x_hat, self.params["gamma"], dtype=x.dtype)
        out += self.params["beta"]
        return out.reshape(shape)

    def backward(self, grad):
        shape = grad.shape
        grad = grad.reshape(-1, shape[-1])
        m = len(grad)
        ones = np.ones(m, grad.dtype)
        scratch = grad * self.x_hat
        dbeta, dgamma = ones @ grad, ones @ scratch
        self.grads = {"gamma": dgamma, "beta": dbeta}
        if not self.training:  # fixed statistics: a per-channel affine map
            return (grad * (self.params["gamma"] * self.inv_std)).reshape(shape)
        # dx = gamma*inv_std/m * (m*dy - sum(dy) - x_hat*sum(dy*x_hat)), with batch statistics.
        np.multiply(self.x_hat, dgamma, out=scratch)
        dx = grad * m
        dx -= dbeta
        dx -= scratch
        dx *= self.params["gamma"] * self.inv_std / m
        return dx.reshape(shape)

    def config(self):
        return {"momentum": self.momentum, "eps": self.eps}


LAYER_TYPES: dict[str, type[Layer]] = {
    "dense": Dense,
    "conv2d": Conv2D,
    "maxpool2d": MaxPool2D,
    "relu": ReLU,
    "dropout": Dropout,
    "flatten": Flatten,
    "batchnorm": BatchNorm,
}
