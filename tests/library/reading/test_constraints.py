"""What a field may hold (reading.constraints): the labels a constraint admits after a prefix,
when a text is complete, and the line reader's constrained search on the shipped network."""

import numpy as np
import pytest

from devtools.images import grey_png
from model_core import load_model
from model_core.data.lines import write_amount
from model_core.data.text_lines import TEXT_LABELS
from model_core.reading import read_text
from model_core.reading.constraints import MAX_WORDS, Constraint
from model_core.reading.readers import NeedsLineNetwork
from model_core.training.lines import DIGIT_LABELS


def ids(text: str, labels=TEXT_LABELS) -> tuple[int, ...]:
    return tuple(labels.index(c) + 1 for c in text)


def test_allowed_characters_mask_every_other_label_in_either_case():
    compiled = Constraint(allowed="0123456789").compile(TEXT_LABELS, "characters")
    assert compiled.mask[0]  # the blank
    assert [TEXT_LABELS[k - 1] for k in np.flatnonzero(compiled.mask[1:]) + 1] == list("0123456789")
    lower = Constraint(allowed="abc").compile(TEXT_LABELS, "characters")
    assert {TEXT_LABELS[k - 1] for k in np.flatnonzero(lower.mask[1:]) + 1} == {"A", "B", "C", "a", "b"}


def test_a_template_admits_its_slots_in_order_and_completes_when_filled():
    compiled = Constraint(template="DD/DD/DDDD").compile(DIGIT_LABELS, "digits")
    assert compiled.admits(ids("12", DIGIT_LABELS), DIGIT_LABELS.index("/") + 1)
    assert not compiled.admits(ids("12", DIGIT_LABELS), DIGIT_LABELS.index("3") + 1)
    assert not compiled.complete(ids("12/05/202", DIGIT_LABELS))
    assert compiled.complete(ids("12/05/2024", DIGIT_LABELS))
    assert not compiled.admits(ids("12/05/2024", DIGIT_LABELS), 1)  # nothing after a full template


def test_words_admit_their_prefixes_only_and_complete_on_a_whole_word():
    compiled = Constraint(words=("Paris", "PARMA", "Oslo")).compile(TEXT_LABELS, "characters")
    assert compiled.admits(ids("PAR"), ids("I")[0]) and compiled.admits(ids("PAR"), ids("M")[0])
    assert not compiled.admits(ids("PAR"), ids("T")[0])
    assert compiled.complete(ids("PARIS")) and not compiled.complete(ids("PARI"))
    assert compiled.complete(ids("OSLO"))  # letters match in either case


def test_the_numbers_marks_are_free_of_allowed_and_words_but_not_of_a_template():
    words = Constraint(words=("1250",)).compile(DIGIT_LABELS, "digits")
    assert words.complete(ids("1.250", DIGIT_LABELS))  # the number's text is its digits
    assert Constraint(words=("1250",)).holds("1250", "1.250")
    assert not Constraint(template="DDDD").holds("1250", "1.250")


@pytest.mark.parametrize(
    "kwargs",
    [{"allowed": ""}, {"template": "D" * 65}, {"words": ("x",) * (MAX_WORDS + 1)}, {"words": ("a" * 40,) * 900},
     {"words": (" ",)}],
)  # fmt: skip
def test_malformed_constraints_are_refused(kwargs):
    with pytest.raises(ValueError):
        Constraint(**kwargs)


@pytest.fixture(scope="module")
def line_model():
    return load_model("line-digits")


def drawn(written: str, mnist_test) -> bytes:
    glyph_of = {str(d): mnist_test.images[int(np.flatnonzero(mnist_test.labels == d)[1])] for d in range(10)}
    ink, _ = write_amount(written, glyph_of, np.random.default_rng(2))
    page = np.zeros((ink.shape[0] + 40, ink.shape[1] + 40), np.float32)
    page[20:-20, 20:-20] = ink
    return grey_png(np.clip(235 - page * 200, 0, 255).astype(np.uint8))


def test_a_template_date_is_read_when_written_so_and_a_forced_one_says_how_unlikely_it_is(line_model, mnist_test):
    image = drawn("12/05/2024", mnist_test)
    free = read_text(line_model, image)
    assert free.written == "12/05/2024"
    dated = read_text(line_model, image, constraint=Constraint(template="DD/DD/DDDD"))
    assert (dated.text, dated.written, dated.unconstrained) == ("12052024", "12/05/2024", None)
    assert dated.confidence == pytest.approx(free.confidence, rel=1e-6)  # the same text, the same probability
    short = read_text(line_model, image, constraint=Constraint(template="DDDD"))  # four of the eight digits
    assert len(short.text) == 4 and short.confidence < 1e-6 and short.unconstrained == (free.text, free.confidence)


def test_a_lexicon_chooses_its_word_and_keeps_the_unconstrained_reading(line_model, mnist_test):
    image = drawn("3871", mnist_test)
    free = read_text(line_model, image)
    assert free.text == "3871"
    chosen = read_text(line_model, image, constraint=Constraint(words=("3811", "3071", "9999")))
    assert chosen.text in ("3811", "3071") and chosen.unconstrained == (free.text, free.confidence)
    assert chosen.confidence < free.confidence  # on the network's own scores: less likely than what it read


def test_the_cutting_reader_takes_no_constraint(cnn_model, mnist_test):
    with pytest.raises(NeedsLineNetwork):
        read_text(cnn_model, drawn("42", mnist_test), constraint=Constraint(allowed="0123456789"))
