"""The reader's card: how text is read with a model, beside the shipped models
(artifacts/reader.json), with the figures `benchmarks/read.py --split test --record` measured
on the test material. GET /api/model-info/ serves it as `reader`; loading a model never reads it."""

from __future__ import annotations

import json
from pathlib import Path

from ..paths import MODEL_DIR, READER_CARD


def reader_card_path(model_dir: str | Path | None = None) -> Path:
    return Path(model_dir or MODEL_DIR) / READER_CARD


def figures_key(reader: str, alphabet: str) -> str:
    """Where a reader's figures for an alphabet stand in the card: the lattice's under the
    alphabet (as they always have), another reader's under `reader:alphabet` ("line:digits")."""
    return alphabet if reader == "lattice" else f"{reader}:{alphabet}"


def reader_card(alphabet: str, how: str, model_dir: str | Path | None = None, reader: str = "lattice") -> dict:
    """How this alphabet is read by `reader` (`how`, the reader's own words), with the figures
    recorded for them (None for figures never recorded)."""
    path = reader_card_path(model_dir)
    try:
        recorded = json.loads(path.read_text()).get(figures_key(reader, alphabet))
    except (OSError, ValueError, AttributeError):
        recorded = None
    return {"alphabet": alphabet, "reader": reader, "how": how, "figures": recorded}
