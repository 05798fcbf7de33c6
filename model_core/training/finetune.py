"""Users' corrections as training data for `finetune` (model_core.cli.models): their labels as
class indices, kept only when made for a model of the same labels. They are untrusted: the
command bounds their share and weight and reports what it used."""

from __future__ import annotations

import numpy as np

from ..model import Model
from ..saved import ModelLoadError, read_card

NOT_A_DIGIT_CODE = -1  # how the feedback export writes the correction "this is not a digit"


def correction_labels(codes: list[str], labels: list[str], outputs: int) -> np.ndarray:
    """Exported labels → class indices; "not a digit" (-1) → the extra output of a model that
    has one, else -1 (dropped). ValueError for a label that is neither."""
    out = []
    for code in codes:
        if code == str(NOT_A_DIGIT_CODE):
            out.append(len(labels) if outputs > len(labels) else -1)
        else:
            out.append(labels.index(str(code)))
    return np.array(out, dtype=np.int64)


def same_labels(base: Model, names: list[str | None]) -> np.ndarray:
    """For each correction's model (None: the file does not say), whether that model reads the
    same labels as `base` (a digit model's corrections, not the characters model's)."""
    known: dict[str, bool] = {}
    for name in set(names) - {None}:
        try:
            known[name] = read_card(name)["labels"] == base.labels
        except (ModelLoadError, KeyError):  # a model not shipped here: judged by its labels alone
            known[name] = True
    return np.array([name is None or known[name] for name in names], dtype=bool)
