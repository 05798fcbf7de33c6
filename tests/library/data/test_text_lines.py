"""Lines of words for the line network for characters (docs/lines.md, "Lines of words"): what
the network is taught to emit, the styles' texts, a form's label and boxes printed rather than
written, and the corpus found and cached as for numbers."""

import numpy as np
import pytest

from model_core.data.emnist import CHARACTER_LABELS
from model_core.data.lines import printed_fonts
from model_core.data.text_lines import (
    STYLES,
    TEXT_LABELS,
    class_glyphs,
    compose_text_line,
    random_text,
    target,
    write_text,
)
from model_core.reading.network import LINE_HEIGHT
from model_core.training.lines import LABELS, corpus


@pytest.fixture(scope="module")
def glyphs(emnist_validation):
    return class_glyphs(emnist_validation.images, emnist_validation.labels)


def test_the_network_is_taught_emnists_labels_with_space_hyphen_and_apostrophe():
    assert LABELS["characters"] == TEXT_LABELS and TEXT_LABELS[-3:] == [" ", "-", "'"]
    # merged letters are taught as their capital, the eleven kept apart as themselves
    assert target("Jean-Pierre") == "Jean-PIerre"
    assert target("O'NEIL l'eau") == "O'NEIL L'eaU"
    assert target("AB12") == "AB12"


@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_style_writes_what_it_says(style):
    rng = np.random.default_rng(1)
    texts = [random_text(style, rng) for _ in range(200)]
    assert all(texts) and all(set(t) <= set("".join(CHARACTER_LABELS) + "cijklmopsuvwxyz -'") for t in texts)
    if style in ("spaced", "capitals", "boxed"):
        assert all(t.replace(" ", "").isupper() for t in texts) and any(" " in t for t in texts)
    if style == "lower":
        assert any(t.islower() for t in texts) and any(t[0].isupper() for t in texts)
    if style == "hyphenated":
        assert any("-" in t for t in texts) and any("'" in t for t in texts)
        assert not any(t[0] in "-'" or t[-1] in "-'" for t in texts)  # inside a word, never first or last
    if style == "code":
        assert all(any(c.isdigit() for c in t) and any(c.isalpha() for c in t) for t in texts)
    if style == "single":
        assert all(len(t) == 1 for t in texts)


def test_a_label_beside_the_writing_is_printed_not_written(glyphs):
    rng = np.random.default_rng(4)
    ink, printed, boxes = write_text(
        "PILLET", lambda ch: glyphs[CHARACTER_LABELS.index(ch)][0], rng, "spaced", label="NOM :"
    )
    assert ink.shape == printed.shape and len(boxes) == 6
    first = min(x for x, _, _, _ in boxes)
    label_columns = np.flatnonzero(printed.max(axis=0) > 0.5)
    assert label_columns.size and label_columns.max() < first  # the label stands before the name
    assert ink[:, : label_columns.max() + 1].max() < 0.05  # and none of it is the writing's ink


def test_a_comb_fields_boxes_are_printed_around_each_letter(glyphs):
    rng = np.random.default_rng(2)
    ink, printed, boxes = write_text("ANNA", lambda ch: glyphs[CHARACTER_LABELS.index(ch)][0], rng, "boxed")
    frame_columns = np.flatnonzero((printed > 0.5).sum(axis=0) > 0.5 * max(h for *_, h in boxes))
    assert len(boxes) == 4
    for (x, _, w, _), (nx, _, _, _) in zip(boxes, boxes[1:], strict=False):
        assert any(x + w <= c <= nx for c in frame_columns)  # a cell's wall between two letters


def test_composed_lines_say_what_they_hold(glyphs):
    rng, fonts = np.random.default_rng(7), printed_fonts("train")
    lines = [compose_text_line(glyphs, rng, fonts) for _ in range(60)]
    assert all(set(line.written) <= set(TEXT_LABELS) and line.written.strip() for line in lines)
    assert {c for line in lines for c in line.conditions} >= {"spaced", "lower", "label", "two_words"}
    spaced = [line for line in lines if " " in line.written]
    assert all("two_words" in line.conditions for line in spaced)


def test_the_corpus_of_words_is_found_scaled_and_cached_apart_from_the_numbers(tmp_path):
    lines = corpus("validation", 16, seed=3, workers=1, cache=tmp_path, alphabet="characters")
    assert len(lines.images) + lines.missed == 16 and len(lines.images) >= 12
    assert all(image.shape[0] == LINE_HEIGHT for image in lines.images)
    assert lines.encode(TEXT_LABELS) and all(set(t) <= set(TEXT_LABELS) for t in lines.written)
    assert [p.name for p in tmp_path.iterdir()] == ["characters-validation-16-3-v1.npz"]
