"""Every line of a picture (reading.page): lines found top first and read apart, one line read
as before, and the ink left out said with its reason."""

import numpy as np
import pytest

from model_core import load_model
from model_core.data.lines import printed, write_amount
from model_core.imaging.decode import load_pixels
from model_core.reading import read_text, reader_for
from model_core.reading.line import find_written_line
from model_core.reading.page import find_lines_for, read_page
from model_core.serving import Limits, read_texts


@pytest.fixture(scope="module")
def line_model():
    return load_model("line-digits")


@pytest.fixture(scope="module")
def glyph_of(mnist_test):
    return {str(d): mnist_test.images[int(np.flatnonzero(mnist_test.labels == d)[1])] for d in range(10)}


def sheet(rows: list[np.ndarray], gap: int = 30, left: list[int] | None = None) -> np.ndarray:
    """Inks stacked on one page (dark on light), `gap` px apart, each `left` px in."""
    left = left or [20] * len(rows)
    width = max(r.shape[1] + x for r, x in zip(rows, left, strict=True)) + 20
    page = np.zeros((sum(r.shape[0] for r in rows) + gap * (len(rows) - 1) + 40, width), np.float32)
    y = 20
    for ink, x in zip(rows, left, strict=True):
        np.maximum(
            page[y : y + ink.shape[0], x : x + ink.shape[1]], ink, out=page[y : y + ink.shape[0], x : x + ink.shape[1]]
        )
        y += ink.shape[0] + gap
    return np.clip(235 - page * 200, 0, 255).astype(np.uint8)


def amount(written, glyph_of, seed=1):
    return write_amount(written, glyph_of, np.random.default_rng(seed))[0]


def test_two_lines_are_read_top_first_and_joined_by_a_newline(line_model, glyph_of):
    grey = sheet([amount("305", glyph_of), amount("4217", glyph_of)], left=[60, 20])
    answer = read_texts(line_model, [grey], limits=Limits(), alphabet="digits")[0]
    assert [line["text"] for line in answer["lines"]] == ["305", "4217"]
    assert answer["text"] == "305\n4217" and answer["written"] == "305\n4217"
    assert answer["characters"] == answer["lines"][0]["characters"] + answer["lines"][1]["characters"]
    assert answer["confidence"] == pytest.approx(answer["lines"][0]["confidence"] * answer["lines"][1]["confidence"])
    assert answer["alternatives"] == [] and answer["left_out"] == []
    first, second = answer["lines"][0]["box"], answer["lines"][1]["box"]
    assert first[1] + first[3] <= second[1]  # the first line's ink above the second's


def test_one_line_answers_as_it_did_with_one_entry_in_lines(line_model, glyph_of):
    grey = sheet([amount("1.250,00", glyph_of)])
    answer = read_texts(line_model, [grey], limits=Limits(), alphabet="digits")[0]
    reading = read_text(line_model, grey)
    assert (answer["text"], answer["written"], answer["confidence"]) == (
        reading.text,
        reading.written,
        reading.confidence,
    )
    assert len(answer["lines"]) == 1 and answer["lines"][0]["alternatives"] == answer["alternatives"]
    assert answer["lines"][0]["characters"] == answer["characters"]
    lines = find_lines_for(reader_for(line_model, "digits"), load_pixels(grey))
    assert len(lines.lines) == 1
    np.testing.assert_array_equal(lines.lines[0].strength, find_written_line(load_pixels(grey)).strength)


def test_a_short_small_line_under_a_long_heavy_one_is_a_line_of_its_own(line_model, glyph_of):
    # Two small digits, lightly written, hold a tenth of the ink of eight large ones above them:
    # still a line (a line is told from specks by its pieces, not by its whole ink).
    from PIL import Image

    small = Image.fromarray((amount("12", glyph_of, seed=3) * 255).astype(np.uint8))
    small = np.asarray(small.resize((small.width * 3 // 5, small.height * 3 // 5)), np.float32) / 255 * 0.6
    grey = sheet([amount("48213659", glyph_of, seed=2), small], left=[20, 60])
    answer = read_texts(line_model, [grey], limits=Limits(), alphabet="digits")[0]
    assert len(answer["lines"]) == 2 and answer["left_out"] == []
    assert answer["lines"][1]["text"] == "12"


# "Betrag" and "Total" (a capital, an ascender) make a band tall enough for a line, which reads
# as unlikely; "Amount" is too small to be a line: a caption, printed.
@pytest.mark.parametrize(("word", "reason"), [("Betrag", "unreadable"), ("Amount", "printed"), ("Total", "unreadable")])
def test_a_printed_word_under_the_writing_is_left_out_not_read_as_a_line(line_model, glyph_of, word, reason):
    ink, boxes = write_amount("4217", glyph_of, np.random.default_rng(1))
    height = max(h for *_, h in boxes)
    label = printed(word, None, height * 0.5)
    under = np.zeros((label.shape[0], ink.shape[1]), np.float32)
    under[:, ink.shape[1] - label.shape[1] :] = label  # as a form prints a field's name under it
    answer = read_texts(line_model, [sheet([ink, under], gap=10)], limits=Limits(), alphabet="digits")[0]
    assert answer["text"] == "4217" and len(answer["lines"]) == 1
    assert [item["reason"] for item in answer["left_out"]] == [reason]
    _, y, _, _ = answer["left_out"][0]["box"]
    assert y >= 20 + ink.shape[0]  # the printed word's ink, under the number's


def test_lines_past_the_limit_are_left_out_not_dropped(line_model, glyph_of):
    grey = sheet([amount(str(n), glyph_of, seed=n) for n in (12, 34, 56)])
    reader = reader_for(line_model, "digits")
    found = find_lines_for(reader, load_pixels(grey))
    from model_core.reading.line import find_written_lines

    two = find_written_lines(load_pixels(grey), most=2)
    assert len(found.lines) == 3 and len(two.lines) == 2 and [r for _, r in two.left_out] == ["beyond_limit"]
    page = read_page(reader, two)
    assert [line.reading.text for line in page.lines] != [] and len(page.left_out) == 1


def test_a_printed_label_beside_the_writing_is_left_out_as_printed(line_model, glyph_of):
    ink, boxes = write_amount("4217", glyph_of, np.random.default_rng(1))
    baseline, height = max(y + h for _, y, _, h in boxes), max(h for *_, h in boxes)
    label = printed("Total", None, height * 0.45)
    row = np.zeros((ink.shape[0], label.shape[1] + 40 + ink.shape[1]), np.float32)
    row[baseline - label.shape[0] : baseline, : label.shape[1]] = label  # on the number's line
    row[:, label.shape[1] + 40 :] = ink
    answer = read_texts(line_model, [sheet([row])], limits=Limits(), alphabet="digits")[0]
    assert answer["text"] == "4217"
    printed_out = [item for item in answer["left_out"] if item["reason"] == "printed"]
    assert len(printed_out) == 1
    x, _, w, _ = printed_out[0]["box"]
    assert x < 20 + label.shape[1] and x + w <= 20 + label.shape[1] + 40  # the label's ink, not the number's
