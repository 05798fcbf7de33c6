"""The line reader: the shipped line network reading whole numbers as documents carry them,
separators and marks kept in `written`, its boxes on the digits, behind the readers' interface."""

import numpy as np
import pytest

from devtools.images import grey_png
from model_core import load_model
from model_core.data.lines import printed, security_pattern, write_amount
from model_core.reading import read_text, reader_for
from model_core.reading.network import LineReader


@pytest.fixture(scope="module")
def line_model():
    return load_model("line-digits")


@pytest.fixture(scope="module")
def glyph_of(mnist_test):
    """The first MNIST test glyph of each digit: clear, never trained on."""
    return {str(d): mnist_test.images[int(np.flatnonzero(mnist_test.labels == d)[0])] for d in range(10)}


def page(ink: np.ndarray, *, dark_on_light: bool, pattern: str | None = None, word: str | None = None, seed: int = 0):
    """The writing on paper (dark on light) or a canvas (light on dark), with a security paper's
    print under it or a printed word before it."""
    rng = np.random.default_rng(seed)
    h, w = ink.shape
    height = int(h / 1.6)
    margin = height if word else height // 2
    writing = np.zeros((h + height, w + 2 * margin + (3 * height if word else 0)), np.float32)
    left = margin + (3 * height if word else 0)
    writing[height // 2 : height // 2 + h, left : left + w] = ink
    print_ = np.zeros_like(writing)
    if pattern:
        print_ = security_pattern(writing.shape, pattern, rng)
    if word:
        label = printed(word, None, height * 0.45)
        y = height // 2 + int(h * 0.55) - label.shape[0]
        print_[y : y + label.shape[0], margin // 2 : margin // 2 + label.shape[1]] = label
    if not dark_on_light:
        return grey_png(np.clip(writing * 255, 0, 255).astype(np.uint8)), left, height // 2
    paper = 235 * (1 - print_ * 0.9) - writing * 200
    return grey_png(np.clip(paper, 0, 255).astype(np.uint8)), left, height // 2


CASES = [("42", "42"), ("305", "305"), ("2024", "2024"), ("10.000-", "10000"), ("1.250,00", "125000")]


@pytest.mark.parametrize("written,text", CASES)
@pytest.mark.parametrize("dark_on_light", [True, False], ids=["paper", "canvas"])
@pytest.mark.parametrize("touching", [False, True], ids=["apart", "touching"])
def test_numbers_and_amounts_are_read_whole_and_written_as_drawn(
    line_model, glyph_of, written, text, dark_on_light, touching
):
    ink, _ = write_amount(written, glyph_of, np.random.default_rng(1), touching=touching)
    image, _, _ = page(ink, dark_on_light=dark_on_light)
    reading = read_text(line_model, image)
    assert (reading.text, reading.written) == (text, written)
    assert 0 < reading.confidence <= 1 and len(reading.characters) == len(text)
    assert all(c.label.isdigit() and c.image.shape == (28, 28) for c in reading.characters)


def test_a_number_on_security_paper_is_read(line_model, glyph_of):
    ink, _ = write_amount("305", glyph_of, np.random.default_rng(2))
    image, _, _ = page(ink, dark_on_light=True, pattern="waves", seed=3)  # a test family: never trained on
    assert read_text(line_model, image).text == "305"


@pytest.mark.parametrize("where", ["above", "below"])
def test_a_printed_word_above_or_below_the_number_is_not_read(line_model, glyph_of, where):
    ink, _ = write_amount("305", glyph_of, np.random.default_rng(4))
    h, w = ink.shape
    height = int(h / 1.6)
    writing = np.zeros((h + 2 * height, w + 2 * height), np.float32)
    writing[height : height + h, height : height + w] = ink
    label = printed("Total", None, height * 0.4)
    y = height - label.shape[0] - 4 if where == "above" else height + h - height // 10
    print_ = np.zeros_like(writing)
    print_[y : y + label.shape[0], height : height + label.shape[1]] = label
    image = grey_png(np.clip(235 * (1 - print_ * 0.9) - writing * 200, 0, 255).astype(np.uint8))
    assert read_text(line_model, image).text == "305"


@pytest.mark.xfail(
    strict=True,
    reason="a printed word before the number on its line is read as digits: the composition drew a word there "
    "only where the left margin was wider than the word, which it seldom is (docs/measurements.md, the line reader)",
)
def test_a_printed_word_before_the_number_on_its_line_is_not_read(line_model, glyph_of):
    ink, _ = write_amount("42", glyph_of, np.random.default_rng(4))
    image, _, _ = page(ink, dark_on_light=True, word="Total")
    assert read_text(line_model, image).text == "42"


def test_each_digits_box_covers_its_digit(line_model, glyph_of):
    ink, boxes = write_amount("2024", glyph_of, np.random.default_rng(5))
    image, left, top = page(ink, dark_on_light=True)
    reading = read_text(line_model, image)
    assert reading.text == "2024"
    for (x, y, w, h), character in zip(boxes, reading.characters, strict=True):
        truth = (x + left, y + top, x + left + w, y + top + h)
        cx, cy, cw, ch = character.box
        got = (cx, cy, cx + cw, cy + ch)
        inter = max(0, min(truth[2], got[2]) - max(truth[0], got[0])) * max(
            0, min(truth[3], got[3]) - max(truth[1], got[1])
        )
        union = (truth[2] - truth[0]) * (truth[3] - truth[1]) + cw * ch - inter
        assert inter / union >= 0.5, (character.label, truth, got)


def test_the_line_network_is_read_by_the_line_reader_and_prices_its_columns(line_model, cnn_model):
    assert line_model.reads_lines and line_model.alphabet == "digits"
    reader = reader_for(line_model, "digits")
    assert isinstance(reader, LineReader) and reader_for(cnn_model, "digits").name == "lattice"
    with pytest.raises(ValueError, match="reads digits"):
        reader_for(line_model, "characters")


def test_alternatives_are_on_the_readings_own_scale(line_model, glyph_of):
    ink, _ = write_amount("42", glyph_of, np.random.default_rng(6))
    reading = read_text(line_model, page(ink, dark_on_light=True)[0])
    assert reading.alternatives and all(0 <= p <= reading.confidence for _, p in reading.alternatives)
    assert all(text != reading.text for text, _ in reading.alternatives)


def test_a_blank_page_reads_as_no_text(line_model):
    blank = grey_png(np.full((80, 300), 235, np.uint8))
    reading = read_text(line_model, blank)
    assert not reading.is_text and reading.text == ""


def test_the_words_check_is_priced_with_the_line_and_runs_only_on_an_unsure_number(
    line_model, characters_model, glyph_of
):
    from model_core.imaging.decode import DEFAULT_LIMITS, load_pixels
    from model_core.reading import find_for
    from model_core.reading.hints import CHECK_GLYPHS, UNSURE_BELOW, checked
    from model_core.serving import read_texts

    ink, _ = write_amount("305", glyph_of, np.random.default_rng(0))
    source, _, _ = page(ink, dark_on_light=False)
    reader = reader_for(line_model, "digits")
    line_price = reader.price(find_for(reader, load_pixels(source)))
    paid = []
    (answer,) = read_texts(line_model, [source], limits=DEFAULT_LIMITS, alphabet="digits", pay=paid.append,
                           words_check=characters_model)  # fmt: skip
    assert paid == [line_price + CHECK_GLYPHS] and answer["confidence"] >= UNSURE_BELOW
    assert answer["suggested_alphabet"] is None
    # A long line's check reads CHECK_GLYPHS of its characters, first and last among them.
    from model_core.reading.answer import Character, Reading

    twenty = Reading("1" * 20, 0.1, characters=[Character("1", 0.5, [], (0, 0, 1, 1), np.zeros((28, 28)))] * 20)
    assert len(checked(twenty)) == CHECK_GLYPHS and checked(twenty)[0] == 0 and checked(twenty)[-1] == 19
