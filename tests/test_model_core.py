import csv
import json
import platform
from pathlib import Path

import numpy as np
import pytest

from backend.runtime import keep_freed_memory
from model_core import ModelLoadError, load_model, save_model
from model_core.cli import main as cli_main
from model_core.data.augment import NO_AUGMENTATION, AugmentConfig, augment
from model_core.data.datasets import as_float_images
from model_core.data.synth import VARIANTS
from model_core.imaging.preprocess import deskew
from model_core.model import Model
from model_core.nn.network import ARCHITECTURES, Sequential, architecture
from model_core.training.metrics import evaluate
from model_core.training.train import TrainConfig, train


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_shapes_and_dtypes(arch):
    net = Sequential(architecture(arch), seed=0)
    x = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    out = net.forward(x, training=True)
    assert out.shape == (5, 10) and out.dtype == np.float32
    assert net.shapes[-1] == (10,)
    assert all(p.dtype == np.float32 for layer in net.layers for p in layer.params.values())
    net.backward(np.ones_like(out) / 5)
    assert all(layer.grads[k].dtype == np.float32 for layer in net.layers for k in layer.params)
    assert net.parameter_count == sum(row["parameters"] for row in net.describe())


def test_architecture_follows_the_label_set():
    net = Sequential(architecture("cnn", num_classes=47))
    assert net.forward(np.zeros((1, 28, 28), np.float32)).shape == (1, 47)


