"""Datasets: MNIST (and EMNIST-format sets) from IDX files, and MNIST-style CSV.

Every file with a known checksum is verified when it is read, so a damaged download or
a half-written file fails loudly instead of training a model on garbage.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..paths import CACHE_DIR, MNIST_DIR

DIGIT_LABELS = [str(d) for d in range(10)]

# Canonical MD5s of the *uncompressed* IDX files, as published with MNIST.
MNIST_FILES = {
    "train": (
        ("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb"),
        ("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624"),
    ),
    "test": (
        ("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea"),
        ("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637"),
    ),
}
SPLITS = tuple(MNIST_FILES)
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(ValueError):
    """A data file is missing, damaged or not what it claims to be."""


@dataclass
class Dataset:
    """Images (N, H, W) uint8, white ink on black, and integer labels into `label_names`."""

    images: np.ndarray
    labels: np.ndarray
    label_names: list[str]
    checksums: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray | slice) -> Dataset:
        return Dataset(self.images[index], self.labels[index], self.label_names, self.checksums)


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    if path.suffix == ".gz":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is not a valid gzip file: {exc}") from exc
    return raw


def read_idx(path: str | Path, expected_md5: str | None = None) -> np.ndarray:
    """Read an IDX file (optionally gzipped), checking the MD5 of its uncompressed bytes."""
    path = Path(path)
    raw = _read_bytes(path)
    if expected_md5 is not None:
        actual = hashlib.md5(raw).hexdigest()
        if actual != expected_md5:
            raise DataError(f"checksum mismatch for {path.name}: {actual} != {expected_md5}")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path.name} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header_end = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header_end], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected_len = header_end + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected_len:
        raise DataError(f"{path.name}: {len(raw)} bytes, header promises {expected_len}")
    return np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(shape).astype(dtype.newbyteorder("="))


def load_mnist(split: str = "train", data_dir: str | Path = MNIST_DIR) -> Dataset:
    """The MNIST `train` (60,000) or `test` (10,000) split, checksums verified."""
    if split not in MNIST_FILES:
        raise DataError(f"unknown split {split!r}; expected one of {SPLITS}")
    (img_name, img_md5), (lbl_name, lbl_md5) = MNIST_FILES[split]
    images = read_idx(Path(data_dir) / img_name, img_md5)
    labels = read_idx(Path(data_dir) / lbl_name, lbl_md5).astype(np.int64)
    if len(images) != len(labels):
        raise DataError(f"{split}: {len(images)} images but {len(labels)} labels")
    return Dataset(images, labels, list(DIGIT_LABELS), {img_name: img_md5, lbl_name: lbl_md5})


def read_mapping(path: str | Path) -> list[str]:
    """An EMNIST mapping file: lines of `class_index ascii_code` → label names in order."""
    pairs = []
    for line in Path(path).read_text().split("\n"):
        if line.strip():
            index, code = line.split()
            pairs.append((int(index), chr(int(code))))
    pairs.sort()
    if [i for i, _ in pairs] != list(range(len(pairs))):
        raise DataError(f"{path}: class indices are not 0..{len(pairs) - 1}")
    return [name for _, name in pairs]


def load_emnist(images_path: str | Path, labels_path: str | Path, mapping_path: str | Path) -> Dataset:
    """An EMNIST-format split. EMNIST stores each image transposed; we turn it upright."""
    images = read_idx(images_path)
    labels = read_idx(labels_path).astype(np.int64)
    names = read_mapping(mapping_path)
    if len(images) != len(labels):
        raise DataError(f"{len(images)} images but {len(labels)} labels")
    if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
        raise DataError("a label falls outside the mapping file")
    checksums = {Path(p).name: _md5(p) for p in (images_path, labels_path, mapping_path)}
    return Dataset(np.ascontiguousarray(images.transpose(0, 2, 1)), labels, names, checksums)


def _md5(path: str | Path) -> str:
    return hashlib.md5(_read_bytes(Path(path))).hexdigest()


def train_val_split(dataset: Dataset, val_size: int, seed: int) -> tuple[Dataset, Dataset]:
    """A seeded random hold-out from the training set, used for model selection only."""
    order = np.random.default_rng(seed).permutation(len(dataset))
    return dataset.subset(order[val_size:]), dataset.subset(np.sort(order[:val_size]))


# The hold-out every shipped digit network was selected on: 5,000 of MNIST's training images.
VALIDATION_SIZE, SPLIT_SEED = 5000, 1234


def mnist_validation(data_dir: str | Path = MNIST_DIR) -> Dataset:
    """The 5,000 MNIST training images the shipped digit networks held out (for choosing)."""
    return train_val_split(load_mnist("train", data_dir), VALIDATION_SIZE, SPLIT_SEED)[1]


def as_float_images(images: np.ndarray) -> np.ndarray:
    """uint8 0-255 (as stored) → float32 0-1 (what the network takes)."""
    return images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)


# MNIST-style CSV: a header, then one row per image: the label, then its pixels (0-255) row-major.
def csv_header(pixels: int = 784, extra: tuple[str, ...] = ()) -> str:
    return ",".join(["label", *(f"pixel{i}" for i in range(pixels)), *extra]) + "\n"


def csv_row(label: object, pixels: bytes, *extra: object) -> str:
    return ",".join([str(label), *map(str, pixels), *map(str, extra)]) + "\n"


def write_csv(path: str | Path, images: np.ndarray, labels: Iterable[int]) -> None:
    flat = np.asarray(images, dtype=np.uint8).reshape(len(images), -1)
    table = np.column_stack([np.asarray(list(labels), dtype=np.int64), flat])
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", newline="") as fh:
        fh.write(csv_header(flat.shape[1]))
        np.savetxt(fh, table, fmt="%d", delimiter=",")


def read_csv(source: str | Path | bytes, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Read MNIST-style CSV (see csv_header; the header optional) into (images (N, size, size) uint8,
    labels). A last `model` column (the corrections export's) is passed over: `read_corrections`
    reads it."""
    text = source.decode() if isinstance(source, bytes) else _read_bytes(Path(source)).decode()
    first_line = text.split("\n", 1)[0]
    skip = 1 if first_line and not first_line.split(",")[0].strip().lstrip("-").isdigit() else 0
    columns = range(size * size + 1) if skip and first_line.rstrip().endswith(",model") else None
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=skip, dtype=np.int64, ndmin=2, usecols=columns)
    except ValueError as exc:
        raise DataError(f"CSV rows must be {size * size + 1} integers: {exc}") from exc
    if table.size == 0:
        return np.zeros((0, size, size), np.uint8), np.zeros(0, np.int64)
    if table.ndim != 2 or table.shape[1] != size * size + 1:
        raise DataError(f"CSV rows must have {size * size + 1} columns (label + pixels)")
    pixels = table[:, 1:]
    if pixels.min() < 0 or pixels.max() > 255:
        raise DataError("CSV pixels must lie in 0-255")
    return pixels.astype(np.uint8).reshape(-1, size, size), table[:, 0].astype(np.int64)


