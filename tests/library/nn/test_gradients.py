"""Finite-difference gradient checks, in float64, for every layer and the loss."""

import numpy as np
import pytest

from model_core.nn import parallel
from model_core.nn.layers import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU
from model_core.nn.losses import DistillationLoss, SoftmaxCrossEntropy


def as_float64(layer):
    for store in (layer.params, layer.state):
        for k in store:
            store[k] = store[k].astype(np.float64)
    return layer


def numeric_grad(f, x, eps=1e-6):
    """Central differences of scalar f() with respect to every entry of x (in place)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = f()
        x[i] = old - eps
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def check_layer(layer, input_shape, seed=0, training=True):
    rng = np.random.default_rng(seed)
    layer.build(input_shape[1:], rng)
    as_float64(layer)
    x = rng.standard_normal(input_shape)
    weights = rng.standard_normal(layer.forward(x.copy(), training).shape)

    def loss():
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(99)  # the same mask every call
        return float((layer.forward(x, training) * weights).sum())

    loss()
    analytic_x = layer.backward(weights.copy())
    if analytic_x is not None:
        np.testing.assert_allclose(analytic_x, numeric_grad(loss, x), rtol=1e-5, atol=1e-6)
    for name, value in layer.params.items():
        loss()
        layer.backward(weights.copy())
        analytic = layer.grads[name].copy()
        np.testing.assert_allclose(analytic, numeric_grad(loss, value), rtol=1e-5, atol=1e-6, err_msg=name)


def test_dense():
    check_layer(Dense(5), (4, 7))


@pytest.mark.parametrize("kernel,stride,padding", [(3, 1, 1), (3, 1, 0), (3, 2, 1), (5, 1, 2), (2, 2, 0)])
def test_conv2d(kernel, stride, padding):
    check_layer(Conv2D(4, kernel, stride, padding), (2, 7, 6, 3))


def test_conv2d_gathers_its_windows_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(Conv2D, "CHUNK_BYTES", 1)  # one image per chunk: 3 images, 3 chunks
    check_layer(Conv2D(4, 3, 2, 1), (3, 7, 6, 3))


def reference_conv(x, weights, bias, stride, padding):
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    k = weights.shape[-1]
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("nhwcij,fcij->nhwf", win, weights) + bias


@pytest.mark.parametrize(
    "make_input",
    [
        lambda x: x[..., :1],  # a channel sliced out of a wider array: not contiguous
        lambda x: np.ascontiguousarray(x[..., 0])[..., None],  # a channel axis added, stride 0
        lambda x: x[:, ::-1],  # flipped: negative strides
    ],
    ids=["sliced", "new-axis", "flipped"],
)
@pytest.mark.parametrize("kernel,stride,padding", [(3, 1, 0), (5, 2, 2)])
def test_conv2d_forward_matches_a_direct_convolution_whatever_the_input_layout(make_input, kernel, stride, padding):
    rng = np.random.default_rng(3)
    x = make_input(rng.random((5, 12, 12, 2), dtype=np.float32))
    layer = Conv2D(4, kernel, stride, padding)
    layer.build(x.shape[1:], rng)
    layer.params["b"] = rng.standard_normal(4).astype(np.float32)
    expected = reference_conv(np.asarray(x, np.float64), layer.params["W"], layer.params["b"], stride, padding)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_first_layer_skips_input_gradient_but_keeps_weight_gradients():
    layer = Conv2D(2, 3, 1, 1)
    layer.input_grad = False
    rng = np.random.default_rng(0)
    layer.build((5, 5, 1), rng)
    out = layer.forward(rng.standard_normal((2, 5, 5, 1)).astype(np.float32))
    assert layer.backward(np.ones_like(out)) is None
    assert layer.grads["W"].shape == (2, 1, 3, 3)


def test_maxpool2d():
    check_layer(MaxPool2D(2), (2, 6, 7, 3))  # odd width: the last column is dropped
    check_layer(MaxPool2D(3), (2, 7, 9, 2))  # a 3×3 window, a trailing row dropped


def test_relu():
    check_layer(ReLU(), (3, 11))


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 3, 2)])
def test_batchnorm_training(shape):
    check_layer(BatchNorm(), shape)


def test_batchnorm_inference_uses_running_statistics():
    check_layer(BatchNorm(), (6, 4), training=False)


def test_dropout():
    check_layer(Dropout(0.4), (5, 9))


def test_flatten():
    check_layer(Flatten(), (2, 3, 4, 2))


def test_softmax_cross_entropy_with_smoothing_and_weights():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    sample_weights = rng.uniform(0.5, 3, 6)
    loss = SoftmaxCrossEntropy(smoothing=0.1)

    def value():
        return loss.forward(logits, labels, sample_weights)

    value()
    np.testing.assert_allclose(loss.backward(), numeric_grad(value, logits), rtol=1e-5, atol=1e-7)


def test_distillation_loss_with_and_without_a_teacher_per_row():
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((7, 11)) * 2  # ten teacher classes and one of the student's own
    labels = rng.integers(0, 11, 7)
    teacher = rng.dirichlet(np.ones(10), 7)
    teacher[[1, 4]] = np.nan  # rows the teacher cannot judge: the label alone
    loss = DistillationLoss(alpha=0.6, temperature=3.0)

    def value():
        return loss.forward(logits, labels, teacher, np.arange(1.0, 8.0))

    value()
    np.testing.assert_allclose(loss.backward(), numeric_grad(value, logits), rtol=1e-5, atol=1e-7)
    # Without a teacher it is the plain cross-entropy.
    plain = SoftmaxCrossEntropy()
    assert loss.forward(logits, labels) == pytest.approx(plain.forward(logits, labels))
    np.testing.assert_allclose(loss.backward(), plain.backward(), rtol=1e-6, atol=1e-9)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss = SoftmaxCrossEntropy()
    value = loss.forward(np.array([[1000.0, -1000.0, 0.0]], np.float32), np.array([0]))
    assert np.isfinite(value) and value == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(loss.backward()).all()


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: Conv2D(3, kernel=3, padding=1), (6, 5, 5, 2)),
        (lambda: Conv2D(2, kernel=3, stride=2), (6, 7, 7, 2)),
        (lambda: Dense(4), (6, 5)),
        (lambda: BatchNorm(), (6, 3, 3, 2)),
        (lambda: ReLU(), (6, 7)),
        (lambda: MaxPool2D(2), (6, 4, 5, 2)),
    ],
    ids=["conv2d", "conv2d-stride", "dense", "batchnorm", "relu", "maxpool2d"],
)
def test_rows_split_across_threads_give_the_same_gradients(monkeypatch, make, shape):
    # Inside parallel_rows() a training batch's rows are split across threads; here every
    # array counts as big, so each layer runs split in three, GEMMs and reductions included.
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(parallel, "THREADS", 3)
    monkeypatch.setattr(parallel, "_active", True)
    assert len(parallel._parts(6, 6)) == 3
    check_layer(make(), shape)
