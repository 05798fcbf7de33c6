"""Training a line network: the corpus as a reader finds its lines, batches of like width, and
a few steps of CTC that lower the loss."""

import numpy as np

from model_core.data.lines import MARKS, written_text
from model_core.nn.ctc import CTCLoss
from model_core.nn.network import Sequential
from model_core.nn.optim import AdamW
from model_core.reading.network import COLUMN_PIXELS, LINE_HEIGHT
from model_core.training.lines import DIGIT_LABELS, assemble, batches, corpus, line_architecture


def test_the_corpus_is_lines_found_and_scaled_as_a_reader_finds_them(tmp_path):
    lines = corpus("validation", 24, seed=3, workers=1, cache=tmp_path)
    assert len(lines.images) + lines.missed == 24 and len(lines.images) >= 20
    assert all(image.shape[0] == LINE_HEIGHT and image.dtype == np.uint8 for image in lines.images)
    assert all(set(text) <= set("0123456789" + MARKS) and written_text(text) for text in lines.written)
    again = corpus("validation", 24, seed=3, workers=1, cache=tmp_path)  # from the cache, the same
    assert again.written == lines.written and all(
        np.array_equal(a, b) for a, b in zip(again.images, lines.images, strict=True)
    )


def test_batches_hold_lines_of_like_width_and_pad_to_the_step():
    rng = np.random.default_rng(0)
    widths = rng.integers(20, 400, 100)
    chunks = batches(widths, 10, rng)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(100))
    assert np.median([np.ptp(widths[c]) for c in chunks]) < np.ptp(widths) / 5
    images = [np.zeros((LINE_HEIGHT, w), np.uint8) for w in (21, 38)]
    x, steps = assemble(images, None)
    assert x.shape == (2, LINE_HEIGHT, 40) and x.shape[2] % COLUMN_PIXELS == 0 and list(steps) == [5, 9]


def test_a_few_steps_of_ctc_lower_the_loss(tmp_path):
    lines = corpus("validation", 16, seed=5, workers=1, cache=tmp_path)
    targets = lines.encode(DIGIT_LABELS)
    net = Sequential(line_architecture(len(DIGIT_LABELS) + 1, "lean"), seed=0, input_shape=(LINE_HEIGHT, None, 1))
    optimizer, loss = AdamW(net.layers, lr=3e-3), CTCLoss()
    x, steps = assemble(lines.images, None)
    first = loss.forward(net.forward(x, training=True), targets, steps)
    for _ in range(6):
        value = loss.forward(net.forward(x, training=True), targets, steps)
        net.backward(loss.backward())
        optimizer.step()
    assert value < first
