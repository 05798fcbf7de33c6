"""Saved models: weights in `<name>.npz`, the model card in `<name>.json`.

A model is one network or an ensemble of several whose probabilities are averaged. The
card names its weights file and that file's SHA-256, so a damaged or swapped file is
refused on load rather than giving silently wrong answers.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .compiled import GroupedNetwork
from .data import PROJECT_ROOT
from .losses import softmax
from .network import Sequential
from .preprocess import deskew

ARTIFACTS_DIR = Path(os.environ.get("MODEL_DIR", PROJECT_ROOT / "artifacts"))
DEFAULT_MODEL = "cnn"


class ModelLoadError(ValueError):
    """A model file is missing, corrupt, or does not match its card."""


class Model:
    """A trained classifier: `predict_proba` on (N, 28, 28) float32 in [0, 1], white on black."""

    def __init__(self, members: list[Sequential], labels: list[str], card: dict[str, Any], threads: int = 1):
        if not members:
            raise ValueError("a model needs at least one network")
        self.members, self.labels, self.card = members, list(labels), card
        self.threads = threads  # >1: an ensemble's members split across that many threads
        self._lanes: dict[int, list[list[GroupedNetwork]]] = {}

    def lanes(self, parts: int = 1) -> list[list[GroupedNetwork]]:
        """The members in inference form, those sharing an architecture grouped, each group
        split into up to `parts` contiguous shares, dealt to up to `parts` threads: thread i
        runs share i of every architecture, so each thread gets a like part of each kind of
        work (one thread per share would mean more threads than cores). Built once per `parts`.

        A loaded model's weights are frozen: build a new `Model` after training its members.
        """
        if parts not in self._lanes:
            kinds = [[self.members[i] for i in indices] for indices in self._by_architecture()]
            shares = [[GroupedNetwork(share) for share in _split(nets, parts)] for nets in kinds]
            self._lanes[parts] = [[kind[i] for kind in shares if i < len(kind)] for i in range(len(shares[0]))]
        return self._lanes[parts]

    def groups(self, parts: int = 1) -> list[GroupedNetwork]:
        """Every grouped share of `lanes(parts)`, in one list."""
        return [group for lane in self.lanes(parts) for group in lane]

    def _by_architecture(self) -> list[list[int]]:
        """The members' indices, grouped by architecture in order of first appearance."""
        found: dict[str, list[int]] = {}
        for i, net in enumerate(self.members):
            found.setdefault(json.dumps(net.spec, sort_keys=True), []).append(i)
        return list(found.values())

    def architectures(self) -> list[dict[str, Any]]:
        """Each architecture among the networks, in order of first appearance: its name, how
        many networks have it, and one network's layers (`Sequential.describe()`)."""
        cards = self.card.get("members") or []
        out = []
        for indices in self._by_architecture():
            first = indices[0]
            named = cards[first].get("architecture") if first < len(cards) else None
            net = self.members[first]
            out.append(
                {
                    "name": named or str(self.card.get("architecture", "network")),
                    "networks": len(indices),
                    "parameter_count": net.parameter_count,
                    "layers": net.describe(),
                }
            )
        return out

    @property
    def name(self) -> str:
        return str(self.card.get("name", "model"))

    @property
    def version(self) -> str:
        return str(self.card.get("version", "unversioned"))

    @property
    def deskews(self) -> bool:
        """Whether the networks were trained on deskewed digits (so inputs are deskewed too)."""
        return bool(self.card.get("input", {}).get("deskew", False))

    def predict_proba(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Images that fit in one batch (one drawing) split the members across `threads`
        threads; more images than that share their batches among the library's threads
        (`layers.THREADS`) instead, one group of members after another."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {x.shape}")
        if self.deskews:
            x = deskew(x)
        lanes = self.lanes(max(1, self.threads))

        def summed(lane: list[GroupedNetwork]) -> np.ndarray:
            return sum(softmax(group.logits(x, batch_size)).sum(axis=0) for group in lane)

        one_batch = all(len(x) <= (batch_size or group.batch_size) for lane in lanes for group in lane)
        if len(lanes) == 1 or not one_batch:
            probs = sum(summed(lane) for lane in lanes)
        else:  # NumPy's matmuls release the GIL: the shares really run side by side
            others = [_pool().submit(summed, lane) for lane in lanes[1:]]
            probs = summed(lanes[0]) + sum(future.result() for future in others)
        return (probs / len(self.members)).astype(np.float32)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.predict_proba(x).argmax(axis=1)


