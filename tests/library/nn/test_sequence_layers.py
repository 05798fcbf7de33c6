"""The line network's layers: gradients by finite differences (float64), shapes of any width,
and their inference form against the training form."""

import numpy as np
import pytest

from model_core.nn.layers import MaxPool2D
from model_core.nn.network import Sequential
from model_core.nn.sequence import Columns, TemporalConv
from tests.library.nn.test_gradients import check_layer


def test_columns():
    check_layer(Columns(), (2, 3, 5, 4))


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_temporal_convolution(kernel):
    check_layer(TemporalConv(4, kernel), (3, 7, 5))


def test_a_temporal_convolution_keeps_the_length_and_refuses_an_even_kernel():
    layer = TemporalConv(2, 3)
    layer.build((9, 4), np.random.default_rng(0))
    assert layer.forward(np.ones((1, 9, 4), np.float32)).shape == (1, 9, 2)
    with pytest.raises(ValueError, match="odd"):
        TemporalConv(2, 4)


def test_pooling_that_shrinks_height_and_width_apart():
    check_layer(MaxPool2D([2, 1]), (2, 6, 5, 3))
    check_layer(MaxPool2D([1, 3]), (2, 4, 7, 2))


LINE_SPEC = [
    {"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1},
    {"type": "batchnorm"},
    {"type": "relu"},
    {"type": "maxpool2d", "size": [2, 2]},
    {"type": "conv2d", "filters": 5, "kernel": 3, "padding": 1},
    {"type": "batchnorm"},
    {"type": "relu"},
    {"type": "maxpool2d", "size": [2, 1]},
    {"type": "columns"},
    {"type": "temporalconv", "units": 6, "kernel": 3},
    {"type": "batchnorm"},
    {"type": "relu"},
    {"type": "temporalconv", "units": 7, "kernel": 1},
]


def test_a_line_network_takes_any_width_and_its_inference_form_agrees():
    net = Sequential(LINE_SPEC, seed=1, input_shape=(8, None, 1))
    assert net.shapes[-1] == (None, 7)  # one step per two input columns, any number of them
    assert net.describe()[8]["output_shape"] == [None, 10]  # columns: 2 rows × 5 channels a step
    rng = np.random.default_rng(2)
    for layer in net.layers:  # running statistics that are not the identity, so folding shows
        if "mean" in layer.state:
            layer.state["mean"] = rng.standard_normal(layer.state["mean"].shape).astype(np.float32)
            layer.state["var"] = rng.uniform(0.5, 2, layer.state["var"].shape).astype(np.float32)
    for width in (6, 20, 33):
        x = rng.random((3, 8, width), dtype=np.float32)
        expected = net.forward(x, training=False)
        assert expected.shape == (3, width // 2, 7)
        np.testing.assert_allclose(net.logits(x), expected, rtol=1e-4, atol=1e-5)
