"""A model's temperature and "not a digit" threshold, chosen on validation data only.

Validation data: the MNIST training images the model's networks held out (the shared 5,000
of the split), the same digits redrawn as a user draws them (the three canvas variants of
synth.redraw_mnist), and negatives made from what no training saw: the training generators
with a seed no training used, their numbers written with the held-out MNIST digits and
EMNIST's validation digits, and real writers' letters from EMNIST's validation part. The
temperature minimises the negative log-likelihood of the validation digits; the threshold is
set so that at most `flag_at_most` of each validation subset of real digits is called "not a
digit", the rest of the scale left to catch negatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import card as cards
from ..data.datasets import SPLIT_SEED, VALIDATION_SIZE, as_float_images, load_mnist, train_val_split
from ..data.negatives import KINDS, handwritten_digits, handwritten_letters
from ..data.negatives import negatives as draw_negatives
from ..data.synth import VARIANTS, redraw_mnist
from ..imaging.decode import EmptyImageError
from ..imaging.preprocess import preprocess
from ..model import Model, temperature_scaled
from .metrics import expected_calibration_error

VALIDATION_NEGATIVES_SEED = 909  # never a training seed
TEMPERATURES = np.exp(np.linspace(np.log(0.5), np.log(4.0), 61))


def validation_sets(card: dict, redrawn: int = 5000, seed: int = 77) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The model's held-out MNIST digits, and as many of them redrawn as canvases in each variant."""
    split = cards.model_split(card)
    if not split["validation_size"]:
        raise ValueError("this model held no images out of its training: nothing to calibrate on")
    _, held_out = train_val_split(load_mnist("train"), split["validation_size"], split["split_seed"] or SPLIT_SEED)
    sets = {"mnist_validation": (as_float_images(held_out.images), held_out.labels)}
    rng = np.random.default_rng(seed)
    index = rng.choice(len(held_out), min(redrawn, len(held_out)), replace=False)
    for variant in VARIANTS:
        kept, images = [], []
        for i in index:
            try:  # a digit the preprocessing cannot find is not the model's to flag: left out
                images.append(preprocess(redraw_mnist(held_out.images[i], rng, variant)))
                kept.append(i)
            except EmptyImageError:
                continue
        sets[f"redrawn_{variant}"] = (np.stack(images), held_out.labels[kept])
    return sets


def validation_negatives(count: int = 3000) -> tuple[np.ndarray, list[str]]:
    _, held_out = train_val_split(load_mnist("train"), VALIDATION_SIZE, SPLIT_SEED)
    digits = np.concatenate([held_out.images, handwritten_digits("validation")])
    images, kinds = draw_negatives(count, VALIDATION_NEGATIVES_SEED, digits, handwritten_letters("validation"))
    return as_float_images(images), kinds


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The temperature whose softened probabilities give the validation labels the highest likelihood."""

    def nll(t: float) -> float:
        p = temperature_scaled(probs, t)
        return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-30, 1)).mean())

    return float(min(TEMPERATURES, key=nll))


def calibrate(
    model: Model, method: str, flag_at_most: float = 0.0025, redrawn: int = 5000, negatives: int = 3000
) -> dict[str, Any]:
    """The card's `not_a_digit` section for `model`, with the validation figures behind it."""
    sets = validation_sets(model.card, redrawn)
    negative_images, kinds = validation_negatives(negatives)
    raw = {name: model.raw_scores(images) for name, (images, _) in sets.items()}
    mnist_probs, mnist_labels = raw["mnist_validation"][0], sets["mnist_validation"][1]
    temperature = fit_temperature(mnist_probs, mnist_labels)
    after = temperature_scaled(mnist_probs, temperature)

    def score(probs_and_class: tuple[np.ndarray, np.ndarray | None]) -> np.ndarray:
        probs, in_class = probs_and_class
        return in_class if method == cards.CLASS_METHOD else temperature_scaled(probs, temperature).max(axis=1)

    scores = {name: score(value) for name, value in raw.items()}
    threshold = float(min(np.quantile(s, flag_at_most) for s in scores.values()))
    negative_scores = score(model.raw_scores(negative_images))
    flagged = negative_scores < threshold
    kinds_array = np.array(kinds)
    return {
        "method": method,
        "threshold": threshold,
        "temperature": temperature,
        "chosen_on": "validation: the held-out MNIST training digits, those redrawn as canvases, "
        f"and {len(kinds)} negatives (seed {VALIDATION_NEGATIVES_SEED}) made with held-out digits and "
        "EMNIST's validation letters",
        "validation": {
            "digits_flagged": {name: float((s < threshold).mean()) for name, s in scores.items()},
            "negatives_flagged": float(flagged.mean()),
            "negatives_flagged_by_kind": {
                k: float(flagged[kinds_array == k].mean()) for k in KINDS if (kinds_array == k).any()
            },
            "ece_before": expected_calibration_error(mnist_probs, mnist_labels),
            "ece_after": expected_calibration_error(after, mnist_labels),
            "accuracy": float((mnist_probs.argmax(axis=1) == mnist_labels).mean()),
        },
    }
