"""What `combine` and `finetune` do, given their parsed arguments: several trained models (or
chosen networks of them) averaged into an ensemble; a shipped model trained on MNIST plus
users' corrections, which are untrusted (bounded in share and weight, filtered to the model's
own labels, reported)."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from .. import card as cards
from ..data.datasets import SPLIT_SEED, Dataset, load_mnist, read_corrections, train_val_split
from ..model import Model
from ..saved import HALF, load_model, round_to_half, save_model
from ..training import cards as new_cards
from ..training.finetune import correction_labels, same_labels
from ..training.metrics import evaluate
from ..training.train import deskewed, train
from .training import command_line, finish_and_save, train_config


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
    members = [m for model, chosen in parts for m in new_cards.part_members(model.card, chosen)]
    commands = [new_cards.member_commands(model.card)[i] for model, chosen in parts for i in chosen]
    card = new_cards.combined(Path(args.out).name, models[0].card, members, commands, command_line(args), len(full))
    networks = [model.members[i] for model, chosen in parts for i in chosen]
    if args.float16:
        card["weights_storage"] = HALF
        round_to_half(networks)
    model = Model(networks, models[0].labels, card)
    split = cards.shared_split(members)
    val_set = train_val_split(full, split["validation_size"], split["split_seed"])[1] if split else None
    path, report = finish_and_save(model, args.out, test_set, val_set)
    print(
        f"saved {path}  ({len(model.members)} networks)  validation {model.card['metrics']['validation_accuracy']}  "
        f"test accuracy {report['accuracy'] * 100:.2f}%"
    )
    return 0


def finetune_command(args: argparse.Namespace) -> int:
    """Continue training a shipped model on MNIST plus user corrections. Corrections are
    untrusted: they weigh like any MNIST image unless told otherwise, make at most
    --max-extra-share of what is trained on, and what was used is reported and recorded."""
    base = load_model(args.base)
    extra_images, extra_codes, extra_models = read_corrections(args.extra)
    ours = same_labels(base, extra_models)
    other_models = int((~ours).sum())
    extra_images, extra_codes = extra_images[ours], [code for code, keep in zip(extra_codes, ours, strict=True) if keep]
    try:
        extra_labels = correction_labels(extra_codes, base.labels, base.outputs)
    except ValueError:
        print(f"{args.extra}: a label is neither -1 nor one of the model's labels {base.labels}", file=sys.stderr)
        return 2
    usable = extra_labels >= 0
    dropped = int((~usable).sum())
    extra_images, extra_labels = extra_images[usable], extra_labels[usable]
    full, test_set = load_mnist("train", args.data), load_mnist("test", args.data)
    split = cards.model_split(base.card)
    train_set, val_set = train_val_split(full, split["validation_size"], split["split_seed"] or SPLIT_SEED)
    if args.limit:
        train_set = train_set.subset(slice(0, args.limit))
    cap = int(args.max_extra_share * len(train_set) / (1 - args.max_extra_share))
    capped = max(0, len(extra_labels) - cap)
    extra = Dataset(extra_images[:cap], extra_labels[:cap], base.labels)
    print(
        f"corrections: {len(extra)} used (weight {args.extra_weight}), {other_models} for a model with other "
        f"labels left out, {dropped} 'not a digit' dropped (this model has no such output), {capped} over the "
        f"{args.max_extra_share:.0%} share left out"
    )
    if base.deskews:
        train_set, val_set, extra = deskewed(train_set), deskewed(val_set), deskewed(extra)
    combined = Dataset(
        np.concatenate([train_set.images, extra.images]),
        np.concatenate([train_set.labels, extra.labels]),
        base.labels,
        train_set.checksums,
    )
    weights = np.concatenate([np.ones(len(train_set)), np.full(len(extra), args.extra_weight)]).astype(np.float32)
    members = []
    for k, net in enumerate(base.members):
        config = train_config(args, args.seed + k)
        result = train(net.spec, combined, val_set, config, weights, not args.quiet, network=net)
        members.append(new_cards.member(result, config.seed))
    finetune = {
        "base": f"{base.name}@{base.version}",
        "extra_file": Path(args.extra).name,
        "extra_md5": hashlib.md5(Path(args.extra).read_bytes()).hexdigest(),
        "extra_samples": int(len(extra)),
        "extra_dropped": {
            "for_a_model_with_other_labels": other_models,
            "not_a_digit_without_an_output": dropped,
            "over_the_share": capped,
        },
        "extra_weight": args.extra_weight,
        "config": train_config(args, args.seed + len(base.members) - 1).to_dict(),
    }
    card = new_cards.finetuned(
        base.card,
        name=Path(args.out).name,
        command=command_line(args),
        members=members,
        finetune=finetune,
        parent=f"{base.name}@{base.version}",
    )
    model = Model(base.members, base.labels, card)
    path, report = finish_and_save(model, args.out, test_set, val_set)
    # Promotion is a model choice, so it reads validation (the same held-out images for both),
    # never the test set, which is reported once.
    after, before = model.card["metrics"]["validation_accuracy"], evaluate(base, val_set)["accuracy"]
    test = report["accuracy"] * 100
    print(f"saved {path}: validation {after * 100:.2f}% (parent {before * 100:.2f}%), test {test:.2f}%")
    if args.promote:
        if after >= before:
            save_model(
                Model(model.members, model.labels, {**model.card, "name": Path(args.promote).name}), args.promote
            )
            print(f"promoted to {args.promote}: not worse on validation")
        else:
            print(f"not promoted: {after * 100:.2f}% < {before * 100:.2f}% on validation")
    return 0
