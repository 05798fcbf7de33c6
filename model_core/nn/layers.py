"""Layers: each one's forward and backward side by side, and its inference form.

Images travel as NHWC float32 arrays (batch, height, width, channels), so a convolution
is one matrix multiply whose output is already NHWC. Every layer keeps its parameters in
`params` and their gradients, same keys, in `grads`, so an optimiser can walk them;
non-trainable state (BatchNorm's running statistics) lives in `state`.

At inference a layer becomes an `Inference` op (`inference()`), may fold itself into the
op before it (`fold_into()`: BatchNorm into a convolution's weights, ReLU into its output),
and runs on a stack of networks at once (`infer()`: arrays with a leading member axis).
`compiled.py` only folds and groups; a new layer type is edits in this file alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .parallel import blocks, by_rows, summed_by_rows


@dataclass
class Inference:
    """One layer's inference op. Arrays are float64 while folding; a GroupedNetwork stacks
    each network's into float32 with a leading member axis (weight (M, ...), bias (M, 1, F))."""

    kind: type[Layer]
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    relu: bool = False  # a following ReLU, fused into this op
    config: dict = field(default_factory=dict)

    def signature(self) -> tuple:
        """What networks must share for their ops to be stacked."""
        return (self.kind, self.relu, tuple(sorted(self.config.items())), np.shape(self.weight))


def with_bias_and_relu(op: Inference, out: np.ndarray) -> np.ndarray:
    """out += bias, then the fused ReLU, in place."""
    out += op.bias
    if op.relu:
        np.maximum(out, 0, out=out)
    return out


class Layer:
    fuses_affine = False  # its inference op can take in a following BatchNorm and ReLU (a GEMM's output)
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

    def inference(self) -> Inference | None:
        """This layer at inference (float64, for folding); None where it vanishes."""
        raise TypeError(f"no inference form for {type(self).__name__}")

    def fold_into(self, previous: Inference) -> bool:
        """Merge this layer into the op before it, if it can be; True when it did."""
        return False

    @staticmethod
    def infer(op: Inference, x: np.ndarray) -> np.ndarray:
        """The op on x of shape (members or 1, N, ...), every member's weights at once."""
        raise NotImplementedError


def he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    # He et al. 2015: std = sqrt(2 / fan_in) keeps ReLU activations' variance constant.
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class Dense(Layer):
    fuses_affine = True

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

    def inference(self):
        return Inference(Dense, self.params["W"].astype(np.float64), self.params["b"].astype(np.float64))

    @staticmethod
    def infer(op, x):
        return with_bias_and_relu(op, np.matmul(x, op.weight))


