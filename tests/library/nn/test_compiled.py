"""The inference form (BatchNorm folded, members grouped) must answer what the layers answer."""

import numpy as np
import pytest

from model_core.model import Model
from model_core.nn.compiled import MAX_BATCH, GroupedNetwork, batch_size, fold
from model_core.nn.layers import BatchNorm, Conv2D, Dense, Flatten, MaxPool2D, ReLU
from model_core.nn.network import Sequential, architecture
from model_core.training.train import TrainConfig, train

ODD_SPEC = [  # BatchNorm after a ReLU (not foldable), a bare ReLU, stride, odd pooling, no padding
    {"type": "conv2d", "filters": 6, "kernel": 5, "stride": 2, "padding": 2},
    {"type": "relu"},
    {"type": "batchnorm"},
    {"type": "maxpool2d", "size": 3},
    {"type": "flatten"},
    {"type": "relu"},
    {"type": "dense", "units": 10},
]


def trained_statistics(net: Sequential, seed: int) -> Sequential:
    """Give every BatchNorm non-trivial running statistics and affine parameters."""
    rng = np.random.default_rng(seed)
    for layer in net.layers:
        if isinstance(layer, BatchNorm):
            c = layer.state["mean"].shape
            layer.state["mean"] = rng.normal(0, 0.5, c).astype(np.float32)
            layer.state["var"] = rng.uniform(0.2, 3.0, c).astype(np.float32)
            layer.params["gamma"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
            layer.params["beta"] = rng.normal(0, 0.3, c).astype(np.float32)
    return net


@pytest.mark.parametrize(
    "spec",
    [architecture("cnn"), architecture("cnn-deep"), architecture("mlp"), ODD_SPEC],
    ids=["cnn", "cnn-deep", "mlp", "odd"],
)
def test_folded_network_answers_like_its_layers(spec):
    net = trained_statistics(Sequential(spec, seed=3), seed=4)
    x = np.random.default_rng(5).random((37, 28, 28), dtype=np.float32)
    expected = net.forward(x)
    got = net.logits(x, batch_size=8)  # several batches and a ragged last one
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_batchnorm_folds_into_the_layer_before_and_relu_fuses():
    kinds = [(op.kind, op.relu) for op in fold(Sequential(architecture("cnn")).layers)]
    assert kinds == [
        (Conv2D, True), (MaxPool2D, False), (Conv2D, True), (MaxPool2D, False), (Conv2D, True),
        (Flatten, False), (Dense, True), (Dense, False),
    ]  # fmt: skip
    odd = [op.kind for op in fold(Sequential(ODD_SPEC).layers)]
    assert odd == [Conv2D, BatchNorm, MaxPool2D, Flatten, ReLU, Dense]


def test_grouped_members_answer_like_each_alone():
    nets = [trained_statistics(Sequential(architecture("cnn"), seed=s), seed=s + 10) for s in range(3)]
    x = np.random.default_rng(0).random((9, 28, 28), dtype=np.float32)
    grouped = GroupedNetwork(nets).logits(x, batch_size=4)
    assert grouped.shape == (3, 9, 10)
    for i, net in enumerate(nets):
        np.testing.assert_allclose(grouped[i], net.forward(x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("images", [4, 21], ids=["one batch", "three batches"])
def test_an_ensemble_of_mixed_architectures_averages_every_member(images):
    nets = [
        trained_statistics(Sequential(architecture(a), seed=i), seed=i) for i, a in enumerate(["cnn", "mlp", "cnn"])
    ]
    model = Model(nets, [str(d) for d in range(10)], {})
    x = np.random.default_rng(1).random((images, 28, 28), dtype=np.float32)
    logits = np.stack([net.forward(x) for net in nets])
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    expected = (e / e.sum(axis=-1, keepdims=True)).mean(axis=0)
    np.testing.assert_allclose(model.predict_proba(x, batch_size=8), expected, rtol=1e-4, atol=1e-6)
    assert len(model.groups()) == 2
    # On two threads: one batch runs a share of both architectures on each thread (the two
    # cnn split, the mlp alone); several batches are shared among the threads instead.
    model.threads = 2
    np.testing.assert_allclose(model.predict_proba(x, batch_size=8), expected, rtol=1e-4, atol=1e-6)
    assert [[group.members for group in lane] for lane in model.lanes(2)] == [[1, 1], [1]]


def test_networks_of_different_architectures_cannot_be_grouped():
    with pytest.raises(ValueError, match="one architecture"):
        GroupedNetwork([Sequential(architecture("cnn")), Sequential(architecture("mlp"))])


def test_logits_follow_the_weights_as_training_changes_them(small_split):
    train_set, val_set = small_split
    net = Sequential(architecture("mlp"), seed=0)
    x = val_set.images[:16].astype(np.float32) / 255.0
    before = net.logits(x)
    train(
        net.spec,
        train_set.subset(slice(0, 300)),
        val_set,
        TrainConfig(epochs=1, batch_size=64),
        progress=False,
        network=net,
    )
    after = net.logits(x)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, net.forward(x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_an_ensemble_split_across_threads_answers_like_one_thread(threads):
    nets = [trained_statistics(Sequential(architecture("mlp"), seed=s), seed=s) for s in range(5)]
    x = np.random.default_rng(2).random((6, 28, 28), dtype=np.float32)
    one = Model(nets, [str(d) for d in range(10)], {}).predict_proba(x)
    split = Model(nets, [str(d) for d in range(10)], {}, threads=threads)
    np.testing.assert_allclose(split.predict_proba(x), one, rtol=1e-5, atol=1e-7)
    shares = split.groups(threads)
    assert len(shares) == min(threads, 5) and sum(g.members for g in shares) == 5


def test_networks_of_the_same_kinds_but_other_sizes_cannot_be_grouped():
    wide = [dict(layer) for layer in architecture("mlp")]
    wide[1]["units"] = 64
    with pytest.raises(ValueError, match="one architecture"):
        GroupedNetwork([Sequential(architecture("mlp")), Sequential(wide)])


def test_batches_are_smaller_the_bigger_the_im2col_matrix():
    deep, cnn, mlp = (Sequential(architecture(a)) for a in ("cnn-deep", "cnn", "mlp"))
    # cnn-deep's biggest im2col matrix (24×24 windows of 3×3×32) is 2.9× cnn's (14×14 of 3×3×32).
    assert 1 <= batch_size(deep) < batch_size(cnn) < MAX_BATCH
    assert batch_size(mlp) == MAX_BATCH  # no im2col at all
    assert batch_size(cnn, members=4) <= batch_size(cnn) // 4 + 1  # stacked members share the room
    assert batch_size(deep, members=1000) == 1
    assert GroupedNetwork([cnn, cnn]).batch_size == batch_size(cnn, members=2)


def test_a_model_lists_each_architecture_once_with_its_networks_and_layers():
    nets = [Sequential(architecture(a), seed=i) for i, a in enumerate(["cnn", "mlp", "cnn"])]
    card = {"architecture": "cnn+mlp", "members": [{"architecture": a} for a in ("cnn", "mlp", "cnn")]}
    found = Model(nets, [str(d) for d in range(10)], card).architectures()
    assert [(a["name"], a["networks"]) for a in found] == [("cnn", 2), ("mlp", 1)]
    assert [a["layers"] for a in found] == [nets[0].describe(), nets[1].describe()]
    assert [a["parameter_count"] for a in found] == [nets[0].parameter_count, nets[1].parameter_count]
    # A card without per-network names (a single-architecture model) names them all after itself.
    alone = Model(nets[1:2], [str(d) for d in range(10)], {"architecture": "mlp"})
    assert [a["name"] for a in alone.architectures()] == ["mlp"]
