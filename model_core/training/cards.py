"""What training writes into a model card (model_core.card says what a card holds and reads
it): a new card, a network's entry, the training record, the metrics, and the cards of
combined and fine-tuned models."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..card import DIGIT_LABELS_METHOD, UNCALIBRATED, model_split, shared_split
from ..data.datasets import Dataset
from ..version import __version__


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- Builders ----------------------------------------------------------------------------


def new(name: str, architecture: str, train_set: Dataset, val_set: Dataset, test_set: Dataset, deskew: bool) -> dict:
    """The card of a model about to be trained: what it is and what it is trained on."""
    return {
        "name": name,
        "architecture": architecture,
        "alphabet": "digits",
        "input": {"deskew": deskew},
        "created": now(),
        "dataset": {
            "name": "MNIST",
            "checksums_md5": {**train_set.checksums, **test_set.checksums},
            "train_size": len(train_set),
            "validation_size": len(val_set),
            "test_size": len(test_set),
        },
        "versions": {"model_core": __version__, "python": platform.python_version(), "numpy": np.__version__},
    }


def characters(card: dict, *, class_weights: str) -> None:
    """Mark a new card as the characters model's: EMNIST's data, its recipe, and "a digit"
    meaning that the best of its labels is one of the ten digits."""
    card["dataset"]["name"] = "EMNIST ByMerge (NIST SD 19), 47 classes, fixed 70/15/15 split"
    card["dataset"]["checksums_sha256"] = card["dataset"].pop("checksums_md5")
    card["dataset"]["class_weights"] = class_weights
    card["input"]["recipe"] = "emnist"
    card["alphabet"] = "characters"
    card["not_a_digit"] = {**UNCALIBRATED, "method": DIGIT_LABELS_METHOD}


def member(result: Any, seed: int, **extra: Any) -> dict:
    """One trained network's entry (`result` a train.TrainResult)."""
    return {
        **extra,
        "seed": seed,
        "best_epoch": result.best_epoch,
        "validation_accuracy": result.best_val_accuracy,
        "seconds": round(result.seconds, 1),
        "history": result.history,
    }


def record_training(card: dict, *, command: str, seed: int, split_seed: int, config: dict, members: list[dict]) -> None:
    card["training"] = {
        "command": command,
        "seed": seed,
        "split_seed": split_seed,
        "config": config,
        "history": members[0]["history"],
    }
    card["members"] = members


def finish(card: dict, networks: list, test_report: dict, validation_accuracy: float | None) -> None:
    """Describe the layers, count the parameters, and record the metrics."""
    card["layers"] = networks[0].describe()
    card["parameter_count"] = sum(net.parameter_count for net in networks)
    card["metrics"] = {"test": test_report, "validation_accuracy": validation_accuracy}


def part_members(card: dict, chosen: list[int]) -> list[dict]:
    """Entries of the chosen networks of a saved model, each carrying the split it trained on
    and its architecture (a network that came from an earlier `combine` already has both)."""
    inherited = {**model_split(card), "architecture": card.get("architecture")}
    return [{**inherited, **card["members"][i]} for i in chosen]


def member_commands(card: dict) -> list[str | None]:
    """The command that trained each network."""
    training = card.get("training", {})
    return training.get("member_commands") or [training.get("command")] * len(card["members"])


def combined(
    name: str, first: dict, members: list[dict], commands: list[str | None], command: str, training_images: int
) -> dict:
    """The card of an ensemble of networks from several models (`first` the first model's card).
    Its dataset says the shared split when every network held out the same images; otherwise,
    as an ensemble, it held out none of the `training_images`."""
    card = {k: first[k] for k in ("alphabet", "input", "dataset", "versions") if k in first}
    card["architecture"] = "+".join(dict.fromkeys(str(m["architecture"]) for m in members))
    split = shared_split(members)
    held_out = {"train_size": training_images, "validation_size": 0}
    if split:
        held_out = {k: split[k] for k in ("train_size", "validation_size")}
    card["dataset"] = {**card.get("dataset", {}), **held_out}
    card.update(
        {
            "name": name,
            "created": now(),
            "training": {**first.get("training", {}), "combine_command": command, "member_commands": commands},
            "members": members,
        }
    )
    return card


def finetuned(base: dict, *, name: str, command: str, members: list[dict], finetune: dict, parent: str) -> dict:
    """The card of a model fine-tuned from `base` (its split kept, its metrics to be redone)."""
    card = {k: v for k, v in base.items() if k not in {"version", "metrics", "weights_sha256", "weights_file"}}
    card.update(
        {
            "name": name,
            "created": now(),
            "parent": parent,
            "members": members,
            "training": {
                **base.get("training", {}),
                "command": command,
                "history": members[0]["history"],
                "finetune": finetune,
            },
        }
    )
    return card


def line_card(name: str, config: Any, run: Any, command: str, train_lines: int, labels: list[str]) -> dict:
    """The card of a line network (`run` a training.lines.LineRun): it reads numbers whole, with
    CTC's blank as class 0 before its labels. Shaped as every card is: a member's best_epoch is
    the validation point kept (one every validate_every steps), its validation_accuracy that
    point's exact lines; metrics.test is benchmarks/read.py's to record (--lines --split test
    --record), empty until then."""
    point = run.best[1] // max(1, config.validate_every)
    alphabet = getattr(config, "alphabet", "digits")
    source = {
        "digits": "written lines composed of MNIST's and EMNIST's digits (docs/lines.md)",
        "characters": "written words, names and codes composed of EMNIST's 47 characters (docs/lines.md, "
        "Lines of words)",
    }[alphabet]
    return {
        "name": name,
        "architecture": f"line-{config.width}",
        "alphabet": alphabet,
        "reader": "line",
        "input": {"recipe": "mnist" if alphabet == "digits" else "emnist", "line_height": 32},
        "created": now(),
        "ctc": {"blank": 0, "confidence": [1.0, 0.0]},
        "dataset": {
            "name": source,
            "train_size": train_lines,
            "validation_size": config.validation_size,
            "test_size": 0,
        },
        "versions": {"model_core": __version__, "python": platform.python_version(), "numpy": np.__version__},
        "training": {
            "command": command,
            "seed": config.seed,
            "config": config.to_dict(),
            "history": [],
            "steps": run.step,
            "minutes": round(run.seconds / 60, 1),
            "curve": run.curve,
        },
        "metrics": {
            "validation_accuracy": run.best[0],
            "test": {"accuracy": 0.0, "samples": 0, "per_class": [], "confusion_matrix": []},
        },
        "members": [
            {
                "architecture": f"line-{config.width}",
                "seed": config.seed,
                "best_epoch": point,
                "validation_accuracy": run.best[0],
                "history": [],
            }
        ],
        "not_a_digit": {"method": "line", "threshold": 0.0, "temperature": 1.0},
        "labels": labels,
        "layers": run.net.describe(),
        "parameter_count": run.net.parameter_count,
    }
