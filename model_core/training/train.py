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
from ..imaging.encode import to_uint8
from ..imaging.preprocess import deskew
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


@dataclass
class Lesson:
    """What each epoch trains on and how a batch's loss is taken: the training set, each batch
    freshly augmented (the plain mode), or a caller's epoch sets as they are, learnt with
    their teacher's probabilities as well as their labels (distillation)."""

    epoch_set: Callable[[int], EpochSet]
    augmentation: AugmentConfig | None
    loss: SoftmaxCrossEntropy | DistillationLoss

    @classmethod
    def of(cls, train_set: Dataset, config: TrainConfig, epoch_sets: Callable[[int], EpochSet] | None) -> Lesson:
        if epoch_sets is not None:
            return cls(epoch_sets, None, DistillationLoss(config.distill_alpha, config.distill_temperature))
        whole = EpochSet(as_float_images(train_set.images), train_set.labels)
        augmentation = None if config.augmentation == NO_AUGMENTATION else config.augmentation
        return cls(lambda _epoch: whole, augmentation, SoftmaxCrossEntropy(config.label_smoothing))

    def batch(self, data: EpochSet, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return augment(data.images[idx], rng, self.augmentation) if self.augmentation else data.images[idx]

    def batch_loss(self, logits: np.ndarray, data: EpochSet, idx: np.ndarray, weights: np.ndarray | None) -> float:
        if isinstance(self.loss, DistillationLoss):
            teacher = None if data.teacher is None else data.teacher[idx]
            return self.loss.forward(logits, data.labels[idx], teacher, weights)
        return self.loss.forward(logits, data.labels[idx], weights)


@dataclass
class Run:
    """One training run's moving parts: the network, its optimiser and schedule, the
    randomness, and how far along it is."""

    net: Sequential
    optimizer: Any
    schedule: Callable[[int, int, float], float]
    rng: np.random.Generator
    config: TrainConfig
    total_steps: int
    step: int = 0


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
    net = network if network is not None else Sequential(spec, seed=config.seed)
    lesson = Lesson.of(train_set, config, epoch_sets)
    first = lesson.epoch_set(1)
    steps_per_epoch = math.ceil(len(first.labels) / config.batch_size)
    run = Run(
        net=net,
        optimizer=OPTIMIZERS[config.optimizer](net.layers, lr=config.lr, weight_decay=config.weight_decay),
        schedule=SCHEDULES[config.schedule],
        rng=np.random.default_rng(config.seed),
        config=config,
        total_steps=steps_per_epoch * config.epochs,
    )
    val_x = as_float_images(val_set.images) if val_set is not None and len(val_set) else None
    history: list[dict[str, float]] = []
    best = (-1.0, 0, net.weights())
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        data = first if epoch == 1 else lesson.epoch_set(epoch)
        loss, train_accuracy = run_epoch(run, lesson, data, epoch, sample_weights, progress)
        val_acc = accuracy(net, val_x, val_set.labels) if val_x is not None else None
        record = {
            "epoch": epoch,
            "loss": loss,
            "train_accuracy": train_accuracy,
            "val_accuracy": val_acc,
            "lr": run.optimizer.lr,
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


def run_epoch(
    run: Run, lesson: Lesson, data: EpochSet, epoch: int, sample_weights: np.ndarray | None, progress: bool
) -> tuple[float, float]:
    """One pass over `data` in a fresh random order, a step of the optimiser per batch, with a
    progress bar; returns the epoch's mean loss and training accuracy."""
    config, net = run.config, run.net
    order = run.rng.permutation(len(data.labels))
    steps = math.ceil(len(order) / config.batch_size)
    loss_sum = correct = seen = 0.0
    started = time.perf_counter()
    bar = tqdm(range(steps), desc=f"epoch {epoch}/{config.epochs}", disable=not progress, leave=True)
    with net.training_threads():
        for b in bar:
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            logits = net.forward(lesson.batch(data, idx, run.rng), training=True)
            weights = sample_weights[idx] if sample_weights is not None else None
            loss = lesson.batch_loss(logits, data, idx, weights)
            net.backward(lesson.loss.backward())
            run.optimizer.lr = run.schedule(run.step, run.total_steps, config.lr)
            run.optimizer.step()
            run.step += 1
            loss_sum += loss * len(idx)
            correct += float((logits.argmax(axis=1) == data.labels[idx]).sum())
            seen += len(idx)
            if b % 20 == 0 or b == steps - 1:
                rate = seen / (time.perf_counter() - started)
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}", img_s=f"{rate:.0f}")
    bar.close()
    return loss_sum / seen, correct / seen
