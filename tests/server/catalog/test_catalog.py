"""GET /api/display-images/ and GET /api/model-info/: samples and the model card."""

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model_core import load_model

pytestmark = pytest.mark.django_db


def test_display_images_defaults(client):
    response = client.get("/api/display-images/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["images"]) == 12 and isinstance(body["seed"], int)
    sample = body["images"][0]
    assert sample["split"] == "test" and sample["label"] in "0123456789"
    assert sample["image"].startswith("data:image/png;base64,")


def test_display_images_filter_seed_and_split(client, mnist_train, mnist_test):
    first = client.get("/api/display-images/?count=5&digit=3&seed=7").json()
    again = client.get("/api/display-images/?count=5&digit=3&seed=7").json()
    assert first == again and {s["label"] for s in first["images"]} == {"3"}
    assert len({s["id"] for s in first["images"]}) == 5
    for split, data in (("train", mnist_train), ("test", mnist_test)):
        for sample in client.get(f"/api/display-images/?count=3&split={split}&seed=1").json()["images"]:
            np.testing.assert_array_equal(png_pixels(sample["image"]), data.images[sample["id"]])
            assert sample["label"] == str(data.labels[sample["id"]]) and sample["split"] == split


def png_pixels(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))


@pytest.mark.parametrize("query", ["count=0", "count=101", "digit=10", "digit=-1", "split=dev", "seed=x"])
def test_display_images_bounds(client, query):
    response = client.get(f"/api/display-images/?{query}")
    assert response.status_code == 400 and response.json()["detail"]


def test_model_info_is_the_card(client):
    body = client.get("/api/model-info/").json()
    card = json.loads(Path("artifacts/cnn.json").read_text())
    assert body["name"] == "cnn" and body["version"] == card["version"]
    assert set(body["available_models"]) >= {"cnn", "mlp"} and body["default_model"] == "cnn"
    assert body["parameter_count"] == card["parameter_count"]
    # Ten digits, and an eleventh output when the network learnt "not a digit" as a class.
    outputs = 10 + (card["not_a_digit"]["method"] == "class")
    assert body["layers"][0]["type"] == "conv2d" and body["layers"][-1]["output_shape"] == [outputs]
    assert body["labels"] == [str(d) for d in range(10)]
    assert body["dataset"]["checksums_md5"] == card["dataset"]["checksums_md5"]
    assert body["training"]["history"][0]["epoch"] == 1
    assert body["metrics"]["test"]["accuracy"] == card["metrics"]["test"]["accuracy"]
    assert len(body["metrics"]["test"]["confusion_matrix"]) == 10
    assert body["ensemble_size"] == len(card["members"])
    assert body["deskews_input"] is card.get("input", {}).get("deskew", False)
    # Every architecture of the ensemble, in the order its networks come, with its own layers.
    kinds = [m.get("architecture", card["architecture"]) for m in card["members"]]
    architectures = body["architectures"]
    assert [a["name"] for a in architectures] == list(dict.fromkeys(kinds))
    assert [a["networks"] for a in architectures] == [kinds.count(a["name"]) for a in architectures]
    assert sum(a["networks"] * a["parameter_count"] for a in architectures) == card["parameter_count"]
    assert architectures[0]["layers"] == body["layers"]
    # Every shipped model listed, with its size and (where measured) its speed; one default.
    listed = {m["name"]: m for m in body["models"]}
    assert set(listed) == set(body["available_models"]) and [m["default"] for m in body["models"]].count(True) == 1
    assert listed["cnn"]["version"] == card["version"] and listed["cnn"]["networks"] == len(card["members"])
    assert all(a["layers"][-1]["output_shape"] == [outputs] for a in architectures)


def test_model_info_for_another_model_and_an_unknown_one(client):
    mlp = client.get("/api/model-info/?model=mlp").json()
    assert mlp["architecture"] == "mlp"
    assert [(a["name"], a["networks"]) for a in mlp["architectures"]] == [("mlp", 1)]
    assert mlp["deskews_input"] is load_model("mlp").deskews
    response = client.get("/api/model-info/?model=nope")
    assert response.status_code == 400 and response.json()["code"] == "unknown_model"
