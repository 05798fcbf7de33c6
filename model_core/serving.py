"""The library's one door for a server: everything backend/ takes from model_core, and
nothing else. A server loads models, reads images into final answers, stores what a user
corrects, serves samples and exports corrections; it never touches arrays itself.

    model = load_model("cnn")
    read_digits(model, [png_bytes, data_url, pixel_array], limits=Limits(), top_k=3)
    → [{"prediction": "7", "confidence": 0.998, ..., "processed_image": "data:image/png;...",
        "model": {"name": "cnn", "version": "..."}, "elapsed_ms": 1.8}, ...]

    read_texts(model, [png_bytes], limits=Limits(), alphabet="digits")  # a number ("characters": words)
    → [{"text": "42", "confidence": 0.97, "characters": [{"label": "4", "box": [x, y, w, h], ...}, ...],
        "alternatives": [{"text": "47", "confidence": 0.01}], "is_text": true, ...}]

Each answer is built once, here (`ANSWER_FIELDS` and `TEXT_FIELDS` name their fields; the
server's output serializers document the same ones, and tests hold them together). Errors an
image can cause are `PreprocessError`s whose `code` says which (`invalid_image`,
`unsupported_image_type`, `image_too_large`, `empty_image`, `busy`, `too_many_characters`).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import saved
from .card import ALPHABETS
from .data.datasets import SPLITS, SampleSet, csv_header, csv_row
from .data.emnist import CHARACTER_LABELS, MERGED_LOWER, PARTS, character_samples
from .imaging.decode import HOOKS as DECODE_HOOKS
from .imaging.decode import Limits, PreprocessError, TooCostly, decode_base64, decode_budget, load_pixels
from .imaging.encode import from_uint8_bytes, stacked_png, to_data_url, to_uint8
from .imaging.keepsake import keepsake_png, reduced_png
from .imaging.preprocess import RECIPES, SIZE, located, preprocess
from .model import Model, classify
from .nn.parallel import watched
from .reading import (
    MAX_CHARACTERS,
    Reading,
    TooManyCharacters,
    hints,
    model_reader_card,
    read_pixels,
    reader_for,
)
from .reading.constraints import Constraint
from .reading.network import line_input
from .reading.page import find_lines_for, price_of, read_page
from .saved import ModelLoadError, available_models

__all__ = [
    "ANSWER_FIELDS",
    "Constraint",
    "DECODE_HOOKS",
    "LABELS",
    "Limits",
    "Model",
    "ModelLoadError",
    "PreprocessError",
    "available_models",
    "correction_images",
    "csv_lines",
    "decode_base64",
    "exported_image",
    "load_model",
    "read_digits",
    "read_texts",
    "sample_records",
    "stored_image",
]

ANSWER_FIELDS = (
    "prediction",
    "confidence",
    "probabilities",
    "labels",
    "top_k",
    "is_digit",
    "digit_score",
    "reason",
    "character_count",
    "processed_image",
    "model",
    "elapsed_ms",
)

# The label sets a server validates against: the splits each dataset has, every character a
# correction may name (the 47 labels and the lower-case letters EMNIST merges with capitals),
# and the alphabets text is read in.
LABELS = {
    "alphabets": ALPHABETS,
    "splits": {"mnist": SPLITS, "emnist": PARTS},
    "characters": tuple(CHARACTER_LABELS),
    "correction_characters": tuple(dict.fromkeys([*CHARACTER_LABELS, *MERGED_LOWER])),
}


def _each(sources: list[Any], limits: Limits, read: Callable[[Any], Any]) -> list[Any]:
    """The request's bookkeeping, shared by reading digits and reading text: every source read
    in order within the request's decode budget; in a batch an error names the item at fault."""
    out = []
    with decode_budget(limits.max_request_decode_bytes), watched(limits.check):
        for index, source in enumerate(sources):
            if limits.check is not None:
                limits.check()
            try:
                out.append(read(source))
            except ValueError as exc:
                if len(sources) > 1:
                    exc.args = (f"images[{index}]: {exc}",)
                raise
    return out


def priced(price: int, limits: Limits, pay: Callable[[int], None] | None) -> None:
    """A request's price settled before any network runs: over `limits.max_price` it is refused
    (TooCostly, naming both in units); `pay(price)` charges the client's budget (a server's: it
    raises when that is spent)."""
    if limits.max_price and price > limits.max_price:
        raise TooCostly(
            f"this request costs {price} units (network evaluations of a 28×28); one request may cost at "
            f"most {limits.max_price}: send fewer or smaller images, or read with a cheaper model"
        )
    if pay is not None:
        pay(price)


