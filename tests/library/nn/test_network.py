"""Sequential networks of the named architectures: shapes, dtypes, the label set."""

import numpy as np
import pytest

from model_core.nn.network import ARCHITECTURES, Sequential, architecture


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
