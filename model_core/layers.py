"""Layers: each one's forward and backward side by side.

Images travel as NHWC float32 arrays (batch, height, width, channels), so a convolution
is one matrix multiply whose output is already NHWC. Every layer keeps its parameters in
`params` and their gradients, same keys, in `grads`, so an optimiser can walk them;
non-trainable state (BatchNorm's running statistics) lives in `state`.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# NumPy's elementwise work runs on one core while BLAS spreads its GEMMs over all of them,
# and OpenBLAS's idle threads spin on the cores in between. Inside `parallel_rows()` (what
# training uses) BLAS runs on one thread and every big piece of row-wise work, GEMMs
# included, is split by rows across THREADS threads of ours instead (NumPy releases the GIL).
THREADS = max(1, int(os.environ.get("MODEL_CORE_THREADS", min(2, os.cpu_count() or 1))))
PARALLEL_MIN_ELEMENTS = 1 << 18  # below this, a thread hand-off costs more than it saves
_active = False
T, R = TypeVar("T"), TypeVar("R")


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="model-core")


@functools.cache
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # built once: finding the libraries takes ~0.2 ms


@contextlib.contextmanager
def parallel_rows() -> Iterator[None]:
    """Split big row-wise work across THREADS threads, with BLAS on one thread, while inside."""
    global _active
    if THREADS == 1 or _active:
        yield
        return
    with _blas().limit(limits=1, user_api="blas"):
        _active = True
        try:
            yield
        finally:
            _active = False


def on_threads(fn: Callable[[T], R], items: list[T]) -> list[R]:
    """[fn(item) for item in items], the items dealt to THREADS threads each running BLAS on
    one thread: for independent pieces of work, such as inference batches."""
    if THREADS == 1 or len(items) < 2:
        return [fn(item) for item in items]
    with _blas().limit(limits=1, user_api="blas"):
        return list(_pool().map(fn, items))


def _parts(rows: int, elements: int) -> list[slice]:
    if not _active or THREADS == 1 or elements < PARALLEL_MIN_ELEMENTS or rows < 2 * THREADS:
        return [slice(0, rows)]
    bounds = [rows * i // THREADS for i in range(THREADS + 1)]
    return [slice(bounds[i], bounds[i + 1]) for i in range(THREADS)]


def by_rows(fn: Callable[[slice], object], rows: int, elements: int) -> list:
    """fn(rows slice) over `rows` leading-axis rows, split across threads inside
    `parallel_rows()` when the work is big; returns each part's result in order."""
    first, *rest = _parts(rows, elements)
    futures = [_pool().submit(fn, part) for part in rest]
    return [fn(first)] + [future.result() for future in futures]


def summed_by_rows(fn: Callable[[slice], np.ndarray], rows: int, elements: int) -> np.ndarray:
    """The sum of fn(part) over row parts: for reductions such as x.T @ grad."""
    first, *rest = by_rows(fn, rows, elements)
    for part in rest:
        first = first + part
    return first


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
        w, b = self.params["W"], self.params["b"]
        out = np.empty((len(x), self.units), np.result_type(x, w))

        def rows(r: slice) -> None:
            np.matmul(x[r], w, out=out[r])
            out[r] += b

        by_rows(rows, len(x), x.size)
        return out

    def backward(self, grad):
        x, w = self.x, self.params["W"]
        dw = summed_by_rows(lambda r: x[r].T @ grad[r], len(x), x.size)
        self.grads = {"W": dw, "b": grad.sum(axis=0)}
        dx = np.empty(x.shape, np.result_type(grad, w))
        by_rows(lambda r: np.matmul(grad[r], w.T, out=dx[r]), len(grad), x.size)
        return dx

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
        ordered = windows.transpose(0, 1, 2, 4, 5, 3)
        cols = np.empty(ordered.shape, x.dtype)

        def gather(rows: slice) -> None:
            cols[rows] = ordered[rows]

        by_rows(gather, n, cols.size)
        self.cols = cols = cols.reshape(n * ho * wo, -1)
        kernel, bias = self._kernel_matrix().T, self.params["b"]
        out = np.empty((len(cols), self.filters), np.result_type(cols, kernel))

        def gemm(r: slice) -> None:
            np.matmul(cols[r], kernel, out=out[r])
            out[r] += bias  # in place: no second output-sized array

        by_rows(gemm, len(cols), cols.size)
        return out.reshape(n, ho, wo, self.filters)

    def _kernel_matrix(self) -> np.ndarray:
        """(F, C, k, k) weights as an (F, k*k*C) matrix matching the im2col row order."""
        return self.params["W"].transpose(0, 2, 3, 1).reshape(self.filters, -1)

    def backward(self, grad):
        n, ho, wo, f = grad.shape
        g = grad.reshape(-1, f)
        cols = self.cols
        dk = summed_by_rows(lambda r: g[r].T @ cols[r], len(g), cols.size).reshape(f, self.kernel, self.kernel, -1)
        self.grads = {"W": dk.transpose(0, 3, 1, 2), "b": g.sum(axis=0)}
        if not self.input_grad:
            return None
        k, s, p = self.kernel, self.stride, self.padding
        dx = np.zeros(self.padded_shape, grad.dtype)
        weights = self.params["W"]

        def col2im(r: slice) -> None:  # one kernel tap at a time: a GEMM then a strided add
            gr = grad[r].reshape(-1, f)
            for i in range(k):
                for j in range(k):
                    tap = (gr @ weights[:, :, i, j]).reshape(-1, ho, wo, weights.shape[1])
                    dx[r, i : i + s * ho : s, j : j + s * wo : s, :] += tap

        by_rows(col2im, n, cols.size)
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
        out = np.empty(first.shape, x.dtype)

        def pool(r: slice) -> None:
            out[r] = first[r]
            for view in rest:
                np.maximum(out[r], view[r], out=out[r])

        by_rows(pool, len(x), x.size)
        self.x, self.out = x, out
        return out

    def backward(self, grad):
        # Each window's gradient goes to where its maximum sat (to every tie, as before).
        dx = np.zeros(self.x.shape, grad.dtype)
        pairs = list(zip(self._offsets(self.x), self._offsets(dx), strict=True))

        def route(r: slice) -> None:
            for view, target in pairs:
                np.multiply(view[r] == self.out[r], grad[r], out=target[r])

        by_rows(route, len(grad), dx.size)
        return dx

    def config(self):
        return {"size": self.size}