def read_digits(
    model: Model,
    sources: list[Any],
    *,
    limits: Limits,
    top_k: int = 3,
    counter: Model | None = None,
    pay: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Read each source (encoded bytes, a data URL or base64 text, a pixel array) as one
    character with `model`: one answer per source, in order, each a plain dict of
    `ANSWER_FIELDS`. What is not a digit has its characters counted on the pixels already
    decoded (a number is several; a letter or a shape, one), by `counter` (a line network)
    where given, else by `model` over the line's cuts. Priced before the network runs: each
    image through each of the model's networks (`priced`)."""
    started = time.perf_counter()
    found = _each(sources, limits, lambda source: located(source, limits))
    priced(len(found) * model.networks, limits, pay)
    images = [RECIPES[model.recipe](crop) for crop, _ in found]
    with watched(limits.check):
        predictions = classify(model, images, top_k)
        counts = [
            1 if p.is_digit else _character_count(counter or model, grey, limits)
            for p, (_, grey) in zip(predictions, found, strict=True)
        ]
    elapsed = round((time.perf_counter() - started) * 1000, 3)
    ref = {"name": model.name, "version": model.version}
    return [
        {
            "prediction": p.label,
            "confidence": p.confidence,
            "probabilities": p.probabilities,
            "labels": model.labels,
            "top_k": [{"label": label, "probability": prob} for label, prob in p.top_k],
            "is_digit": p.is_digit,
            "digit_score": p.digit_score,
            "reason": None if p.is_digit else ("several_characters" if count > 1 else "not_a_digit"),
            "character_count": count,
            "processed_image": to_data_url(image),
            "model": ref,
            "elapsed_ms": elapsed,
        }
        for p, image, count in zip(predictions, images, counts, strict=True)
    ]


def _character_count(model: Model, grey: np.ndarray, limits: Limits) -> int:
    """How many characters a digit model's reader finds in what it answered "not a digit".
    The characters model reads letters as answers: one character."""
    if model.alphabet != "digits":
        return 1
    try:
        return max(1, len(read_pixels(reader_for(model, "digits"), grey, limits).characters))
    except TooManyCharacters:
        return MAX_CHARACTERS + 1
    except ValueError:  # read as one image already: whatever the reader makes of it, one
        return 1


TEXT_FIELDS = (
    "text", "written", "confidence", "characters", "alternatives", "suggested_alphabet", "is_text", "lines",
    "left_out", "model", "elapsed_ms",
)  # fmt: skip
LINE_FIELDS = ("text", "written", "confidence", "box", "characters", "alternatives")


def read_texts(
    model: Model,
    sources: list[Any],
    *,
    limits: Limits,
    alphabet: str,
    top_k: int = 3,
    pay: Callable[[int], None] | None = None,
    words_check: Model | None = None,
    constraint: Constraint | None = None,
) -> list[dict[str, Any]]:
    """Read the characters written in each source, every line top first, with `model`
    (`alphabet` "digits": numbers; "characters": words): one answer per source, in order, a
    dict of `TEXT_FIELDS` each (a blank one: no text), each line's `LINE_FIELDS` in `lines`
    and the ink not read in `left_out` (reading.page). Every line is found and priced (the
    reader's `price`, a constraint's cost) before any network runs (`priced`). `words_check`,
    a characters model: a number read by a line network that looks like words says so
    (`suggested_alphabet`, reading.hints; priced at its most, hints.CHECK_GLYPHS units a line).
    `constraint` (reading.constraints): what each line may hold (a line network's reader)."""
    reader = reader_for(model, alphabet, top_k=top_k)
    ref = {"name": model.name, "version": model.version}
    found = _each(
        sources,
        limits,
        lambda source: (time.perf_counter(), find_lines_for(reader, load_pixels(source, limits), limits)),
    )
    check = words_check if alphabet == "digits" and model.reads_lines else None
    count = sum(len(lines.lines) for _, lines in found)
    extra = (hints.CHECK_GLYPHS if check else 0) + (constraint.cost() if constraint is not None else 0)
    priced(sum(price_of(reader, lines) for _, lines in found) + extra * count, limits, pay)

    def answer(item: tuple[float, Any]) -> dict[str, Any]:
        started, lines = item
        page = read_page(reader, lines, limits, constraint)
        words = check is not None and any(hints.looks_like_words(line.reading, check) for line in page.lines)
        each = [_line_answer(line.reading, line.box) for line in page.lines]
        one = each[0] if len(each) == 1 else None
        return {
            "text": "\n".join(line["text"] for line in each),
            "written": "\n".join(line["written"] for line in each),
            "confidence": float(np.prod([line["confidence"] for line in each])) if each else 0.0,
            "characters": [c for line in each for c in line["characters"]],
            "alternatives": one["alternatives"] if one else [],
            "suggested_alphabet": "characters" if words else None,
            "is_text": any(line.reading.is_text for line in page.lines),
            "lines": each,
            "left_out": [{"box": list(box), "reason": reason} for box, reason in page.left_out],
            "model": ref,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
        }

    return _each(found, limits, answer)


def _line_answer(reading: Reading, box: tuple[int, int, int, int]) -> dict[str, Any]:
    alternatives = [{"text": text, "confidence": p, "constrained": True} for text, p in reading.alternatives]
    if reading.unconstrained is not None:
        text, p = reading.unconstrained
        alternatives.append({"text": text, "confidence": p, "constrained": False})
    return {
        "text": reading.text,
        "written": reading.written if reading.written is not None else reading.text,
        "confidence": reading.confidence,
        "box": list(box),
        "characters": [
            {
                "label": c.label,
                "confidence": c.confidence,
                "top_k": [{"label": label, "probability": p} for label, p in c.top_k],
                "box": list(c.box),
                "processed_image": to_data_url(c.image),
            }
            for c in reading.characters
        ],
        "alternatives": alternatives,
    }


def correction_images(
    model: Model,
    source: bytes | np.ndarray,
    limits: Limits,
    *,
    text: bool = False,
    pay: Callable[[int], None] | None = None,
) -> tuple[bytes, bytes, bytes]:
    """What a stored correction keeps of its image: the 28×28 `model` would see (MNIST's
    bytes), the user's image as decoded pixels in a bounded PNG, and (a text's) its lines.
    With `text` (a correction of a reading), every line is read as predict-text reads it: the
    28×28 of each character where the reader placed it, line by line, left to right, one after
    another (784 bytes each; none for a blank image), and each line's crop as a line network
    reads it (32 px tall), top first, stacked in one PNG (b"" for the cutting reader's)."""
    lines_png = b""
    if text:  # a text correction is read on arrival, and pays what a reading does
        reader = reader_for(model, model.alphabet)
        found = find_lines_for(reader, load_pixels(source, limits), limits)
        priced(price_of(reader, found), limits, pay)
        with watched(limits.check):
            page = read_page(reader, found, limits)
        processed = b"".join(to_uint8(c.image).tobytes() for line in page.lines for c in line.reading.characters)
        if model.reads_lines and found.lines:
            lines_png = stacked_png([line_input(line) for line in found.lines])
    else:
        priced(model.networks, limits, pay)
        processed = to_uint8(preprocess(source, limits, model.recipe)).tobytes()
    return processed, keepsake_png(source, limits), lines_png


def load_model(path: str | Path | None = None) -> Model:
    """A saved model (saved.load_model), with how it reads text (`model.reader`: the reader's
    card beside it, with its recorded figures)."""
    model = saved.load_model(path)
    model.reader = model_reader_card(model, model.alphabet, saved.resolve(path).parent)
    return model


EXPORT_CELL_BYTES = 100 * 1024  # an exported image's cell, data-URL prefix included


def exported_image(original: bytes) -> str:
    """A stored correction's image (its keepsake PNG) as an export's cell: a PNG data URL of at
    most EXPORT_CELL_BYTES, a reduced copy where the stored one is bigger (the stored one stays)."""
    prefix = "data:image/png;base64,"
    fits = (EXPORT_CELL_BYTES - len(prefix)) // 4 * 3  # the bytes whose base64 fits
    return prefix + base64.b64encode(reduced_png(original, fits)).decode("ascii")


def stored_image(processed: bytes) -> str | None:
    """A stored 28×28 (MNIST's bytes) as a PNG data URL; several (a reading's characters) side
    by side, 28 px tall; None for none."""
    size = SIZE * SIZE
    if not processed:
        return None
    if len(processed) == size:
        return to_data_url(from_uint8_bytes(processed))
    tiles = [from_uint8_bytes(processed[i : i + size]) for i in range(0, len(processed), size)]
    return to_data_url(np.concatenate(tiles, axis=1))


def csv_lines(rows: Iterable[tuple[int | str, bytes, str]]) -> Iterator[str]:
    """Corrections as MNIST-style CSV (label, 784 pixels) with a last column naming the model:
    the header, then one line per (label, processed bytes, model name)."""
    yield csv_header(extra=("model",))
    for label, processed, name in rows:
        yield csv_row(label, processed, name)


_DATASETS = {"mnist": SampleSet.mnist, "emnist": character_samples}
_sample_sets: dict[tuple[str, str], SampleSet] = {}
_lock = threading.Lock()


def _samples(dataset: str, split: str) -> SampleSet:
    found = _sample_sets.get((dataset, split))
    if found is None:
        with _lock:
            if (dataset, split) not in _sample_sets:
                _sample_sets[dataset, split] = _DATASETS[dataset](split)
            found = _sample_sets[dataset, split]
    return found


def sample_records(
    dataset: str, split: str, *, count: int, label: str | None, seed: int, balanced: bool = False
) -> list[dict[str, Any]]:
    """`count` random samples of a dataset's split (one label only if given; `balanced`: evenly
    over its labels), the same for the same seed, each `{id, label, split, image}` with the
    image as a PNG data URL. `count` 0 only reads (and checks) the split, as a server does once
    before it forks its workers."""
    samples = _samples(dataset, split)
    chosen = samples.sample(count, label, seed, balanced) if count else []
    return [{"id": index, "label": name, "split": split, "image": to_data_url(image)} for index, name, image in chosen]