def _split(items: list, parts: int) -> list[list]:
    """`items` in up to `parts` contiguous, nearly equal, non-empty shares."""
    k = max(1, min(parts, len(items)))
    bounds = [round(i * len(items) / k) for i in range(k + 1)]
    return [items[bounds[i] : bounds[i + 1]] for i in range(k)]


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """One pool per process for `Model.threads`; callers compute their own first share, so a
    full pool only queues work, it never deadlocks."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="inference")


def _paths(path: str | Path) -> tuple[Path, Path]:
    """`artifacts/cnn`, `artifacts/cnn.json` or `artifacts/cnn.npz` → (card, weights)."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in {".json", ".npz"} else path
    return stem.with_suffix(".json"), stem.with_suffix(".npz")


def save_model(model: Model, path: str | Path) -> Path:
    """Write weights and card; the card records the weights' SHA-256. Returns the card path."""
    card_path, weights_path = _paths(path)
    card_path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"m{i}/{key}": value for i, net in enumerate(model.members) for key, value in net.weights().items()}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    blob = buffer.getvalue()
    weights_path.write_bytes(blob)
    digest = hashlib.sha256(blob).hexdigest()
    model.card.update(
        {
            "weights_file": weights_path.name,
            "weights_sha256": digest,
            "labels": model.labels,
            "members": [{**m, "spec": net.spec} for m, net in zip(_member_cards(model), model.members, strict=True)],
        }
    )
    model.card.setdefault("version", f"{str(model.card.get('created', ''))[:10]}.{digest[:8]}".lstrip("."))
    card_path.write_text(json.dumps(model.card, indent=1) + "\n")
    return card_path


def _member_cards(model: Model) -> list[dict]:
    existing = model.card.get("members") or []
    return [dict(existing[i]) if i < len(existing) else {} for i in range(len(model.members))]


def resolve(path: str | Path | None) -> Path:
    """None → the shipped default; a bare name (`mlp`) → that model in artifacts/."""
    if path is None:
        path = DEFAULT_MODEL
    path = Path(path)
    if not path.parent.parts and path.suffix == "":
        path = ARTIFACTS_DIR / path
    return _paths(path)[0]


def load_model(path: str | Path | None = None) -> Model:
    """Load a saved model, verifying the weights' checksum and every array's shape."""
    card_path, _ = _paths(resolve(path))
    try:
        card = json.loads(card_path.read_text())
    except FileNotFoundError as exc:
        raise ModelLoadError(f"no model card at {card_path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model card {card_path} is unreadable: {exc}") from exc
    if not isinstance(card, dict) or not {"weights_file", "weights_sha256", "labels", "members"} <= set(card):
        raise ModelLoadError(f"{card_path} is not a model card (weights_file, weights_sha256, labels, members)")
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
    for i, member in enumerate(card["members"]):
        prefix = f"m{i}/"
        try:
            net = Sequential(member["spec"])
            net.set_weights({k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{card_path.name}, network {i}: {exc}") from exc
        if net.shapes[-1] != (len(card["labels"]),):
            raise ModelLoadError(f"network {i} has {net.shapes[-1]} outputs for {len(card['labels'])} labels")
        members.append(net)
    return Model(members, card["labels"], card)


def available_models(directory: str | Path = ARTIFACTS_DIR) -> list[str]:
    """Names of the model cards in a directory, the default first."""
    names = sorted(p.stem for p in Path(directory).glob("*.json"))
    return sorted(names, key=lambda n: n != DEFAULT_MODEL)
