"""Reading words with the characters model (alphabet "characters"): names in capitals, lower
case, two words with a space, letters and digits not mixed unless written so, a form's boxes
with a printed label beside them, and each character's box in the image's pixels."""

import numpy as np
import pytest

from devtools.images import grey_png as png
from model_core.data.words import boxed
from model_core.reading import read_text
from model_core.reading.spelling import folded
from tests.conftest import apart_light_on_dark, first_drawn


@pytest.mark.parametrize("dark_on_light", [False, True])
def test_a_name_in_capitals_is_read_in_capitals(characters_model, write_words, dark_on_light):
    canvas, boxes = write_words("JOHN")
    reading = read_text(characters_model, png(255 - canvas if dark_on_light else canvas), alphabet="characters")
    assert reading.text == "JOHN" and reading.is_text
    for c, (x, y, w, h) in zip(reading.characters, boxes, strict=True):  # each box on its letter's ink
        cx, cy = c.box[0] + c.box[2] / 2, c.box[1] + c.box[3] / 2
        assert x - 5 <= cx <= x + w + 5 and y - 5 <= cy <= y + h + 5


def test_a_word_in_lower_case_is_read_in_lower_case(characters_model, write_words):
    canvas, _ = write_words("hand", seed=1)
    assert read_text(characters_model, png(canvas), alphabet="characters").text == "hand"


def test_two_words_are_read_with_one_space(characters_model, write_words):
    canvas, _ = write_words("ANNA BAKER", seed=2)
    reading = read_text(characters_model, png(canvas), alphabet="characters")
    assert reading.text == "ANNA BAKER" and len(reading.characters) == 9


def test_a_code_of_letters_and_digits_is_read_as_written(characters_model, write_words):
    canvas, _ = write_words("AB12", seed=3)
    assert read_text(characters_model, png(canvas), alphabet="characters").text == "AB12"


def test_a_name_is_not_read_with_a_zero_for_its_o(characters_model, emnist_validation, clear_glyph):
    """An O that, alone, reads more as a 0 than as an O (but not twenty times more): in a name
    of letters it is an O."""
    from model_core.data.words import compose, glyph_class

    labels = characters_model.labels
    candidates = np.flatnonzero(emnist_validation.labels == glyph_class("O"))[:2000]
    p = folded(characters_model.scores(emnist_validation.images[candidates] / np.float32(255)).probabilities, labels)
    zero, o = p[:, labels.index("0")], p[:, labels.index("O")]
    pick = candidates[np.flatnonzero((zero > o) & (o > zero / 20))[0]]
    glyphs = [clear_glyph("J"), emnist_validation.images[pick], clear_glyph("H"), clear_glyph("N")]
    rng = np.random.default_rng(4)
    written = first_drawn(lambda r: compose("JOHN", glyphs, r, upright=True), apart_light_on_dark, rng)
    reading = read_text(characters_model, png(written.canvas), alphabet="characters")
    assert reading.characters[1].top_k[0][0] == "0"  # the network's own first choice
    assert reading.text == "JOHN"


def test_a_name_in_a_forms_boxes_is_read_without_its_printed_label(characters_model, clear_glyph):
    rng = np.random.default_rng(5)
    form = boxed("NINA", [clear_glyph(ch) for ch in "NINA"], rng)
    reading = read_text(characters_model, png(form.page), alphabet="characters")
    assert reading.text == "NINA"
    for c, (x, y, w, h) in zip(reading.characters, form.cells, strict=True):  # each inside its own cell
        assert x <= c.box[0] and c.box[0] + c.box[2] <= x + w and y <= c.box[1] and c.box[1] + c.box[3] <= y + h


def test_a_number_in_a_row_of_boxes_is_read_a_digit_a_cell(cnn_model, mnist_test):
    glyphs = [mnist_test.images[np.flatnonzero(mnist_test.labels == d)[0]] for d in (2, 0, 2, 4)]
    form = boxed("2024", glyphs, np.random.default_rng(6))
    assert read_text(cnn_model, png(form.page)).text == "2024"


def test_an_unknown_alphabet_and_words_asked_of_a_digit_model_are_refused(characters_model, cnn_model, write_words):
    canvas, _ = write_words("AB", seed=7)
    with pytest.raises(ValueError, match="unknown alphabet"):
        read_text(characters_model, png(canvas), alphabet="runes")
    with pytest.raises(ValueError, match="reads no letters"):
        read_text(cnn_model, png(canvas), alphabet="characters")
