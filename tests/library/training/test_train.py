"""The training loop and calibration: reproducible from a seed, learning on a small split, each
optimiser and schedule."""

import numpy as np
import pytest

from model_core import load_model
from model_core.data.augment import NO_AUGMENTATION
from model_core.data.synth import VARIANTS
from model_core.model import Model
from model_core.nn.network import architecture
from model_core.training.train import train
from tests.conftest import quick_config


def test_training_is_reproducible_from_its_seed(small_split):
    train_set, val_set = small_split
    subset = train_set.subset(slice(0, 500))
    a = train(architecture("mlp"), subset, val_set, quick_config(epochs=1), progress=False)
    b = train(architecture("mlp"), subset, val_set, quick_config(epochs=1), progress=False)
    c = train(architecture("mlp"), subset, val_set, quick_config(seed=1, epochs=1), progress=False)
    for key, value in a.network.weights().items():
        np.testing.assert_array_equal(value, b.network.weights()[key])
    assert a.history[0]["loss"] == b.history[0]["loss"] != c.history[0]["loss"]


@pytest.mark.parametrize("arch,target", [("mlp", 0.90), ("cnn", 0.90)])
def test_a_tiny_training_run_learns(small_split, arch, target):
    train_set, val_set = small_split
    result = train(architecture(arch), train_set, val_set, quick_config(epochs=3), progress=False)
    assert result.best_val_accuracy > target
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    assert 1 <= result.best_epoch <= 3


def test_sgd_and_cosine_schedule_also_learn(small_split):
    train_set, val_set = small_split
    config = quick_config(epochs=2, optimizer="sgd", schedule="cosine", augmentation=NO_AUGMENTATION)
    config.lr = 0.05
    assert train(architecture("mlp"), train_set, val_set, config, progress=False).best_val_accuracy > 0.85


def test_calibration_chooses_temperature_and_threshold_on_validation_data():
    from model_core.training.calibrate import calibrate

    model = load_model("mlp")
    rule = calibrate(model, "max_softmax", flag_at_most=0.01, redrawn=200, negatives=300)
    assert rule["method"] == "max_softmax" and 0.1 <= rule["threshold"] <= 1 and 0.5 <= rule["temperature"] <= 4
    figures = rule["validation"]
    assert set(figures["digits_flagged"]) == {"mnist_validation", *(f"redrawn_{v}" for v in VARIANTS)}
    assert all(share <= 0.011 for share in figures["digits_flagged"].values())  # as asked, on each subset
    assert 0 <= figures["negatives_flagged"] <= 1 and figures["ece_after"] <= figures["ece_before"] + 1e-9
    flagged = Model(model.members, model.labels, {**model.card, "not_a_digit": rule})
    scores = flagged.scores(np.zeros((1, 28, 28), np.float32) + np.eye(28, dtype=np.float32))
    assert scores.is_digit[0] == (scores.digit_score[0] >= rule["threshold"])
