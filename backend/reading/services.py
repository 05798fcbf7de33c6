"""The verb of reading text: read. Keyword-only; it returns model_core's plain answers, which
the API's OutputSerializer documents. All numerical work happens in model_core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.common.errors import BatchTooCostly, InvalidAlphabet, InvalidConstraint
from backend.common.registry import batch_limit, get_model, limits, line_model, shipped_model
from model_core.serving import LABELS, Constraint, read_texts

# A line costs the network several candidates a character: a batch of lines holds this many
# times fewer images than a batch of single characters.
LINE_COST = 8
CHARACTERS_MODEL = "characters"  # the model that reads words when none is named
ALPHABETS = LABELS["alphabets"]  # what a model may read: its card says which (model.alphabet)


def read(
    *,
    sources: list[Any],
    alphabet: str = "digits",
    model: str | None = None,
    top_k: int = 3,
    pay: Callable[[int], None] | None = None,
    constraint: Constraint | None = None,
) -> list[dict]:
    """Read the characters written in each source, every line: one answer per source, in order
    (model_core.serving.TEXT_FIELDS); every line priced and paid by `pay` before a network runs.
    `constraint`: what each line may hold (a line network's reading only)."""
    # The line network for the alphabet where it is shipped; else the cutting reader's model.
    line = line_model(alphabet)
    default = line.name if line is not None else CHARACTERS_MODEL if alphabet == "characters" else None
    loaded = get_model(model or default)
    if loaded.alphabet != alphabet:
        kind = "a digit model" if alphabet == "digits" else f"the {CHARACTERS_MODEL} or line-characters model"
        raise InvalidAlphabet(f"model {loaded.name!r} does not read the alphabet {alphabet!r}: choose {kind}")
    if constraint is not None and constraint.given and not loaded.reads_lines:
        raise InvalidConstraint(
            f"allowed, template and words constrain a line network's reading; model {loaded.name!r} reads by "
            "cutting: choose line-digits or line-characters"
        )
    limit = max(1, batch_limit(loaded) // LINE_COST)
    if len(sources) > limit:
        raise BatchTooCostly(
            f"a batch of text for {loaded.name} holds at most {limit} images; send the rest in another request"
        )
    # A number that looks like words says so (suggested_alphabet), checked by the characters model.
    return read_texts(
        loaded, sources, limits=limits(), alphabet=alphabet, top_k=top_k, pay=pay,
        words_check=shipped_model(CHARACTERS_MODEL), constraint=constraint,
    )  # fmt: skip