def read_csv_shared(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """`read_csv`, parsed once per machine: the result is kept uncompressed in CACHE_DIR (named
    by the file's name, size and time) and memory-mapped, so a server's workers share one copy
    of the pages instead of each parsing (seconds) and holding its own (hundreds of MB while
    parsing). Where the cache cannot be written, the file is parsed in memory."""
    path = Path(path)
    stat = path.stat()
    stem = CACHE_DIR / f"{path.name}.{stat.st_size}.{stat.st_mtime_ns}"
    images_file, labels_file = stem.with_suffix(".images.npy"), stem.with_suffix(".labels.npy")
    if not (images_file.is_file() and labels_file.is_file()):
        images, labels = _read_csv_in_chunks(path)
        try:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            for target, array in ((labels_file, labels), (images_file, images)):  # images last: the marker
                partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
                with open(partial, "wb") as fh:
                    np.save(fh, array)
                os.replace(partial, target)  # whole or not at all, whoever else is writing it
        except OSError:
            return images, labels
    return np.load(images_file, mmap_mode="r"), np.load(labels_file, mmap_mode="r")


def _read_csv_in_chunks(path: Path, rows: int = 4096, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """`read_csv` of a big file a few thousand rows at a time: the text is never held whole,
    so parsing 60,000 rows peaks near the result's 47 MB rather than a gigabyte."""
    opener = gzip.open if path.suffix == ".gz" else open
    images, labels = [], []
    with opener(path, "rt") as fh:
        header = fh.readline()
        chunk = [] if not header.split(",")[0].strip().lstrip("-").isdigit() else [header]
        for line in itertools.chain(fh, [None]):
            if line is not None and line.strip():
                chunk.append(line)
            if chunk and (line is None or len(chunk) == rows):
                part_images, part_labels = read_csv("".join(chunk).encode(), size)
                images.append(part_images)
                labels.append(part_labels)
                chunk = []
    if not images:
        return np.zeros((0, size, size), np.uint8), np.zeros(0, np.int64)
    return np.concatenate(images), np.concatenate(labels)


def read_corrections(source: str | Path | bytes) -> tuple[np.ndarray, list[str], list[str | None]]:
    """The API's corrections export (`label,pixel0,…,pixel783[,model]`) → (images (N, 28, 28)
    uint8, labels as written — a digit, a character, or -1 for "not a digit" — and the model
    each row is for, None where the file does not say). Older exports without the model
    column read the same."""
    text = source.decode() if isinstance(source, bytes) else _read_bytes(Path(source)).decode()
    lines = [line for line in text.splitlines() if line.strip()]
    has_header = bool(lines) and lines[0].startswith("label,")
    with_model = has_header and lines[0].rstrip().endswith(",model")
    rows = lines[1:] if has_header else lines
    labels, models, pixel_rows = [], [], []
    for line in rows:
        label, rest = line.split(",", 1)
        model = None
        if with_model:
            rest, model = rest.rsplit(",", 1)
        labels.append(label.strip())
        models.append(model.strip() if model is not None else None)
        pixel_rows.append(rest)
    if not rows:
        return np.zeros((0, 28, 28), np.uint8), [], []
    try:
        pixels = np.loadtxt(io.StringIO("\n".join(pixel_rows)), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as exc:
        raise DataError(f"correction rows must hold 784 pixel values: {exc}") from exc
    if pixels.shape[1] != 784 or pixels.min() < 0 or pixels.max() > 255:
        raise DataError("correction rows must hold 784 pixel values in 0-255")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels, models


class SampleSet:
    """Images and their labels held in memory, sampled reproducibly: one split of an
    MNIST-style CSV, or one part of EMNIST's characters."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, label_names: list[str]):
        self.images, self.labels, self.label_names = images, labels, label_names

    @classmethod
    def mnist(cls, split: str) -> SampleSet:
        """train or test (their CSV), or validation (the held-out part of train)."""
        if split == "validation":
            held_out = mnist_validation()
            return cls(held_out.images, held_out.labels, list(DIGIT_LABELS))
        images, labels = read_csv_shared(MNIST_DIR / f"mnist_{split}.csv.gz")
        return cls(images, labels, list(DIGIT_LABELS))

    def sample(
        self, count: int, label: str | None, seed: int, balanced: bool = False
    ) -> list[tuple[int, str, np.ndarray]]:
        """Up to `count` distinct (index, label, float image) drawn with `seed`, optionally one
        label only (none when the set has no such label). `balanced`: drawn evenly over the
        labels (each label in turn, in an order drawn with the seed), not in the set's own mix."""
        rng = np.random.default_rng(seed)
        if label is None and balanced:
            chosen = self._balanced(count, rng)
        elif label is None:
            pool = np.arange(len(self.labels))
            chosen = rng.choice(pool, size=min(count, len(pool)), replace=False)
        elif label in self.label_names:
            pool = np.flatnonzero(self.labels == self.label_names.index(label))
            chosen = rng.choice(pool, size=min(count, len(pool)), replace=False)
        else:
            return []
        return [
            (int(i), self.label_names[int(self.labels[i])], self.images[i].astype(np.float32) / 255.0) for i in chosen
        ]

    def _balanced(self, count: int, rng: np.random.Generator) -> np.ndarray:
        present = np.unique(self.labels)
        order = np.concatenate([rng.permutation(present) for _ in range(-(-count // len(present)))])[:count]
        chosen: list[int] = []
        for cls in order:
            pool = np.setdiff1d(np.flatnonzero(self.labels == cls), chosen, assume_unique=True)
            if len(pool):
                chosen.append(int(rng.choice(pool)))
        return np.array(chosen, np.int64)