class ReLU(Layer):
    def forward(self, x, training=False):
        out = np.empty_like(x)
        by_rows(lambda r: np.maximum(x[r], 0, out=out[r]), len(x), x.size)
        self.out = out  # where it is positive is where the gradient flows
        return out

    def backward(self, grad):
        dx = np.empty_like(grad)
        by_rows(lambda r: np.multiply(grad[r], self.out[r] > 0, out=dx[r]), len(grad), grad.size)
        return dx


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
        centred = np.empty_like(x)
        if training:
            mean = ones @ x / len(x)
            squares = np.empty_like(x)

            def centre(r: slice) -> None:
                np.subtract(x[r], mean, out=centred[r])
                np.multiply(centred[r], centred[r], out=squares[r])

            by_rows(centre, len(x), x.size)
            var = ones @ squares / len(x)
            m = self.momentum
            self.state["mean"] = (m * self.state["mean"] + (1 - m) * mean).astype(np.float32)
            self.state["var"] = (m * self.state["var"] + (1 - m) * var).astype(np.float32)
        else:
            mean, var = self.state["mean"], self.state["var"]
            by_rows(lambda r: np.subtract(x[r], mean, out=centred[r]), len(x), x.size)
        self.inv_std = inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        gamma, beta = self.params["gamma"], self.params["beta"]
        out = np.empty_like(x)

        def scale(r: slice) -> None:
            centred[r] *= inv_std  # in place: these arrays are the biggest in the network
            np.multiply(centred[r], gamma, out=out[r])
            out[r] += beta

        by_rows(scale, len(x), x.size)
        self.x_hat = centred
        return out.reshape(shape)

    def backward(self, grad):
        shape = grad.shape
        grad = grad.reshape(-1, shape[-1])
        m = len(grad)
        ones = np.ones(m, grad.dtype)
        x_hat = self.x_hat
        scratch = np.empty_like(grad)
        by_rows(lambda r: np.multiply(grad[r], x_hat[r], out=scratch[r]), m, grad.size)
        dbeta, dgamma = ones @ grad, ones @ scratch
        self.grads = {"gamma": dgamma, "beta": dbeta}
        if not self.training:  # fixed statistics: a per-channel affine map
            return (grad * (self.params["gamma"] * self.inv_std)).reshape(shape)
        # dx = gamma*inv_std/m * (m*dy - sum(dy) - x_hat*sum(dy*x_hat)), with batch statistics.
        k = (self.params["gamma"] * self.inv_std / m).astype(grad.dtype)
        dx = np.empty_like(grad)

        def combine(r: slice) -> None:
            np.multiply(x_hat[r], dgamma, out=scratch[r])
            np.multiply(grad[r], m, out=dx[r])
            dx[r] -= dbeta
            dx[r] -= scratch[r]
            dx[r] *= k

        by_rows(combine, m, grad.size)
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