def windows(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Every k×k window of NHWC `x` as an (N, Ho, Wo, k, k*C) view: one window row's k pixels
    of C channels are contiguous in memory, so copying windows out moves runs of k*C floats."""
    x = np.ascontiguousarray(x)
    n, h, w, c = x.shape
    ho, wo = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    # Strides from the shape: NumPy calls an array contiguous whatever the stride of an axis
    # of length 1, such as the channel axis that x[..., None] adds (stride 0).
    sc = x.itemsize
    sw, sh = c * sc, w * c * sc
    strides = (h * sh, sh * stride, sw * stride, sh, sc)
    return as_strided(x, (n, ho, wo, kernel, kernel * c), strides, writeable=False)


class Conv2D(Layer):
    """2-D convolution by im2col: gather every k×k window into a row, then one GEMM.

    The windows are gathered a few images at a time into a buffer that stays in cache
    (CHUNK_BYTES), and each chunk's GEMM runs while it is there; backward gathers them
    again rather than keep a batch's worth (85 MB for cnn-deep's second layer) from the
    forward pass. Weights are (filters, in_channels, k, k), the layout PyTorch uses.
    """

    CHUNK_BYTES = 2 << 20
    fuses_affine = True

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

    def _gathered(self, win: np.ndarray, rows: slice, dtype) -> Iterator[tuple[slice, np.ndarray]]:
        """`rows` (images) in chunks whose windows fit in CHUNK_BYTES, each chunk's windows
        copied into one reused buffer: (chunk, its (m, Ho, Wo, k, k*C) windows)."""
        per_image = win[:1].size * np.dtype(dtype).itemsize
        step = max(1, min(self.CHUNK_BYTES // per_image, rows.stop - rows.start))
        buffer = np.empty((step, *win.shape[1:]), dtype)
        for start in range(rows.start, rows.stop, step):
            chunk = slice(start, min(start + step, rows.stop))
            cols = buffer[: chunk.stop - chunk.start]
            cols[...] = win[chunk]
            yield chunk, cols

    def forward(self, x, training=False):
        p = self.padding
        if p:
            x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        self.padded_shape = x.shape
        self.windows = win = windows(x, self.kernel, self.stride)
        n, ho, wo = win.shape[:3]
        kernel, bias = self._kernel_matrix().T, self.params["b"]
        out = np.empty((n, ho, wo, self.filters), np.result_type(x, kernel))

        def rows(r: slice) -> None:
            for chunk, cols in self._gathered(win, r, x.dtype):
                target = out[chunk].reshape(-1, self.filters)
                np.matmul(cols.reshape(len(target), -1), kernel, out=target)
                target += bias  # in place, while the chunk is in cache

        by_rows(rows, n, win[:1].size * n)
        return out

    def _kernel_matrix(self) -> np.ndarray:
        """(F, C, k, k) weights as an (F, k*k*C) matrix matching the im2col row order."""
        return self.params["W"].transpose(0, 2, 3, 1).reshape(self.filters, -1)

    def backward(self, grad):
        win, f, k, s, p = self.windows, self.filters, self.kernel, self.stride, self.padding
        n, ho, wo = win.shape[:3]
        dx = np.zeros(self.padded_shape, grad.dtype) if self.input_grad else None
        # dL/dx tap by tap: (k*k, F, C), so each tap's share of dL/dx comes out contiguous and
        # is added into dx in runs of Wo*C (stride 1), not C, floats.
        taps = self.params["W"].transpose(2, 3, 0, 1).reshape(k * k, f, -1)

        def rows(r: slice) -> np.ndarray:
            """This share's dL/dW as (k*k*C + 1, F), dL/db its last row; its dL/dx added into
            dx tap by tap."""
            dk = 0
            for chunk, cols in self._gathered(win, r, np.result_type(grad, win)):
                g = grad[chunk].reshape(-1, f)
                # cols.T @ g, not g.T @ cols: 1.7× faster for the first layer's 9 columns.
                dk = dk + np.vstack([cols.reshape(len(g), -1).T @ g, np.ones(len(g), g.dtype) @ g])
                if dx is None:
                    continue
                per_tap = np.matmul(g, taps).reshape(k, k, *cols.shape[:3], -1)  # (k, k, m, Ho, Wo, C)
                for i in range(k):
                    for j in range(k):
                        dx[chunk, i : i + s * ho : s, j : j + s * wo : s] += per_tap[i, j]
            return dk

        dk = summed_by_rows(rows, n, win[:1].size * n)
        self.grads = {"W": dk[:-1].T.reshape(f, k, k, -1).transpose(0, 3, 1, 2), "b": dk[-1]}
        if dx is None:
            return None
        h, w = dx.shape[1] - 2 * p, dx.shape[2] - 2 * p
        return dx[:, p : p + h, p : p + w, :]

    def config(self):
        return {"filters": self.filters, "kernel": self.kernel, "stride": self.stride, "padding": self.padding}

    def inference(self):
        matrix = self.params["W"].transpose(2, 3, 1, 0).reshape(-1, self.filters)  # (ky, kx, c) rows
        config = {"kernel": self.kernel, "stride": self.stride, "padding": self.padding}
        return Inference(Conv2D, matrix.astype(np.float64), self.params["b"].astype(np.float64), config=config)

    @staticmethod
    def infer(op, x):
        g, n, h, w, c = x.shape
        k, s, p = op.config["kernel"], op.config["stride"], op.config["padding"]
        if p:
            padded = np.zeros((g, n, h + 2 * p, w + 2 * p, c), np.float32)
            padded[:, :, p : p + h, p : p + w] = x
            x = padded
        win = windows(x.reshape(g * n, *x.shape[2:]), k, s)  # (G*N, Ho, Wo, k, k*C)
        ho, wo = win.shape[1:3]
        cols = win.reshape(g, n * ho * wo, k * k * c)  # the copy: each window's rows in runs of k*C floats
        out = with_bias_and_relu(op, np.matmul(cols, op.weight))
        return out.reshape(len(out), n, ho, wo, -1)


class MaxPool2D(Layer):
    """Non-overlapping max pooling (window = stride); a trailing odd row/column is dropped.
    `size` is the window's side, or [height, width] to shrink the two apart (a line network's
    2×1 keeps its columns)."""

    def __init__(self, size: int | list[int] = 2) -> None:
        super().__init__()
        self.size = size
        self.sh, self.sw = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))

    def build(self, input_shape, rng):
        h, w, c = input_shape
        return (h // self.sh, w // self.sw, c)

    def _offsets(self, x):
        """The strided views of x, one per position inside the window."""
        sh, sw = self.sh, self.sw
        ho, wo = x.shape[1] // sh, x.shape[2] // sw
        return [x[:, i : ho * sh : sh, j : wo * sw : sw] for i in range(sh) for j in range(sw)]

    def forward(self, x, training=False):
        # An elementwise maximum over the strided views: much faster than reducing a
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

    def inference(self):
        return Inference(MaxPool2D, config={"size": (self.sh, self.sw)})

    @staticmethod
    def infer(op, x):
        sh, sw = op.config["size"]
        ho, wo = x.shape[2] // sh, x.shape[3] // sw
        out = x[:, :, 0 : ho * sh : sh, 0 : wo * sw : sw].copy()
        for i in range(sh):
            for j in range(sw):
                if i or j:
                    np.maximum(out, x[:, :, i : ho * sh : sh, j : wo * sw : sw], out=out)
        return out


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

    def inference(self):
        return Inference(ReLU)

    def fold_into(self, previous):
        if previous.kind.fuses_affine or previous.kind is BatchNorm:  # ops that can rectify their own output
            previous.relu = True
            return True
        return False

    @staticmethod
    def infer(op, x):
        return np.maximum(x, 0)


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

    def inference(self):
        return None  # inverted dropout: nothing to do at inference


class Flatten(Layer):
    def build(self, input_shape, rng):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.input_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad):
        return grad.reshape(self.input_shape)

    def inference(self):
        return Inference(Flatten)

    @staticmethod
    def infer(op, x):
        return x.reshape(len(x), x.shape[1], -1)


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
            mean = summed_by_rows(lambda r: ones[r] @ x[r], len(x), x.size) / len(x)

            def centre(r: slice) -> np.ndarray:  # block by block: the squares never leave the cache
                squares = 0
                for b in blocks(r, x[0].nbytes):
                    np.subtract(x[b], mean, out=centred[b])
                    squares = squares + ones[b] @ np.square(centred[b])
                return squares

            var = summed_by_rows(centre, len(x), x.size) / len(x)
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
            for b in blocks(r, x[0].nbytes):
                centred[b] *= inv_std  # in place: these arrays are the biggest in the network
                np.multiply(centred[b], gamma, out=out[b])
                out[b] += beta

        by_rows(scale, len(x), x.size)
        self.x_hat = centred
        return out.reshape(shape)

    def backward(self, grad):
        shape = grad.shape
        grad = grad.reshape(-1, shape[-1])
        m = len(grad)
        ones = np.ones(m, grad.dtype)
        x_hat = self.x_hat

        def sums(r: slice) -> np.ndarray:  # [sum(dy), sum(dy * x_hat)] over this share's rows
            out = 0
            for b in blocks(r, grad[0].nbytes):
                out = out + np.stack([ones[b] @ grad[b], ones[b] @ (grad[b] * x_hat[b])])
            return out

        dbeta, dgamma = summed_by_rows(sums, m, grad.size)
        self.grads = {"gamma": dgamma, "beta": dbeta}
        gamma_std = self.params["gamma"] * self.inv_std
        if not self.training:  # fixed statistics: a per-channel affine map
            return (grad * gamma_std).reshape(shape)
        # dx = gamma*inv_std/m * (m*dy - sum(dy) - x_hat*sum(dy*x_hat)), with batch statistics:
        # dy * gamma*inv_std - x_hat * (k*dgamma) - k*dbeta, where k = gamma*inv_std/m.
        k = gamma_std / m
        a, c, d = (v.astype(grad.dtype) for v in (gamma_std, k * dgamma, k * dbeta))
        dx = np.empty_like(grad)

        def combine(r: slice) -> None:
            for b in blocks(r, grad[0].nbytes):
                np.multiply(grad[b], a, out=dx[b])
                dx[b] -= x_hat[b] * c
                dx[b] -= d

        by_rows(combine, m, grad.size)
        return dx.reshape(shape)

    def config(self):
        return {"momentum": self.momentum, "eps": self.eps}

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        """With fixed statistics BatchNorm is x * scale + shift per channel (float64)."""
        scale = self.params["gamma"].astype(np.float64) / np.sqrt(self.state["var"].astype(np.float64) + self.eps)
        return scale, self.params["beta"] - self.state["mean"].astype(np.float64) * scale

    def inference(self):
        return Inference(BatchNorm, *self._affine())

    def fold_into(self, previous):
        # Into the convolution or dense layer before it: W' = W * scale, b' = b * scale + shift.
        if not previous.kind.fuses_affine or previous.relu:
            return False
        scale, shift = self._affine()
        previous.weight = previous.weight * scale
        previous.bias = previous.bias * scale + shift
        return True

    @staticmethod
    def infer(op, x):
        shape = (len(op.weight),) + (1,) * (x.ndim - 2) + (-1,)
        out = x * op.weight.reshape(shape) + op.bias.reshape(shape)
        return np.maximum(out, 0, out=out) if op.relu else out


LAYER_TYPES: dict[str, type[Layer]] = {
    "dense": Dense,
    "conv2d": Conv2D,
    "maxpool2d": MaxPool2D,
    "relu": ReLU,
    "dropout": Dropout,
    "flatten": Flatten,
    "batchnorm": BatchNorm,
}