def test_augmentation_is_seeded_and_keeps_range_and_shape():
    images = np.zeros((8, 28, 28), np.float32)
    images[:, 8:20, 12:16] = 1.0
    a = augment(images, np.random.default_rng(1))
    b = augment(images, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == images.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert not np.allclose(a, images)
    # The ink survives: nothing is pushed off the canvas or erased.
    assert (a.sum(axis=(1, 2)) > 0.5 * images.sum(axis=(1, 2))).all()


def test_thickness_augmentation_changes_ink_amount():
    images = np.zeros((200, 28, 28), np.float32)
    images[:, 6:22, 13:15] = 1.0
    only_thickness = AugmentConfig(0.0, (1.0, 1.0), 0.0, 0.0, 0.5, 0.5)
    ink = augment(images, np.random.default_rng(0), only_thickness).sum(axis=(1, 2))
    assert ink.max() > images[0].sum() * 1.3 and ink.min() < images[0].sum() * 0.9


def quick_config(seed=0, epochs=2, **kwargs):
    return TrainConfig(epochs=epochs, batch_size=64, lr=3e-3, seed=seed, **kwargs)


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


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_servers_can_keep_freed_memory_and_give_it_back_on_glibc():
    from backend.runtime import release_memory

    assert keep_freed_memory(mmap_threshold=32 << 20, trim_threshold=128 << 20) is True
    assert release_memory() is True


def test_a_model_trained_on_deskewed_digits_deskews_its_inputs(tiny_model):
    tiny_model, _ = tiny_model
    rng = np.random.default_rng(3)
    x = rng.random((4, 28, 28), dtype=np.float32) * (rng.random((4, 28, 28)) > 0.8)  # sparse "ink"
    flagged = Model(tiny_model.members, tiny_model.labels, {**tiny_model.card, "input": {"deskew": True}})
    assert flagged.deskews and not tiny_model.deskews
    np.testing.assert_array_equal(flagged.predict_proba(x), tiny_model.predict_proba(deskew(x)))
    assert not np.allclose(flagged.predict_proba(x), tiny_model.predict_proba(x))


def test_train_cli_with_deskew_records_it_and_combine_refuses_to_mix(tmp_path, mnist_test, capsys):
    common = ["train", "--arch", "mlp", "--epochs", "1", "--limit", "1000", "--quiet"]
    assert cli_main([*common, "--deskew", "--out", str(tmp_path / "skewless")]) == 0
    assert cli_main([*common, "--out", str(tmp_path / "plain")]) == 0
    skewless = load_model(tmp_path / "skewless")
    assert skewless.deskews and skewless.card["input"] == {"deskew": True}
    assert evaluate(skewless, mnist_test)["accuracy"] == skewless.card["metrics"]["test"]["accuracy"]
    mix = ["combine", str(tmp_path / "skewless"), str(tmp_path / "plain"), "--out", str(tmp_path / "mix")]
    assert cli_main(mix) == 2
    assert "deskew" in capsys.readouterr().err and not (tmp_path / "mix.json").exists()


def test_combine_of_two_architectures_names_both_and_averages_them(tmp_path, mnist_test):
    common = ["train", "--epochs", "1", "--limit", "300", "--val-size", "500", "--quiet"]
    assert cli_main([*common, "--arch", "cnn-deep", "--out", str(tmp_path / "deep")]) == 0
    assert cli_main([*common, "--arch", "mlp", "--out", str(tmp_path / "mlp")]) == 0
    args = ["combine", str(tmp_path / "deep"), str(tmp_path / "mlp"), "--out", str(tmp_path / "both")]
    assert cli_main(args) == 0
    both, deep, mlp = (load_model(tmp_path / name) for name in ("both", "deep", "mlp"))
    assert both.card["architecture"] == "cnn-deep+mlp"
    assert [m["architecture"] for m in both.card["members"]] == ["cnn-deep", "mlp"]
    assert both.card["metrics"]["validation_accuracy"] is not None  # one split, the same images held out
    x = as_float_images(mnist_test.images[:50])
    by_hand = (deep.predict_proba(x) + mlp.predict_proba(x)) / 2
    np.testing.assert_allclose(both.predict_proba(x), by_hand, rtol=1e-5, atol=1e-6)


def test_combine_can_store_half_precision_and_its_card_is_measured_as_stored(tmp_path, mnist_test):
    common = ["train", "--arch", "mlp", "--epochs", "1", "--limit", "1000", "--members", "2", "--quiet"]
    assert cli_main([*common, "--out", str(tmp_path / "two")]) == 0
    assert cli_main(["combine", str(tmp_path / "two"), "--out", str(tmp_path / "full")]) == 0
    assert cli_main(["combine", str(tmp_path / "two"), "--float16", "--out", str(tmp_path / "half")]) == 0
    full, half = load_model(tmp_path / "full"), load_model(tmp_path / "half")
    assert half.card["weights_storage"] == "float16" and "weights_storage" not in full.card
    assert (tmp_path / "half.npz").stat().st_size < 0.6 * (tmp_path / "full.npz").stat().st_size
    with np.load(tmp_path / "half.npz") as archive:
        assert {archive[key].dtype for key in archive.files} == {np.dtype(np.float16)}
    assert {w.dtype for net in half.members for w in net.weights().values()} == {np.dtype(np.float32)}
    report = evaluate(half, mnist_test)  # the card's figures are those of the weights as loaded
    assert report["accuracy"] == half.card["metrics"]["test"]["accuracy"]
    assert report["confusion_matrix"] == half.card["metrics"]["test"]["confusion_matrix"]
    x = as_float_images(mnist_test.images[:50])
    np.testing.assert_allclose(half.predict_proba(x), full.predict_proba(x), atol=5e-3)


def test_combine_picks_networks_and_reports_validation_only_for_a_shared_split(tmp_path, mnist_test, capsys):
    common = ["train", "--arch", "mlp", "--epochs", "1", "--limit", "1000", "--quiet"]
    assert cli_main([*common, "--members", "3", "--seed", "4", "--out", str(tmp_path / "three")]) == 0
    assert cli_main([*common, "--val-size", "0", "--seed", "9", "--out", str(tmp_path / "all")]) == 0
    three, everything = load_model(tmp_path / "three"), load_model(tmp_path / "all")
    assert everything.card["dataset"]["validation_size"] == 0

    assert cli_main(["combine", f"{tmp_path / 'three'}@1,3", "--out", str(tmp_path / "same")]) == 0
    same = load_model(tmp_path / "same")
    assert [m["seed"] for m in same.card["members"]] == [4, 6]
    assert same.card["metrics"]["validation_accuracy"] is not None
    assert same.card["dataset"]["validation_size"] == 5000

    assert (
        cli_main(["combine", f"{tmp_path / 'three'}@2-3", str(tmp_path / "all"), "--out", str(tmp_path / "mix")]) == 0
    )
    mix = load_model(tmp_path / "mix")
    assert [m["seed"] for m in mix.card["members"]] == [5, 6, 9]
    assert [m["validation_size"] for m in mix.card["members"]] == [5000, 5000, 0]
    assert mix.card["metrics"]["validation_accuracy"] is None  # network 3 trained on the held-out images
    assert mix.card["dataset"]["validation_size"] == 0
    commands = mix.card["training"]["member_commands"]
    assert len(commands) == 3 and "--members 3" in commands[0] and "--val-size 0" in commands[2]
    assert mix.card["architecture"] == "mlp" and {m["architecture"] for m in mix.card["members"]} == {"mlp"}
    # Networks taken out of a combined model keep their own split: the first two of `mix`
    # held out the same images as `three`, although `mix` as a whole held out none.
    again = ["combine", f"{tmp_path / 'mix'}@1-2", f"{tmp_path / 'three'}@1", "--out", str(tmp_path / "again")]
    assert cli_main(again) == 0
    again = load_model(tmp_path / "again")
    assert again.card["metrics"]["validation_accuracy"] is not None
    assert (again.card["dataset"]["train_size"], again.card["dataset"]["validation_size"]) == (1000, 5000)
    x = as_float_images(mnist_test.images[:50])
    picked = [*three.members[1:], *everything.members]
    by_hand = np.mean([Model([net], mix.labels, {}).predict_proba(x) for net in picked], axis=0)
    np.testing.assert_allclose(mix.predict_proba(x), by_hand, rtol=1e-5, atol=1e-6)
    assert evaluate(mix, mnist_test)["accuracy"] == mix.card["metrics"]["test"]["accuracy"]

    capsys.readouterr()
    for bad, why in (("@4", "has networks 1 to 3"), ("@0-1", "has networks 1 to 3"), ("@x", "give network numbers")):
        assert cli_main(["combine", f"{tmp_path / 'three'}{bad}", "--out", str(tmp_path / "bad")]) == 2
        assert why in capsys.readouterr().err
    assert not (tmp_path / "bad.json").exists()


def test_predict_cli_reads_a_folder_of_pngs_and_an_mnist_csv(tmp_path, mnist_test, capsys):
    from model_core.data.datasets import write_csv
    from model_core.imaging.encode import to_png

    folder = tmp_path / "digits"
    (folder / "more").mkdir(parents=True)
    for i in range(6):
        target = folder / ("more" if i % 2 else ".") / f"d{i}.png"
        target.write_bytes(to_png(mnist_test.images[i] / 255.0))
    (folder / "notes.txt").write_text("not an image, not looked at")
    (folder / "broken.png").write_bytes(b"\x89PNG broken")
    write_csv(tmp_path / "rows.csv", mnist_test.images[6:9], mnist_test.labels[6:9])
    out = tmp_path / "results.csv"
    assert cli_main(["predict", str(folder), str(tmp_path / "rows.csv"), "--model", "mlp", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    by_name = {Path(row["file"]).name: row for row in rows}
    assert len(rows) == 6 + 1 + 3
    for i in range(6):
        row = by_name[f"d{i}.png"]
        assert row["prediction"] == str(mnist_test.labels[i]) and float(row["confidence"]) > 0.5
        assert row["is_digit"] in ("true", "false") and not row["error"]
    assert by_name["broken.png"]["error"] and not by_name["broken.png"]["prediction"]
    assert [by_name[f"rows.csv#{r}"]["prediction"] for r in range(3)] == [str(v) for v in mnist_test.labels[6:9]]
    assert "10 images" in capsys.readouterr().err

    assert cli_main(["predict", str(tmp_path / "nowhere"), "--model", "mlp"]) == 2
    assert "no such file or folder" in capsys.readouterr().err


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


def test_negatives_take_real_letters_only_when_given_and_never_digit_like_ones():
    from model_core.data.negatives import DIGIT_LIKE, HANDWRITTEN_LETTERS, negatives

    assert not set(HANDWRITTEN_LETTERS) & (DIGIT_LIKE | set("DJQTILOSZ"))
    digits = np.zeros((4, 28, 28), np.uint8)
    digits[:, 6:22, 12:16] = 255  # bars, for the numbers
    letters = np.zeros((3, 28, 28), np.uint8)
    letters[:, 5:23, 5:23] = 200
    letters[:, 9:19, 9:19] = 0  # a square ring
    images, kinds = negatives(300, 5, digits, letters)
    assert images.shape == (300, 28, 28) and images.dtype == np.uint8
    assert {"handwritten", "hatching", "digits", "letter"} <= set(kinds)
    assert "handwritten" not in negatives(100, 5, digits)[1]
