"""A Sequential network built from an architecture spec (plain data, stored in model cards)."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from .compiled import NOMINAL_WIDTH, GroupedNetwork
from .layers import LAYER_TYPES, Conv2D, Layer
from .parallel import parallel_rows
from .sequence import SEQUENCE_LAYERS

KINDS = {**LAYER_TYPES, **SEQUENCE_LAYERS}

INPUT_SHAPE = (28, 28, 1)


def _conv_block(filters: int, kernel: int, stride: int = 1, padding: int = 0) -> list[dict[str, Any]]:
    """Convolution → BatchNorm → ReLU."""
    conv = {"type": "conv2d", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding}
    return [conv, {"type": "batchnorm"}, {"type": "relu"}]


# The shipped architectures. A spec is a list of {"type": ..., **arguments}.
ARCHITECTURES: dict[str, list[dict[str, Any]]] = {
    "mlp": [
        {"type": "flatten"},
        {"type": "dense", "units": 1024},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 512},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 10},
    ],
    "cnn": [
        {"type": "conv2d", "filters": 32, "kernel": 3, "padding": 1},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "maxpool2d", "size": 2},
        {"type": "conv2d", "filters": 64, "kernel": 3, "padding": 1},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "maxpool2d", "size": 2},
        {"type": "conv2d", "filters": 128, "kernel": 3, "padding": 0},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 128},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 10},
    ],
    # Deeper, in the style of the well-known Kaggle MNIST ensembles: pairs of 3×3 convolutions,
    # then a strided 5×5 convolution instead of pooling (the network learns how to
    # downsample), and a 4×4 convolution down to 1×1 instead of a wide dense layer. 2.5× the
    # multiply-adds of "cnn" with two thirds of its parameters.
    "cnn-deep": [
        *_conv_block(32, 3),
        *_conv_block(32, 3),
        *_conv_block(32, 5, stride=2, padding=2),
        {"type": "dropout", "rate": 0.3},
        *_conv_block(64, 3),
        *_conv_block(64, 3),
        *_conv_block(64, 5, stride=2, padding=2),
        {"type": "dropout", "rate": 0.3},
        *_conv_block(128, 4),
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 10},
    ],
}


def architecture(name: str, num_classes: int = 10) -> list[dict[str, Any]]:
    """A copy of a named spec whose last layer has `num_classes` outputs."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r}; choose from {sorted(ARCHITECTURES)}")
    spec = [dict(layer) for layer in ARCHITECTURES[name]]
    spec[-1]["units"] = num_classes
    return spec


class Sequential:
    """Layers applied in order. Inputs are (N, 28, 28) or NHWC (N, 28, 28, 1) float32; a network
    whose input shape has width None (a line network: fixed height, any width) takes inputs of
    any width its layers allow, and its shapes name the width-dependent sizes None."""

    def __init__(self, spec: list[dict[str, Any]], seed: int = 0, input_shape: tuple[int, ...] = INPUT_SHAPE):
        self.spec = [dict(entry) for entry in spec]
        self.input_shape = tuple(None if d is None else int(d) for d in input_shape)
        rng = np.random.default_rng(seed)
        self.layers: list[Layer] = []
        self.shapes: list[tuple[int, ...]] = []
        shape = tuple(NOMINAL_WIDTH if d is None else d for d in self.input_shape)
        for entry in self.spec:
            args = {k: v for k, v in entry.items() if k != "type"}
            try:
                layer = KINDS[entry["type"]](**args)
            except KeyError as exc:
                raise ValueError(f"unknown layer type {entry.get('type')!r}") from exc
            shape = layer.build(shape, rng)
            self.layers.append(layer)
            self.shapes.append(tuple(int(d) for d in shape))
        if None in self.input_shape:
            self.shapes = self._width_free_shapes()
        first = self.layers[0] if self.layers else None
        if isinstance(first, Conv2D):
            first.input_grad = False

    def _width_free_shapes(self) -> list[tuple]:
        """The layers' output shapes with every size that follows the input's width as None
        (found by running a blank input of twice the nominal width through the layers)."""
        height = self.input_shape[0]
        x = np.zeros((1, height, 2 * NOMINAL_WIDTH, *self.input_shape[2:]), np.float32)
        out = []
        for layer, shape in zip(self.layers, self.shapes, strict=True):
            x = layer.forward(x)
            out.append(tuple(None if a != b else a for a, b in zip(shape, x.shape[1:], strict=True)))
        return out

    def _as_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == len(self.input_shape):  # (N, 28, 28) → (N, 28, 28, 1)
            x = x[..., None]
        return x

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._as_input(x)
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def training_threads(self) -> contextlib.AbstractContextManager:
        """How a training step should use the cores. Convolutional networks split their rows
        across our threads with BLAS on one (their elementwise work dominates: 1.68 → 1.31
        × PyTorch per epoch, measured); dense networks are GEMMs that BLAS's own threads
        do best (0.76 × PyTorch as is, 1.33 split)."""
        if any(isinstance(layer, Conv2D) for layer in self.layers):
            return parallel_rows()
        return contextlib.nullcontext()

    def backward(self, grad: np.ndarray) -> None:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
            if grad is None:
                break

    def logits(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Inference-mode outputs, in batches small enough for im2col's columns to stay in
        cache (see `compiled.batch_size`), shared among the library's threads.

        Runs the folded inference form (BatchNorm merged into the layer before it), built
        from the current weights on every call, so it is always up to date with training.
        """
        return GroupedNetwork([self]).logits(x, batch_size)[0]

    @property
    def parameter_count(self) -> int:
        return int(sum(p.size for layer in self.layers for p in layer.params.values()))

    def describe(self) -> list[dict[str, Any]]:
        """Each layer's spec with its output shape and parameter count."""
        return [
            {**entry, "output_shape": list(shape), "parameters": int(sum(p.size for p in layer.params.values()))}
            for entry, shape, layer in zip(self.spec, self.shapes, self.layers, strict=True)
        ]

    def weights(self) -> dict[str, np.ndarray]:
        """Every parameter and state array, keyed `<layer index>.<name>`."""
        out = {}
        for i, layer in enumerate(self.layers):
            for name, value in {**layer.params, **layer.state}.items():
                out[f"{i}.{name}"] = value
        return out

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Load arrays produced by `weights()`; every key and shape must match exactly."""
        expected = self.weights()
        missing, unexpected = set(expected) - set(weights), set(weights) - set(expected)
        if missing or unexpected:
            raise ValueError(
                f"weights do not fit the architecture (missing {sorted(missing)[:5]}, "
                f"unexpected {sorted(unexpected)[:5]})"
            )
        for key, value in weights.items():
            if value.shape != expected[key].shape:
                raise ValueError(f"weight {key} has shape {value.shape}, architecture needs {expected[key].shape}")
            index, name = key.split(".", 1)
            layer = self.layers[int(index)]
            target = layer.params if name in layer.params else layer.state
            target[name] = np.asarray(value, dtype=np.float32).copy()
