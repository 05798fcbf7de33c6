"""EMNIST's handwritten characters (NIST Special Database 19): the data, its fixed split, and
the 47 labels with ByMerge's merged letters.

The data is `data/emnist/emnist-bymerge.npz` (see `data/README.md`), checked against its
SHA-256 on every read. It is split once, stratified by class and seeded, 70 / 15 / 15 into
train / validation / test; the indices are stored beside it (`split.npz`, also checked), so
every model and benchmark that reads a part reads the same images. Nothing is tuned on the
test part.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..paths import EMNIST_DIR
from .datasets import DataError, Dataset, SampleSet

EMNIST_FILE = "emnist-bymerge.npz"
EMNIST_SHA256 = "70eada7535fdee6840296d41dd66dfae3e17f73f752779575bdf3bb0f86f33f1"
SPLIT_FILE = "split.npz"
SPLIT_SHA256 = "0f96d669f7fccf3563c1943ea3b289f13f24de5c46602c3903b8e43866e98f31"
SPLIT_SEED = 2024
SPLIT_SHARES = (0.70, 0.15, 0.15)
PARTS = ("train", "validation", "test")

CHARACTER_LABELS = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt")
# ByMerge files these lower-case letters under their capital: their shapes do not differ.
MERGED_LOWER = "cijklmopsuvwxyz"


def canonical_label(text: str, labels: list[str] = CHARACTER_LABELS) -> str | None:
    """A character as one of a model's labels, a merged lower-case letter as its capital
    ("c" → "C" where "C" is a label and "c" not); None when it is none of them."""
    if text in labels:
        return text
    if len(text) == 1 and text in MERGED_LOWER and text.upper() in labels:
        return text.upper()
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(path: Path, expected: str) -> Path:
    if not path.is_file():
        raise DataError(f"{path} is missing (it is committed with the repository)")
    if (actual := _sha256(path)) != expected:
        raise DataError(f"checksum mismatch for {path.name}: {actual} != {expected}")
    return path


@lru_cache(maxsize=2)
def _arrays(data_dir: str) -> tuple[np.ndarray, np.ndarray]:
    path = _checked(Path(data_dir) / EMNIST_FILE, EMNIST_SHA256)
    with np.load(path) as archive:
        images, labels, mapping = archive["x"], archive["y"].astype(np.int64), str(archive["mapping"])
    if list(mapping) != CHARACTER_LABELS or images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise DataError(f"{path.name} is not the 47-class ByMerge set this code expects")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def stratified_split(labels: np.ndarray, seed: int = SPLIT_SEED, shares=SPLIT_SHARES) -> dict[str, np.ndarray]:
    """Each class shuffled with `seed` and cut by `shares`, so every part holds every class in
    the same proportions; indices sorted within each part."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in PARTS}
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        cut1 = round(len(members) * shares[0])
        cut2 = cut1 + round(len(members) * shares[1])
        for name, piece in zip(PARTS, (members[:cut1], members[cut1:cut2], members[cut2:]), strict=True):
            parts[name].append(piece)
    return {name: np.sort(np.concatenate(pieces)).astype(np.int32) for name, pieces in parts.items()}


def write_split(data_dir: str | Path = EMNIST_DIR) -> Path:
    """Write the split's indices once (`python -m model_core.data.emnist`); its checksum then goes
    into SPLIT_SHA256."""
    _, labels = _arrays(str(data_dir))
    path = Path(data_dir) / SPLIT_FILE
    np.savez_compressed(path, seed=np.int64(SPLIT_SEED), **stratified_split(labels))
    return path


@lru_cache(maxsize=2)
def split_indices(data_dir: str = str(EMNIST_DIR)) -> dict[str, np.ndarray]:
    path = _checked(Path(data_dir) / SPLIT_FILE, SPLIT_SHA256)
    with np.load(path) as archive:
        return {name: archive[name] for name in PARTS}


def load_characters(part: str, data_dir: str | Path = EMNIST_DIR) -> Dataset:
    """One part (train, validation or test) of the split: uint8 (N, 28, 28) upright, white on
    black, labels into CHARACTER_LABELS."""
    if part not in PARTS:
        raise DataError(f"unknown part {part!r}; expected one of {PARTS}")
    images, labels = _arrays(str(data_dir))
    index = split_indices(str(data_dir))[part]
    checksums = {EMNIST_FILE: EMNIST_SHA256, f"{SPLIT_FILE}:{part}": SPLIT_SHA256}
    return Dataset(images[index], labels[index], list(CHARACTER_LABELS), checksums)


def character_samples(part: str) -> SampleSet:
    """One part of the split, for sampling (GET /api/display-images/?dataset=emnist)."""
    data = load_characters(part)
    return SampleSet(data.images, data.labels, data.label_names)


if __name__ == "__main__":
    written = write_split()
    print(f"{written}: sha256 {_sha256(written)}")
