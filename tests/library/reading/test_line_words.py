"""A line network's characters made words (reading.network.words_of): the network's spaces,
hyphens and apostrophes kept inside words only, letters or digits and case word by word."""

import numpy as np
import pytest

from model_core.data.text_lines import TEXT_LABELS
from model_core.reading.answer import Character
from model_core.reading.network import words_of


def emitted(labels: str, doubt: dict[int, dict[str, float]] | None = None):
    """Characters as a line network emits them: each label with its peak column's distribution
    (mostly its own label; `doubt` moves probability to others at some positions)."""
    characters, rows = [], []
    for i, label in enumerate(labels):
        row = np.full(len(TEXT_LABELS), 0.001)
        for other, p in (doubt or {}).get(i, {}).items():
            row[TEXT_LABELS.index(other)] = p
        row[TEXT_LABELS.index(label)] = max(0.0, 1.0 - row.sum() + 0.001)
        characters.append(
            Character(label, float(row[TEXT_LABELS.index(label)]), [], (i * 20, 0, 16, 30), np.zeros((28, 28)))
        )
        rows.append(row)
    return characters, rows


def read(labels: str, doubt=None):
    return words_of(*emitted(labels, doubt), TEXT_LABELS, (1.0, 0.0))


@pytest.mark.parametrize(
    ("labels", "text"),
    [
        ("JOHN", "JOHN"),
        ("JEAN-PIERRE", "JEAN-PIERRE"),
        ("O'NEIL", "O'NEIL"),
        ("AB12", "AB12"),
        ("ANNA SMITH", "ANNA SMITH"),
        ("-ANNA-", "ANNA"),  # a hyphen first or last is not inside a word
        ("AB - CD", "AB CD"),  # nor one between spaces
        ("  AB   CD ", "AB CD"),  # the network's spaces, one between two words
    ],
)
def test_the_networks_spaces_and_marks_make_the_text(labels, text):
    reading = read(labels)
    assert reading.text == text
    assert [c.label for c in reading.characters] == [c for c in text if c != " "]


def test_a_name_keeps_its_letters_where_an_o_looks_a_little_more_like_a_zero():
    reading = read("JOHN", doubt={1: {"0": 0.5}})  # the O's peak: O 0.5, 0 0.5 - a touch less
    assert reading.text == "JOHN"


def test_lower_case_is_chosen_for_the_word_from_its_case_telling_letters():
    # the network files c, o, l, ... under their capital; a, e, n, r tell the case
    assert read("LeaRNer").text.startswith("lea")
    assert read("heLLO WORLD").text == "hello WORLD"
    assert read("Hearer").text == "Hearer"  # a lower-case word whose first letter says capital


def test_two_words_of_letters_and_digits_each_choose_their_kind():
    assert read("ROOM 1O1", doubt={6: {"0": 0.45}}).text == "ROOM 101"


def test_nothing_but_spaces_and_marks_reads_as_no_text():
    assert not read(" - ").is_text
