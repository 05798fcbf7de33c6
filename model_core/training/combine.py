"""`combine`: several trained models (or chosen networks of them) of one label set averaged
into an ensemble."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import card as cards
from ..data.datasets import load_mnist, train_val_split
from ..io import HALF, load_model, round_to_half
from ..model import Model
from .workflows import _finish_and_save, command_line


def _combine_part(arg: str) -> tuple[Model, list[int]]:
    """`PATH` or `PATH@A-B[,C-D…]`: networks A to B of that model, counted from 1."""
    path, _, picks = arg.partition("@")
    model = load_model(path)
    count = len(model.members)
    if not picks:
        return model, list(range(count))
    try:
        bounds = [tuple(int(n) for n in part.split("-", 1)) for part in picks.split(",")]
        chosen = [i - 1 for b in bounds for i in range(b[0], b[-1] + 1)]
    except ValueError:
        raise ValueError(f"{arg}: after @ give network numbers such as 1-9 or 1,3-4") from None
    if not chosen or min(chosen) < 0 or max(chosen) >= count:
        raise ValueError(f"{arg}: {path} has networks 1 to {count}")
    return model, chosen


def combine_command(args: argparse.Namespace) -> int:
    """Average several trained models (or chosen networks of them) of one label set into an
    ensemble. Its validation accuracy is reported only if every network was trained on the
    same split with the same images held out; otherwise there is no image none of them saw."""
    try:
        parts = [_combine_part(arg) for arg in args.models]
    except (ValueError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    models = [model for model, _ in parts]
    if any(m.labels != models[0].labels for m in models):
        print("models disagree on their labels", file=sys.stderr)
        return 2
    if any(m.deskews != models[0].deskews for m in models):
        print("models disagree on deskewing their inputs: they cannot share one input", file=sys.stderr)
        return 2
    full, test_set = load_mnist("train", args.data), load_mnist("test", args.data)
    members = [m for model, chosen in parts for m in cards.part_members(model.card, chosen)]
    commands = [cards.member_commands(model.card)[i] for model, chosen in parts for i in chosen]
    card = cards.combined(Path(args.out).name, models[0].card, members, commands, command_line(args), len(full))
    networks = [model.members[i] for model, chosen in parts for i in chosen]
    if args.float16:
        card["weights_storage"] = HALF
        round_to_half(networks)
    model = Model(networks, models[0].labels, card)
    split = cards.shared_split(members)
    val_set = train_val_split(full, split["validation_size"], split["split_seed"])[1] if split else None
    path, report = _finish_and_save(model, args.out, test_set, val_set)
    print(
        f"saved {path}  ({len(model.members)} networks)  validation {model.card['metrics']['validation_accuracy']}  "
        f"test accuracy {report['accuracy'] * 100:.2f}%"
    )
    return 0
