"""Reading a line of handwriting: a number or words, left to right. One concept a module, in
the order imports point:

    line.py      the line finder: a picture's written line (its ink, its box, a form's cells)
    answer.py    what a reading answers (characters, text, calibrated confidence, alternatives),
                 built once for every reader
    spelling.py  words of characters read one by one: spaces, letters or digits, case
    cards.py     the reader's card (artifacts/reader.json: how, and the recorded figures)
    lattice.py   the lattice reader: cuts, candidates, the best path
    network.py   the line reader: a line network's columns, beam search, the characters' spans
    readers.py   the readers by name behind one interface (read, price), and read_text
    hints.py     whether a line read as a number looks like words (predict-text's suggestion)
"""

from .answer import MAX_CHARACTERS, Character, Reading, TooManyCharacters
from .cards import READER_CARD, figures_key, reader_card_path
from .readers import find_for, model_reader_card, read_line, read_pixels, read_text, reader_for

__all__ = [
    "MAX_CHARACTERS",
    "READER_CARD",
    "figures_key",
    "Character",
    "Reading",
    "TooManyCharacters",
    "find_for",
    "model_reader_card",
    "read_line",
    "read_pixels",
    "read_text",
    "reader_card_path",
    "reader_for",
]
