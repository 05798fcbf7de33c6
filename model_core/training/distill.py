"""Knowledge distillation (Hinton, Vinyals & Dean 2015): a student network learns from a
teacher's probabilities as well as from the labels.

The teacher here is an ensemble, too slow to run beside every training step (15 networks,
~3 ms per image), so its probabilities are computed once on a *transfer set*: the training
images, once as they are and several times augmented, each copy cached on disk
(`<cache>/<teacher version>-s<seed>-c<copy>.npz`). Epoch e of the student trains on copy
e mod copies, whose teacher probabilities were computed on exactly those pixels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..data.augment import AugmentConfig, augment
from ..data.datasets import Dataset, as_float_images
from ..imaging.encode import to_uint8
from ..model import Model
from .train import EpochSet


@dataclass
class TransferCopy:
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) int64
    teacher: np.ndarray  # (N, classes) float32: the teacher's probabilities


def transfer_copy(
    teacher: Model, train_set: Dataset, copy: int, seed: int, cache: Path, progress: bool = True
) -> TransferCopy:
    """Copy `copy` of the transfer set (0: the images as they are; k > 0: augmented with seed
    (seed, k)), with the teacher's probabilities; read from the cache when it is there."""
    path = Path(cache) / f"{teacher.version}-s{seed}-n{len(train_set)}-c{copy}.npz"
    if path.exists():
        with np.load(path) as stored:
            return TransferCopy(stored["images"], stored["labels"], stored["teacher"].astype(np.float32))
    started = time.perf_counter()
    x = as_float_images(train_set.images)
    if copy:
        rng = np.random.default_rng([seed, copy])
        x = np.concatenate([augment(x[i : i + 1024], rng, AugmentConfig()) for i in range(0, len(x), 1024)])
    images = to_uint8(x)  # stored as MNIST stores images, so the teacher sees what the student will
    chunks = range(0, len(images), 2048)
    probs = [
        teacher.predict_proba(as_float_images(images[i : i + 2048]))
        for i in tqdm(chunks, desc=f"teacher on copy {copy}", disable=not progress)
    ]
    result = TransferCopy(images, train_set.labels, np.concatenate(probs))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, images=result.images, labels=result.labels, teacher=result.teacher)
    partial.rename(path)
    if progress:
        tqdm.write(f"transfer copy {copy}: {len(images)} images in {time.perf_counter() - started:.0f} s")
    return result


def epoch_sets(
    copies: list[TransferCopy],
    plain: tuple[np.ndarray, np.ndarray],
    negative_images: np.ndarray,
    negatives_per_epoch: int,
    not_a_digit: int,
    seed: int,
) -> Callable[[int], EpochSet]:
    """What the student sees in epoch e: transfer copy e mod copies with the teacher's
    probabilities; the plain digits and a fresh draw of negatives (label `not_a_digit`),
    both augmented anew each epoch, learning from their labels alone."""

    def make(epoch: int) -> EpochSet:
        rng = np.random.default_rng([seed, epoch])
        copy = copies[(epoch - 1) % len(copies)]
        picked = negative_images[rng.choice(len(negative_images), negatives_per_epoch, replace=False)]
        extra = np.concatenate([plain[0], picked])
        extra = np.concatenate(
            [augment(as_float_images(extra[i : i + 1024]), rng, AugmentConfig()) for i in range(0, len(extra), 1024)]
        )
        images = np.concatenate([as_float_images(copy.images), extra])
        labels = np.concatenate([copy.labels, plain[1], np.full(len(picked), not_a_digit)])
        teacher = np.full((len(images), copy.teacher.shape[1]), np.nan, np.float32)
        teacher[: len(copy.images)] = copy.teacher
        return EpochSet(images, labels, teacher)

    return make
