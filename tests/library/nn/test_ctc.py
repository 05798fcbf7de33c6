"""CTC: the loss and its gradient against finite differences and against PyTorch's ctc_loss
(values a script stored once: devtools/ctc_reference.py; a live comparison runs where PyTorch
is installed), and decoding of hand-made score tables."""

import json

import numpy as np
import pytest

from model_core.nn.ctc import CTCLoss, beam_search, best_path, log_softmax
from tests.conftest import FIXTURES
from tests.library.nn.test_gradients import numeric_grad

STORED = json.loads((FIXTURES / "ctc_reference.json").read_text())


def test_the_loss_and_its_gradient_by_finite_differences():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((3, 6, 4))
    targets, lengths = [[1, 2], [3, 3], []], [6, 5, 4]
    loss = CTCLoss()

    def value():
        return loss.forward(logits, targets, lengths)

    value()
    np.testing.assert_allclose(loss.backward(), numeric_grad(value, logits), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("case", STORED, ids=lambda c: f"{len(c['targets'])}x{len(c['logits'][0])}")
def test_the_loss_and_its_gradient_match_pytorch_as_stored(case):
    loss = CTCLoss()
    value = loss.forward(np.array(case["logits"]), case["targets"], case["lengths"])
    np.testing.assert_allclose(loss.loss_each, case["loss_each"], rtol=1e-9, atol=1e-9)
    assert value == pytest.approx(sum(case["loss_each"]) / len(case["targets"]))
    np.testing.assert_allclose(loss.backward(), np.array(case["grad"]), rtol=1e-7, atol=1e-10)


def test_the_loss_matches_pytorch_live():
    torch = pytest.importorskip("torch")  # a reference only: where it is installed
    from devtools.ctc_reference import cases, reference

    for case in cases():
        loss = CTCLoss()
        loss.forward(np.array(case["logits"]), case["targets"], case["lengths"])
        expected = reference(case)
        assert torch.__version__
        np.testing.assert_allclose(loss.loss_each, expected["loss_each"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(loss.backward(), np.array(expected["grad"]), rtol=1e-7, atol=1e-10)


def table(rows: list[list[float]]) -> np.ndarray:
    """Per-step probabilities (blank first) as log-probabilities."""
    return np.log(np.array(rows, float) + 1e-12)


def test_best_path_merges_repeats_and_drops_blanks():
    # steps: 1 1 blank 1 2 2 blank → "1 1 2": a repeat counts twice only across a blank
    scores = table([[0, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [1, 0, 0]])
    labels, steps = best_path(scores)
    assert labels == [1, 1, 2] and steps == [0, 3, 4]


def test_beam_search_sums_the_paths_of_a_text():
    # The best single path reads "" (blank, blank), but "1" has more probability over its paths:
    # 0.4·0.65 + 0.6·0.35 + 0.4·0.35 = 0.61 against 0.39; its 1 peaks at the first step.
    scores = table([[0.6, 0.4], [0.65, 0.35]])
    assert best_path(scores)[0] == []
    (text, log_p, steps), (other, log_q, _) = beam_search(scores, width=4)[:2]
    assert text == (1,) and other == ()
    assert np.exp(log_p) == pytest.approx(0.61) and np.exp(log_q) == pytest.approx(0.39)
    assert steps == (0,)


def test_beam_search_reads_a_repeated_label_only_across_a_blank():
    scores = table([[0.05, 0.9, 0.05], [0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])
    best = beam_search(scores, width=8)[0]
    assert best[0] == (1, 1, 2) and best[2] == (0, 2, 3)


def test_beam_search_with_a_constraint_never_writes_a_refused_label():
    scores = log_softmax(np.random.default_rng(3).standard_normal((12, 5)) * 3)
    for text, _, _ in beam_search(scores, width=6, allowed=lambda prefix, k: k != 2):
        assert 2 not in text
