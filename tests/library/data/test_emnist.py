"""EMNIST's characters: the committed data is what its checksum says, and the split is fixed,
stratified and disjoint."""

import shutil

import numpy as np
import pytest

from model_core.data.datasets import DataError
from model_core.data.emnist import (
    CHARACTER_LABELS,
    EMNIST_FILE,
    SPLIT_FILE,
    _arrays,
    canonical_label,
    load_characters,
    split_indices,
    stratified_split,
)
from model_core.paths import EMNIST_DIR


def test_the_three_parts_hold_every_image_once_in_the_same_class_proportions():
    parts = {name: load_characters(name) for name in ("train", "validation", "test")}
    _, labels = _arrays(str(EMNIST_DIR))
    indices = split_indices()
    together = np.concatenate([indices[name] for name in parts])
    assert len(together) == len(labels) == 97_619 and len(np.unique(together)) == len(labels)
    counts = np.bincount(labels, minlength=47)
    for name, share in (("train", 0.70), ("validation", 0.15), ("test", 0.15)):
        data = parts[name]
        assert data.label_names == CHARACTER_LABELS and data.images.shape[1:] == (28, 28)
        per_class = np.bincount(data.labels, minlength=47)
        assert np.all(np.abs(per_class - share * counts) <= 1), name  # stratified to the image


def test_the_stored_split_is_the_seeded_one():
    _, labels = _arrays(str(EMNIST_DIR))
    again = stratified_split(labels)
    stored = split_indices()
    assert all(np.array_equal(again[name], stored[name]) for name in stored)


def test_a_damaged_data_file_fails_its_checksum(tmp_path):
    shutil.copy(EMNIST_DIR / SPLIT_FILE, tmp_path / SPLIT_FILE)
    raw = bytearray((EMNIST_DIR / EMNIST_FILE).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / EMNIST_FILE).write_bytes(bytes(raw))
    with pytest.raises(DataError, match="checksum mismatch"):
        load_characters("train", tmp_path)


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("c", CHARACTER_LABELS, "C"),
        ("a", CHARACTER_LABELS, "a"),
        ("7", CHARACTER_LABELS, "7"),
        ("é", CHARACTER_LABELS, None),
        ("c", [str(d) for d in range(10)], None),  # a digit model has no C to file it under
    ],
)
def test_a_merged_lower_case_letter_is_filed_under_its_capital(text, labels, expected):
    assert canonical_label(text, labels) == expected
