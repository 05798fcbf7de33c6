"""`finetune`: continue training a shipped model on MNIST plus users' corrections, which
are untrusted: bounded in share and weight, filtered to the model's own labels, and
reported."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from .. import card as cards
from ..data.datasets import SPLIT_SEED, Dataset, load_mnist, read_corrections, train_val_split
from ..io import ModelLoadError, load_model, read_card, save_model
from ..model import Model
from .metrics import evaluate
from .train import deskewed, train
from .workflows import _config, _finish_and_save, command_line

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
        config = _config(args, args.seed + k)
        result = train(net.spec, combined, val_set, config, weights, not args.quiet, network=net)
        members.append(cards.member(result, config.seed))
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
        "config": _config(args, args.seed + len(base.members) - 1).to_dict(),
    }
    card = cards.finetuned(
        base.card,
        name=Path(args.out).name,
        command=command_line(args),
        members=members,
        finetune=finetune,
        parent=f"{base.name}@{base.version}",
    )
    model = Model(base.members, base.labels, card)
    path, report = _finish_and_save(model, args.out, test_set, val_set)
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
