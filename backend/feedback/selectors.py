"""The reads of corrections: a page of them, one by id, its image, the CSV export. All image
work happens in model_core."""

from __future__ import annotations

from collections.abc import Iterator

from model_core.serving import csv_lines, stored_image

from .models import NOT_A_DIGIT, Feedback

NOT_A_DIGIT_CSV = -1  # what finetune reads as "not a digit"


def feedback_list():
    return Feedback.objects.all()


def feedback_get(*, pk: int) -> Feedback | None:
    return Feedback.objects.filter(pk=pk).first()


def feedback_image(entry: Feedback) -> str:
    """A stored correction's 28×28 image as a PNG data URL."""
    return stored_image(bytes(entry.processed))


def feedback_csv_lines(*, reviewed_only: bool = False, model: str | None = None) -> Iterator[str]:
    """Corrections, oldest first, as MNIST-style CSV (model_core.data.datasets's format) with a last
    column naming the model each is for; a "not a digit" correction is label -1. With
    `model`, only that model's corrections."""
    rows = Feedback.objects.order_by("id")
    if reviewed_only:
        rows = rows.filter(reviewed=True)
    if model:
        rows = rows.filter(model_name=model)
    yield from csv_lines(
        (NOT_A_DIGIT_CSV if label == NOT_A_DIGIT else label, bytes(processed), name)
        for label, processed, name in rows.values_list("true_label", "processed", "model_name").iterator()
    )
