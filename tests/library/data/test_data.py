import gzip
import struct

import numpy as np
import pytest

from model_core.data.datasets import (
    DataError,
    load_emnist,
    load_mnist,
    read_csv,
    read_idx,
    train_val_split,
    write_csv,
)


def write_idx(path, array):
    codes = {np.uint8: 0x08}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.tobytes())


def test_mnist_splits_have_the_published_shapes(mnist_train, mnist_test):
    assert mnist_train.images.shape == (60000, 28, 28) and mnist_train.images.dtype == np.uint8
    assert mnist_test.images.shape == (10000, 28, 28)
    assert mnist_train.label_names == [str(d) for d in range(10)]
    assert np.bincount(mnist_test.labels).tolist()[:3] == [980, 1135, 1032]


def test_a_damaged_file_fails_its_checksum(tmp_path):
    images = np.zeros((2, 28, 28), np.uint8)
    write_idx(tmp_path / "x.gz", images)
    assert read_idx(tmp_path / "x.gz").shape == (2, 28, 28)
    with pytest.raises(DataError, match="checksum mismatch"):
        read_idx(tmp_path / "x.gz", expected_md5="6bbc9ace898e44ae57da46a324031adb")


def test_truncated_idx_is_refused(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 10) + b"\x00" * 3)
    with pytest.raises(DataError, match="header promises"):
        read_idx(path)
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(DataError, match="magic"):
        read_idx(path)


def test_missing_split_directory_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        load_mnist("test", tmp_path)


def test_validation_split_is_disjoint_and_seeded(mnist_test):
    train_a, val_a = train_val_split(mnist_test, 1000, seed=3)
    train_b, val_b = train_val_split(mnist_test, 1000, seed=3)
    assert len(train_a) == 9000 and len(val_a) == 1000
    np.testing.assert_array_equal(val_a.labels, val_b.labels)
    train_rows = {bytes(im) for im in train_a.images}
    assert not any(bytes(im) in train_rows for im in val_a.images)


def test_csv_round_trip(tmp_path, mnist_test):
    images, labels = mnist_test.images[:5], mnist_test.labels[:5]
    for name in ("s.csv", "s.csv.gz"):
        write_csv(tmp_path / name, images, labels)
        back_images, back_labels = read_csv(tmp_path / name)
        np.testing.assert_array_equal(back_images, images)
        np.testing.assert_array_equal(back_labels, labels)


def test_shipped_csv_matches_the_idx_test_set(mnist_test):
    images, labels = read_csv("data/mnist/mnist_test.csv.gz")
    np.testing.assert_array_equal(images, mnist_test.images)
    np.testing.assert_array_equal(labels, mnist_test.labels)


def test_csv_with_wrong_columns_or_range_is_refused():
    with pytest.raises(DataError, match="columns"):
        read_csv(b"1,2,3\n")
    row = "3," + ",".join(["300"] * 784)
    with pytest.raises(DataError, match="0-255"):
        read_csv(row.encode())


def test_emnist_format_loads_with_its_mapping_and_orientation_fix(tmp_path):
    # An EMNIST-style fixture: 3 classes named by ASCII code, images stored transposed.
    upright = np.zeros((3, 28, 28), np.uint8)
    upright[0, 2:26, 5] = 255  # a vertical bar ...
    upright[1, 5, 2:26] = 255  # ... a horizontal one
    upright[2, 3, 3] = 255
    write_idx(tmp_path / "images.gz", np.ascontiguousarray(upright.transpose(0, 2, 1)))
    write_idx(tmp_path / "labels.gz", np.array([2, 0, 1], np.uint8))
    (tmp_path / "mapping.txt").write_text("0 65\n1 98\n2 55\n")
    data = load_emnist(tmp_path / "images.gz", tmp_path / "labels.gz", tmp_path / "mapping.txt")
    assert data.label_names == ["A", "b", "7"]
    np.testing.assert_array_equal(data.images, upright)
    assert [data.label_names[i] for i in data.labels] == ["7", "A", "b"]
    assert set(data.checksums) == {"images.gz", "labels.gz", "mapping.txt"}


def test_emnist_label_outside_mapping_is_refused(tmp_path):
    write_idx(tmp_path / "images.gz", np.zeros((1, 28, 28), np.uint8))
    write_idx(tmp_path / "labels.gz", np.array([5], np.uint8))
    (tmp_path / "mapping.txt").write_text("0 48\n1 49\n")
    with pytest.raises(DataError, match="outside the mapping"):
        load_emnist(tmp_path / "images.gz", tmp_path / "labels.gz", tmp_path / "mapping.txt")
