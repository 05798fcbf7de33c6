"""Saved models: the round trip, the predict contract, what is refused on load, the shipped
models' cards and targets."""

import json

import numpy as np
import pytest

from model_core import ModelLoadError, load_model, save_model
from model_core.data.datasets import as_float_images
from model_core.imaging.preprocess import deskew
from model_core.model import Model
from model_core.nn.network import architecture
from model_core.training.metrics import evaluate
from model_core.training.train import train
from tests.conftest import quick_config


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, small_split):
    train_set, val_set = small_split
    result = train(architecture("mlp"), train_set.subset(slice(0, 800)), val_set, quick_config(1), progress=False)
    model = Model([result.network], [str(d) for d in range(10)], {"name": "tiny"})
    path = save_model(model, tmp_path_factory.mktemp("models") / "tiny")
    return model, path


def test_save_load_round_trip(tiny_model, small_split):
    model, path = tiny_model
    loaded = load_model(path)
    x = as_float_images(small_split[1].images[:50])
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    assert loaded.labels == model.labels and loaded.card["weights_sha256"] == model.card["weights_sha256"]
    assert load_model(path.with_suffix(".npz")).version == loaded.version


def test_predict_proba_contract(tiny_model):
    model, _ = tiny_model
    probs = model.predict_proba(np.zeros((3, 28, 28)))
    assert probs.shape == (3, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        model.predict_proba(np.zeros((3, 32, 32)))


def test_corrupt_weights_are_refused(tiny_model, tmp_path):
    _, path = tiny_model
    card = json.loads(path.read_text())
    blob = bytearray(path.with_suffix(".npz").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (tmp_path / card["weights_file"]).write_bytes(bytes(blob))
    (tmp_path / "tiny.json").write_text(path.read_text())
    with pytest.raises(ModelLoadError, match="checksum"):
        load_model(tmp_path / "tiny")


def test_mismatched_architecture_is_refused(tiny_model, tmp_path):
    _, path = tiny_model
    card = json.loads(path.read_text())
    card["members"][0]["spec"][1]["units"] = 999
    (tmp_path / card["weights_file"]).write_bytes(path.with_suffix(".npz").read_bytes())
    (tmp_path / "tiny.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="shape"):
        load_model(tmp_path / "tiny")


def test_missing_or_garbled_card_is_refused(tmp_path):
    with pytest.raises(ModelLoadError, match="no model card"):
        load_model(tmp_path / "nothing")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable"):
        load_model(tmp_path / "bad")
    (tmp_path / "odd.json").write_text("[]")
    with pytest.raises(ModelLoadError, match="not a model card"):
        load_model(tmp_path / "odd")


@pytest.mark.parametrize("name", ["cnn", "ensemble", "mlp"])
def test_shipped_model_card_matches_a_fresh_evaluation(name, mnist_test):
    model = load_model(name)
    report = evaluate(model, mnist_test)
    card = model.card
    assert report["accuracy"] == pytest.approx(card["metrics"]["test"]["accuracy"], abs=1e-9)
    assert report["confusion_matrix"] == card["metrics"]["test"]["confusion_matrix"]
    assert card["training"]["command"].startswith(("python -m model_core train", "python -m model_core distill"))
    assert card["dataset"]["checksums_md5"]["t10k-images-idx3-ubyte.gz"] == "2646ac647ad5339dbf082846283269ea"
    assert card["parameter_count"] == sum(net.parameter_count for net in model.members)


def test_shipped_models_meet_their_accuracy_targets():
    # The default was chosen by validation: within one image of the ensemble's 11 errors in
    # 5,000. Its one test read (99.61%) fell 4 images short of the 99.65% asked, and is
    # reported as such in the README; these floors keep what ships from sliding further.
    assert load_model("cnn").card["metrics"]["validation_accuracy"] >= 0.9976
    assert load_model("cnn").card["metrics"]["test"]["accuracy"] >= 0.996
    assert load_model("ensemble").card["metrics"]["test"]["accuracy"] >= 0.9965
    assert load_model("mlp").card["metrics"]["test"]["accuracy"] >= 0.985


def test_a_model_trained_on_deskewed_digits_deskews_its_inputs(tiny_model):
    tiny_model, _ = tiny_model
    rng = np.random.default_rng(3)
    x = rng.random((4, 28, 28), dtype=np.float32) * (rng.random((4, 28, 28)) > 0.8)  # sparse "ink"
    flagged = Model(tiny_model.members, tiny_model.labels, {**tiny_model.card, "input": {"deskew": True}})
    assert flagged.deskews and not tiny_model.deskews
    np.testing.assert_array_equal(flagged.predict_proba(x), tiny_model.predict_proba(deskew(x)))
    assert not np.allclose(flagged.predict_proba(x), tiny_model.predict_proba(x))
