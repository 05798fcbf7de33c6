"""Saved models: weights in `<name>.npz`, the model card (card.py) in `<name>.json`.

The card names its weights file and that file's SHA-256, so a damaged or swapped file is
refused on load rather than giving silently wrong answers.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from . import card as cards
from .model import Model
from .nn.network import INPUT_SHAPE, Sequential
from .paths import DEFAULT_MODEL, MODEL_DIR, READER_CARD


class ModelLoadError(ValueError):
    """A model file is missing, corrupt, or does not match its card."""


def _paths(path: str | Path) -> tuple[Path, Path]:
    """`artifacts/cnn`, `artifacts/cnn.json` or `artifacts/cnn.npz` → (card, weights)."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in {".json", ".npz"} else path
    return stem.with_suffix(".json"), stem.with_suffix(".npz")


HALF = "float16"


def round_to_half(networks: list[Sequential]) -> None:
    """Round every weight to float16 and back, in place: the networks then compute exactly
    what a float16 weights file gives back when loaded, so what is measured is what is stored."""
    for net in networks:
        net.set_weights({key: value.astype(np.float16) for key, value in net.weights().items()})


def save_model(model: Model, path: str | Path) -> Path:
    """Write weights and card; the card records the weights' SHA-256. Returns the card path.
    A card whose `weights_storage` is "float16" has its weights written at half precision
    (round them first with `round_to_half`); loading reads them back as float32."""
    card_path, weights_path = _paths(path)
    card_path.parent.mkdir(parents=True, exist_ok=True)
    dtype = np.float16 if model.card.get("weights_storage") == HALF else np.float32
    arrays = {
        f"m{i}/{key}": value.astype(dtype)
        for i, net in enumerate(model.members)
        for key, value in net.weights().items()
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    blob = buffer.getvalue()
    weights_path.write_bytes(blob)
    cards.stamp(
        model.card,
        weights_file=weights_path.name,
        sha256=hashlib.sha256(blob).hexdigest(),
        labels=model.labels,
        specs=[net.spec for net in model.members],
        input_shapes=[net.input_shape for net in model.members],
    )
    card_path.write_text(json.dumps(model.card, indent=1) + "\n")
    return card_path


def save_card(model: Model, path: str | Path) -> Path:
    """Rewrite only the card of a saved model (its calibration, say): the weights file and
    the checksum the card holds of it stay as they are."""
    card_path, weights_path = _paths(path)
    if hashlib.sha256(weights_path.read_bytes()).hexdigest() != model.card.get("weights_sha256"):
        raise ModelLoadError(f"{weights_path} is not the weights this card describes")
    card_path.write_text(json.dumps(model.card, indent=1) + "\n")
    return card_path


def resolve(path: str | Path | None) -> Path:
    """None → the shipped default; a bare name (`mlp`) → that model in artifacts/."""
    if path is None:
        path = DEFAULT_MODEL
    path = Path(path)
    if not path.parent.parts and path.suffix == "":
        path = MODEL_DIR / path
    return _paths(path)[0]


def read_card(path: str | Path | None = None) -> dict:
    """A saved model's card alone (its weights are not read or checked)."""
    card_path, _ = _paths(resolve(path))
    try:
        return json.loads(card_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model card {card_path} is unreadable: {exc}") from exc


def load_model(path: str | Path | None = None) -> Model:
    """Load a saved model, verifying the weights' checksum and every array's shape."""
    card_path, _ = _paths(resolve(path))
    try:
        card = json.loads(card_path.read_text())
    except FileNotFoundError as exc:
        raise ModelLoadError(f"no model card at {card_path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model card {card_path} is unreadable: {exc}") from exc
    if not isinstance(card, dict) or not set(card) >= cards.REQUIRED:
        raise ModelLoadError(f"{card_path} is not a model card ({', '.join(sorted(cards.REQUIRED))})")
    weights_path = card_path.parent / card["weights_file"]
    try:
        blob = weights_path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read weights {weights_path}: {exc.strerror}") from exc
    if hashlib.sha256(blob).hexdigest() != card["weights_sha256"]:
        raise ModelLoadError(f"{weights_path.name} does not match the checksum in its card (corrupt or replaced)")
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ModelLoadError(f"{weights_path.name} is not a readable weights archive: {exc}") from exc
    members = []
    outputs = cards.outputs(card)
    for i, member in enumerate(card["members"]):
        prefix = f"m{i}/"
        try:
            net = Sequential(member["spec"], input_shape=tuple(member.get("input_shape", INPUT_SHAPE)))
            net.set_weights({k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{card_path.name}, network {i}: {exc}") from exc
        if net.shapes[-1][-1:] != (outputs,):
            raise ModelLoadError(f"network {i} has {net.shapes[-1][0]} outputs; its card says {outputs}")
        members.append(net)
    model = Model(members, card["labels"], card)
    rule = cards.not_a_digit(card)
    if rule["method"] == cards.GATE_METHOD:  # "not a digit" is another model's answer: the one beside
        beside = card_path.parent / rule["gate"]  # it, else the shipped one (a fine-tuned copy elsewhere)
        gate = load_model(beside if _paths(beside)[0].is_file() else MODEL_DIR / rule["gate"])
        if gate.labels != model.labels:
            raise ModelLoadError(f"{card_path.name}: its gate {rule['gate']} reads other labels")
        model.gate = gate
    return model


def available_models(directory: str | Path = MODEL_DIR) -> list[str]:
    """Names of the model cards in a directory, the default first (the reader's card beside
    them is not a model's)."""
    names = sorted(p.stem for p in Path(directory).glob("*.json") if p.name != READER_CARD)
    return sorted(names, key=lambda n: n != DEFAULT_MODEL)
