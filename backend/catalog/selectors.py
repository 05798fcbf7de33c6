"""The reads of the catalogue: samples of the datasets, the model card. All array work
happens in model_core."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from backend.common.registry import get_model, model_names, model_summaries
from model_core.serving import sample_records


def sample_list(
    *, count: int, label: str | None, split: str, seed: int, dataset: str = "mnist", balanced: bool | None = None
) -> list[dict[str, Any]]:
    """`count` random samples of a dataset's split (one label only if given), the same for the
    same seed; evenly over the labels when `balanced` (by default EMNIST's, whose split mixes
    in digits by ByMerge's proportions; MNIST's digits come in their own mix)."""
    balanced = dataset == "emnist" if balanced is None else balanced
    return sample_records(dataset, split, count=count, label=label, seed=seed, balanced=balanced)


def model_card(*, name: str | None = None) -> dict[str, Any]:
    model = get_model(name)
    return {
        **model.card,
        "architectures": model.architectures(),
        "not_a_digit": model.not_a_digit,
        "deskews_input": model.deskews,
        "input_recipe": model.recipe,
        "alphabet": model.alphabet,  # a fact of the card; an older card's, by its labels
        "reader": model.reader,
        "available_models": model_names(),
        "default_model": settings.DEFAULT_MODEL,
        "models": model_summaries(),
    }
