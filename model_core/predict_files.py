"""Recognising many images offline (`python -m model_core predict PATH...`, cli.files).

Paths may be image files, folders (searched recursively for images), globs, or MNIST-style
CSV files (each row an image). Images are read and preprocessed in worker processes, one
per core (Pillow and this module's Python hold the GIL, so threads would not help), and
classified in batches, which the model shares among its own threads.
"""

from __future__ import annotations

import csv
import glob
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np
from tqdm import tqdm

from .data.datasets import read_csv
from .imaging.decode import PreprocessError
from .imaging.preprocess import preprocess
from .model import Model

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"}
BATCH = 512
COLUMNS = ["file", "prediction", "confidence", "is_digit", "digit_score", "error"]


def expand(paths: list[str]) -> list[str | tuple[str, int, np.ndarray]]:
    """Every input the paths name, in order: an image's path, or (csv path, row, pixels).
    FileNotFoundError names the first path that names nothing."""
    out: list[str | tuple[str, int, np.ndarray]] = []
    for path in paths:
        matches = sorted(glob.glob(path, recursive=True)) if glob.has_magic(path) else [path]
        if not matches or not all(os.path.exists(m) for m in matches):
            raise FileNotFoundError(f"no such file or folder: {path}")
        for match in map(Path, matches):
            if match.is_dir():
                out += sorted(str(p) for p in match.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
            elif match.suffix.lower() in (".csv", ".gz") and ".csv" in match.name:
                images, _ = read_csv(match)
                out += [(str(match), row, image) for row, image in enumerate(images)]
            else:
                out.append(str(match))
    return out


def _prepare(item: str | tuple[str, int, np.ndarray]) -> tuple[str, np.ndarray | None, str]:
    """(name, the 28×28 input or None, the error if there was one)."""
    if isinstance(item, tuple):
        path, row, pixels = item
        name, source = f"{path}#{row}", pixels
    else:
        name = item
        try:
            source = Path(item).read_bytes()
        except OSError as exc:
            return name, None, f"unreadable: {exc.strerror}"
    try:
        return name, preprocess(source), ""
    except PreprocessError as exc:
        return name, None, str(exc)


def _prepared(inputs: list, workers: int) -> Iterator[tuple[str, np.ndarray | None, str]]:
    if workers <= 1 or len(inputs) < 64:
        yield from map(_prepare, inputs)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_prepare, inputs, chunksize=32)


def predict_all(model: Model, inputs: list, out: TextIO, workers: int | None = None, progress: bool = True) -> dict:
    """Write one CSV row per input (COLUMNS); return counts and the seconds it took."""
    started = time.perf_counter()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    counts = {"images": 0, "not_a_digit": 0, "errors": 0}
    pending: list[tuple[str, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        scores = model.scores(np.stack([image for _, image in pending]))
        for (name, _), probs, score, is_digit in zip(
            pending, scores.probabilities, scores.digit_score, scores.is_digit, strict=True
        ):
            best = int(probs.argmax())
            writer.writerow(
                [name, model.labels[best], f"{probs[best]:.6f}", str(bool(is_digit)).lower(), f"{score:.6f}", ""]
            )
            counts["not_a_digit"] += int(not is_digit)
        pending.clear()

    bar = tqdm(total=len(inputs), unit="img", disable=not progress)
    for name, image, error in _prepared(inputs, workers or os.cpu_count() or 1):
        counts["images"] += 1
        bar.update()
        if image is None:
            writer.writerow([name, "", "", "", "", error])
            counts["errors"] += 1
            continue
        pending.append((name, image))
        if len(pending) >= BATCH:
            flush()
    flush()
    bar.close()
    counts["seconds"] = time.perf_counter() - started
    return counts


TEXT_COLUMNS = ["file", "text", "confidence", "error", "line"]  # a row a line (line 1 first); "line" last


def read_all(model: Model, inputs: list, out: TextIO, constraint=None) -> dict:
    """Write one CSV row per line read in each input (TEXT_COLUMNS, top line first; an image with
    no text, or one that cannot be read, one row): the numbers read (model_core.reading.page),
    or the words with a model of characters; `constraint` (reading.constraints): what each line
    may hold. Return counts."""
    from .imaging.decode import DEFAULT_LIMITS, load_pixels
    from .reading import reader_for
    from .reading.page import find_lines_for, read_page

    reader = reader_for(model, model.alphabet)
    writer = csv.writer(out)
    writer.writerow(TEXT_COLUMNS)
    counts = {"images": 0, "no_text": 0, "errors": 0, "lines": 0}
    for item in inputs:
        name, source = (f"{item[0]}#{item[1]}", item[2]) if isinstance(item, tuple) else (item, None)
        counts["images"] += 1
        try:
            grey = load_pixels(source if source is not None else Path(name).read_bytes(), DEFAULT_LIMITS)
            page = read_page(reader, find_lines_for(reader, grey), DEFAULT_LIMITS, constraint)
        except OSError as exc:
            writer.writerow([name, "", "", f"unreadable: {exc.strerror}", ""])
            counts["errors"] += 1
            continue
        except (PreprocessError, ValueError) as exc:
            writer.writerow([name, "", "", str(exc), ""])
            counts["errors"] += 1
            continue
        if not page.lines:
            counts["no_text"] += 1
            writer.writerow([name, "", f"{0.0:.6f}", "", ""])
        for number, line in enumerate(page.lines, start=1):
            counts["lines"] += 1
            writer.writerow([name, line.reading.text, f"{line.reading.confidence:.6f}", "", number])
    return counts
