"""Optimisers that walk (parameter, gradient) pairs, and learning-rate schedules."""

from __future__ import annotations

import math

import numpy as np

from .layers import Layer


def trainable(layers: list[Layer]) -> list[tuple[Layer, str]]:
    return [(layer, name) for layer in layers for name in layer.params]


def decays(name: str) -> bool:
    """Weight decay applies to weight matrices and kernels, not to biases or BN scales."""
    return name == "W"


class SGD:
    def __init__(self, layers: list[Layer], lr: float = 0.05, momentum: float = 0.9, weight_decay: float = 0.0):
        self.slots = trainable(layers)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity = [np.zeros_like(layer.params[name]) for layer, name in self.slots]

    def step(self) -> None:
        for (layer, name), v in zip(self.slots, self.velocity, strict=True):
            p, g = layer.params[name], layer.grads[name]
            if self.weight_decay and decays(name):
                g = g + self.weight_decay * p
            v *= self.momentum
            v += g
            p -= self.lr * (g + self.momentum * v)  # Nesterov momentum


class AdamW:
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019)."""

    def __init__(
        self,
        layers: list[Layer],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        self.slots = trainable(layers)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.m = [np.zeros_like(layer.params[name]) for layer, name in self.slots]
        self.v = [np.zeros_like(layer.params[name]) for layer, name in self.slots]
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        # Bias corrections folded into the step size.
        step = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for (layer, name), m, v in zip(self.slots, self.m, self.v, strict=True):
            p, g = layer.params[name], layer.grads[name]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            if self.weight_decay and decays(name):
                p -= self.lr * self.weight_decay * p
            p -= step * m / (np.sqrt(v) + self.eps)


OPTIMIZERS = {"sgd": SGD, "adamw": AdamW}


def one_cycle(step: int, total: int, peak: float, warmup: float = 0.25, final_div: float = 1e3) -> float:
    """Smith's one-cycle: cosine warm-up from peak/25 to peak, then cosine down to peak/final_div."""
    start, end = peak / 25, peak / final_div
    warm = max(1, int(total * warmup))
    if step < warm:
        return start + (peak - start) * (1 - math.cos(math.pi * step / warm)) / 2
    t = min(1.0, (step - warm) / max(1, total - warm))
    return end + (peak - end) * (1 + math.cos(math.pi * t)) / 2


def cosine(step: int, total: int, peak: float, final_div: float = 1e3) -> float:
    """Cosine annealing from peak down to peak/final_div, no warm-up."""
    end = peak / final_div
    return end + (peak - end) * (1 + math.cos(math.pi * min(1.0, step / max(1, total)))) / 2


SCHEDULES = {"onecycle": one_cycle, "cosine": cosine}
