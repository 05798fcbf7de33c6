"""`python -m model_core`: train, combine and predict as a user runs them."""

import csv
from pathlib import Path

import numpy as np

from model_core import load_model
from model_core.cli import main as cli_main
from model_core.data.datasets import as_float_images
from model_core.model import Model
from model_core.training.metrics import evaluate


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
