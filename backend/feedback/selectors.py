"""The reads of corrections: a page of them, one by id, its image, the CSV export. All image
work happens in model_core."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from backend.common.registry import get_model, model_names
from model_core.serving import csv_lines, exported_image, stored_image

from .models import NOT_A_DIGIT, Feedback

NOT_A_DIGIT_CSV = -1  # what finetune reads as "not a digit"
CHARACTER_BYTES = 28 * 28  # a stored character's 28×28


def feedback_list():
    return Feedback.objects.all()


def feedback_get(*, pk: int) -> Feedback | None:
    return Feedback.objects.filter(pk=pk).first()


def feedback_image(entry: Feedback) -> str | None:
    """A stored correction's 28×28 image as a PNG data URL (a text's characters side by side)."""
    return stored_image(bytes(entry.processed))


def _corrections(reviewed_only: bool, model: str | None):
    rows = Feedback.objects.order_by("id")
    if reviewed_only:
        rows = rows.filter(reviewed=True)
    if model:
        rows = rows.filter(model_name=model)
    return rows


def feedback_csv_lines(*, reviewed_only: bool = False, model: str | None = None) -> Iterator[str]:
    """Corrections, oldest first, as MNIST-style CSV (model_core.data.datasets's format) with a last
    column naming the model each is for; a "not a digit" correction is label -1. A text
    correction whose text has as many characters as its reading found gives a row a character
    (each under its model's label: "c" as "C" where merged; a hyphen or an apostrophe only for a
    model that reads them); another gives none. With `model`,
    only that model's corrections."""
    rows = _corrections(reviewed_only, model).values_list("true_label", "true_text", "processed", "model_name")

    def each() -> Iterator[tuple[int | str, bytes, str]]:
        shipped = set(model_names())  # once, not a directory listing a row
        for label, text, processed, name in rows.iterator():
            processed = bytes(processed)
            if not text:
                yield NOT_A_DIGIT_CSV if label == NOT_A_DIGIT else label, processed, name
                continue
            characters = text.replace(" ", "").replace("\n", "")
            if len(processed) != CHARACTER_BYTES * len(characters) or name not in shipped:
                continue
            reader = get_model(name)
            for i, ch in enumerate(characters):
                label = reader.canonical_label(ch, ())  # None: a hyphen the model has no label for
                if label is not None:
                    yield label, processed[i * CHARACTER_BYTES : (i + 1) * CHARACTER_BYTES], name

    yield from csv_lines(each())


TEXT_COLUMNS = ("id", "true_text", "predicted_text", "model", "image", "lines_image")


def feedback_text_lines(*, reviewed_only: bool = False, model: str | None = None) -> Iterator[str]:
    """Text corrections, oldest first, as CSV (TEXT_COLUMNS): the user's image as a PNG data
    URL, and each line's crop as the line network read it (32 px tall, top first; what
    fine-tuning a line network takes beside the text's lines), empty for the cutting reader."""
    rows = _corrections(reviewed_only, model).exclude(true_text="")
    yield _csv_line(TEXT_COLUMNS)
    for pk, true_text, predicted_text, name, original, lines in rows.values_list(
        "id", "true_text", "predicted_text", "model_name", "original", "lines_image"
    ).iterator():
        image = exported_image(bytes(original))  # at most 100 KiB a cell: a reduced copy of a bigger one
        lines = bytes(lines)
        crops = exported_image(lines) if lines else ""
        yield _csv_line((pk, true_text, predicted_text, name, image, crops))


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()
