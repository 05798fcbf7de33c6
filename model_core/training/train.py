"""The training loop: mini-batches, augmentation, a schedule, validation each epoch,
the best epoch kept (early stopping), a tqdm progress bar."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from ..data.augment import NO_AUGMENTATION, AugmentConfig, augment
from ..data.datasets import Dataset, as_float_images
from ..imaging.preprocess import deskew, to_uint8
from ..nn.losses import DistillationLoss, SoftmaxCrossEntropy
from ..nn.network import Sequential
from ..nn.optim import OPTIMIZERS, SCHEDULES


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adamw"
    lr: float = 3e-3
    weight_decay: float = 1e-2
    schedule: str = "onecycle"
    label_smoothing: float = 0.0
    patience: int = 0  # epochs without validation gain before stopping; 0 = never stop early
    seed: int = 0
    augmentation: AugmentConfig = field(default_factory=AugmentConfig)
    distill_alpha: float = 0.5  # with a teacher (EpochSet.teacher): the soft term's share
    distill_temperature: float = 3.0

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "augmentation"}
        out["augmentation"] = self.augmentation.to_dict() if self.augmentation != NO_AUGMENTATION else None
        return out


@dataclass
class EpochSet:
    """One epoch's training data, prepared by the caller: images float32 (N, 28, 28) as the
    network is to see them (augmented already, where wanted), integer labels, and a teacher's
    probabilities per image (NaN rows where there is none)."""

    images: np.ndarray
    labels: np.ndarray
    teacher: np.ndarray | None = None


@dataclass
class TrainResult:
    network: Sequential
    history: list[dict[str, float]]
    best_epoch: int
    best_val_accuracy: float | None
    seconds: float


def deskewed(dataset: Dataset) -> Dataset:
    """The same digits, each sheared upright (see `preprocess.deskew`): what a model trained
    `--deskew` learns from."""
    images = to_uint8(deskew(as_float_images(dataset.images)))
    return Dataset(images, dataset.labels, dataset.label_names, dataset.checksums)


def class_weights(labels: np.ndarray, classes: int) -> np.ndarray:
    """Per-sample loss weights that make every class weigh the same in all (1 / its count),
    scaled to average 1 over the samples so the learning rate means what it did."""
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    per_class = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    weights = per_class[labels]
    return (weights / weights.mean()).astype(np.float32)


def accuracy(network: Sequential, images: np.ndarray, labels: np.ndarray) -> float:
    return float((network.logits(images).argmax(axis=1) == labels).mean())


def train(
    spec: list[dict[str, Any]],
    train_set: Dataset,
    val_set: Dataset | None,
    config: TrainConfig,
    sample_weights: np.ndarray | None = None,
    progress: bool = True,
    network: Sequential | None = None,
    epoch_sets: Callable[[int], EpochSet] | None = None,
) -> TrainResult:
    """Train a network (a fresh one from `spec`, or continue `network`) and return the epoch
    with the best validation accuracy (the last epoch when there is no validation set).

    By default every epoch is `train_set`, freshly augmented. With `epoch_sets`, epoch e
    trains on `epoch_sets(e)` as it is given, learning from its teacher's probabilities as
    well as its labels (DistillationLoss); every epoch set must be the same size."""
    rng = np.random.default_rng(config.seed)
    net = network if network is not None else Sequential(spec, seed=config.seed)
    x, y, teacher = as_float_images(train_set.images), train_set.labels, None
    val_x = as_float_images(val_set.images) if val_set is not None and len(val_set) else None
    if epoch_sets is not None:
        loss_fn = DistillationLoss(config.distill_alpha, config.distill_temperature)
    else:
        loss_fn = SoftmaxCrossEntropy(config.label_smoothing)
    optimizer = OPTIMIZERS[config.optimizer](net.layers, lr=config.lr, weight_decay=config.weight_decay)
    schedule = SCHEDULES[config.schedule]
    first = epoch_sets(1) if epoch_sets is not None else None
    steps_per_epoch = math.ceil(len(first.labels if first is not None else y) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    history: list[dict[str, float]] = []
    best = (-1.0, 0, net.weights())
    started, step = time.perf_counter(), 0
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        if epoch_sets is not None:
            data = first if epoch == 1 else epoch_sets(epoch)
            x, y, teacher = data.images, data.labels, data.teacher
        order = rng.permutation(len(y))
        loss_sum = correct = seen = 0.0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{config.epochs}", disable=not progress, leave=True)
        with net.training_threads():
            for b in bar:
                idx = order[b * config.batch_size : (b + 1) * config.batch_size]
                if epoch_sets is None and config.augmentation != NO_AUGMENTATION:
                    batch = augment(x[idx], rng, config.augmentation)
                else:
                    batch = x[idx]
                logits = net.forward(batch, training=True)
                weights = sample_weights[idx] if sample_weights is not None else None
                if epoch_sets is not None:
                    loss = loss_fn.forward(logits, y[idx], None if teacher is None else teacher[idx], weights)
                else:
                    loss = loss_fn.forward(logits, y[idx], weights)
                net.backward(loss_fn.backward())
                optimizer.lr = schedule(step, total_steps, config.lr)
                optimizer.step()
                step += 1
                loss_sum += loss * len(idx)
                correct += float((logits.argmax(axis=1) == y[idx]).sum())
                seen += len(idx)
                if b % 20 == 0 or b == steps_per_epoch - 1:
                    rate = seen / (time.perf_counter() - epoch_start)
                    bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}", img_s=f"{rate:.0f}")
        bar.close()
        val_acc = accuracy(net, val_x, val_set.labels) if val_x is not None else None
        record = {
            "epoch": epoch,
            "loss": loss_sum / seen,
            "train_accuracy": correct / seen,
            "val_accuracy": val_acc,
            "lr": optimizer.lr,
            "seconds": time.perf_counter() - epoch_start,
        }
        history.append(record)
        if progress:
            tqdm.write(
                f"epoch {epoch}: loss {record['loss']:.4f}  train {record['train_accuracy']:.4f}  "
                f"val {val_acc if val_acc is None else round(val_acc, 4)}  {record['seconds']:.1f}s"
            )
        score = val_acc if val_acc is not None else float(epoch)
        if score >= best[0]:
            best = (score, epoch, {k: v.copy() for k, v in net.weights().items()})
        elif config.patience and epoch - best[1] >= config.patience:
            break
    net.set_weights(best[2])
    return TrainResult(net, history, best[1], best[0] if val_x is not None else None, time.perf_counter() - started)
