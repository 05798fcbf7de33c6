"""`python -m model_core train | combine | evaluate | finetune`."""

from __future__ import annotations

import argparse
import hashlib
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import __version__
from .augment import NO_AUGMENTATION, AugmentConfig
from .data import Dataset, load_mnist, read_csv, train_val_split
from .io import Model, load_model, save_model
from .metrics import classification_report, format_report
from .network import ARCHITECTURES, architecture
from .preprocess import deskew, to_uint8
from .train import TrainConfig, as_float_images, train


def command_line(args: argparse.Namespace) -> str:
    """The command that ran, for the model card (also when `main` was called from Python)."""
    return "python -m model_core " + " ".join(shlex.quote(a) for a in args.argv)


def evaluate(model: Model, dataset: Dataset) -> dict:
    predictions = model.predict(as_float_images(dataset.images))
    return classification_report(dataset.labels, predictions, model.labels)


def deskewed(dataset: Dataset) -> Dataset:
    """The same digits, each sheared upright (see `preprocess.deskew`)."""
    images = to_uint8(deskew(as_float_images(dataset.images)))
    return Dataset(images, dataset.labels, dataset.label_names, dataset.checksums)


def base_card(
    name: str, arch: str, train_set: Dataset, val_set: Dataset, test_set: Dataset, deskew_inputs: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "architecture": arch,
        "input": {"deskew": deskew_inputs},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": {
            "name": "MNIST",
            "checksums_md5": {**train_set.checksums, **test_set.checksums},
            "train_size": len(train_set),
            "validation_size": len(val_set),
            "test_size": len(test_set),
        },
        "versions": {"model_core": __version__, "python": platform.python_version(), "numpy": np.__version__},
    }


def finish_card(model: Model, test_set: Dataset) -> dict:
    """Describe the layers, count the parameters and add the final test-set report."""
    first = model.members[0]
    model.card["layers"] = first.describe()
    model.card["parameter_count"] = sum(net.parameter_count for net in model.members)
    model.card["metrics"] = {"test": evaluate(model, test_set)}
    return model.card["metrics"]["test"]


def _config(args: argparse.Namespace, seed: int) -> TrainConfig:
    return TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        label_smoothing=args.label_smoothing,
        patience=args.patience,
        seed=seed,
        augmentation=NO_AUGMENTATION if args.no_augment else AugmentConfig(),
    )


def cmd_train(args: argparse.Namespace) -> int:
    full = load_mnist("train", args.data)
    test_set = load_mnist("test", args.data)
    train_set, val_set = train_val_split(full, args.val_size, seed=args.split_seed)
    if args.limit:
        train_set = train_set.subset(slice(0, args.limit))
    if args.deskew:  # the model card says so, and the model deskews whatever it is given
        train_set, val_set = deskewed(train_set), deskewed(val_set)
    spec = architecture(args.arch, len(full.label_names))
    members, member_cards = [], []
    for k in range(args.members):
        seed = args.seed + k
        result = train(spec, train_set, val_set, _config(args, seed), progress=not args.quiet)
        members.append(result.network)
        member_cards.append(
            {
                "seed": seed,
                "best_epoch": result.best_epoch,
                "validation_accuracy": result.best_val_accuracy,
                "seconds": round(result.seconds, 1),
                "history": result.history,
            }
        )
    name = Path(args.out).name
    model = Model(members, full.label_names, base_card(name, args.arch, train_set, val_set, test_set, args.deskew))
    model.card["training"] = {
        "command": command_line(args),
        "seed": args.seed,
        "split_seed": args.split_seed,
        "config": _config(args, args.seed).to_dict(),
        "history": member_cards[0]["history"],
    }
    model.card["members"] = member_cards
    ensemble_val = evaluate(model, val_set)["accuracy"] if len(val_set) else None
    report = finish_card(model, test_set)
    model.card["metrics"]["validation_accuracy"] = ensemble_val
    path = save_model(model, args.out)
    print(f"saved {path}  validation {ensemble_val}  test accuracy {report['accuracy'] * 100:.2f}%")
    return 0


class _Part(NamedTuple):
    """Networks picked from one saved model for `combine`, with what their cards say."""

    model: Model
    networks: list
    cards: list[dict]  # each network's own entry, with the split it was trained on
    commands: list[str | None]


def _combine_part(arg: str) -> _Part:
    """`PATH` or `PATH@A-B[,C-D…]`: networks A to B of that model, counted from 1."""
    path, _, picks = arg.partition("@")
    model = load_model(path)
    count = len(model.members)
    training = model.card.get("training", {})
    commands = training.get("member_commands") or [training.get("command")] * count
    chosen = list(range(count))
    if picks:
        try:
            bounds = [tuple(int(n) for n in part.split("-", 1)) for part in picks.split(",")]
            chosen = [i - 1 for b in bounds for i in range(b[0], b[-1] + 1)]
        except ValueError:
            raise ValueError(f"{arg}: after @ give network numbers such as 1-9 or 1,3-4") from None
        if not chosen or min(chosen) < 0 or max(chosen) >= count:
            raise ValueError(f"{arg}: {path} has networks 1 to {count}")
    dataset = model.card.get("dataset", {})
    split = {
        "train_size": dataset.get("train_size"),
        "validation_size": dataset.get("validation_size"),
        "split_seed": training.get("split_seed"),
    }
    arch = {"architecture": model.card.get("architecture")}
    # A network that came from an earlier `combine` already carries its own split.
    cards = [{**split, **arch, **model.card["members"][i]} for i in chosen]
    return _Part(model, [model.members[i] for i in chosen], cards, [commands[i] for i in chosen])


def cmd_combine(args: argparse.Namespace) -> int:
    """Average several trained models (or chosen networks of them) of one label set into an
    ensemble. Its validation accuracy is reported only if every network was trained on the
    same split with the same images held out; otherwise there is no image none of them saw."""
    try:
        parts = [_combine_part(arg) for arg in args.models]
    except (ValueError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    models = [p.model for p in parts]
    if any(m.labels != models[0].labels for m in models):
        print("models disagree on their labels", file=sys.stderr)
        return 2
    if any(m.deskews != models[0].deskews for m in models):
        print("models disagree on deskewing their inputs: they cannot share one input", file=sys.stderr)
        return 2
    test_set = load_mnist("test", args.data)
    full = load_mnist("train", args.data)
    first = models[0].card
    split_keys = ("train_size", "validation_size", "split_seed")
    splits = [{k: card.get(k) for k in split_keys} for p in parts for card in p.cards]
    shared_split = splits[0]["validation_size"] and all(s == splits[0] for s in splits)
    card = {k: first[k] for k in ("input", "dataset", "versions") if k in first}
    card["architecture"] = "+".join(dict.fromkeys(str(c["architecture"]) for p in parts for c in p.cards))
    if shared_split:
        held_out = {k: splits[0][k] for k in ("train_size", "validation_size")}
    else:  # as an ensemble it has no held-out images: say so
        held_out = {"train_size": len(full), "validation_size": 0}
    card["dataset"] = {**card.get("dataset", {}), **held_out}
    card.update(
        {
            "name": Path(args.out).name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "training": {
                **first.get("training", {}),
                "combine_command": command_line(args),
                "member_commands": [c for p in parts for c in p.commands],
            },
            "members": [m for p in parts for m in p.cards],
        }
    )
    model = Model([net for p in parts for net in p.networks], models[0].labels, card)
    report = finish_card(model, test_set)
    validation = None
    if shared_split:
        _, val_set = train_val_split(full, splits[0]["validation_size"], splits[0]["split_seed"])
        validation = evaluate(model, val_set)["accuracy"]
    model.card["metrics"]["validation_accuracy"] = validation
    path = save_model(model, args.out)
    print(
        f"saved {path}  ({len(model.members)} networks)  validation {validation}  "
        f"test accuracy {report['accuracy'] * 100:.2f}%"
    )
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    """Continue training a shipped model on MNIST plus user corrections (weighted up)."""
    base = load_model(args.base)
    extra_images, extra_codes = read_csv(args.extra)
    try:
        extra_labels = np.array([base.labels.index(str(code)) for code in extra_codes], dtype=np.int64)
    except ValueError:
        print(f"{args.extra}: a label is not one of the model's labels {base.labels}", file=sys.stderr)
        return 2
    full = load_mnist("train", args.data)
    test_set = load_mnist("test", args.data)
    split = base.card.get("training", {})
    train_set, val_set = train_val_split(full, base.card["dataset"]["validation_size"], split.get("split_seed", 1234))
    if args.limit:
        train_set = train_set.subset(slice(0, args.limit))
    if base.deskews:
        train_set, val_set = deskewed(train_set), deskewed(val_set)
        extra_images = to_uint8(deskew(as_float_images(extra_images)))
    combined = Dataset(
        np.concatenate([train_set.images, extra_images]),
        np.concatenate([train_set.labels, extra_labels]),
        base.labels,
        train_set.checksums,
    )
    weights = np.concatenate([np.ones(len(train_set)), np.full(len(extra_labels), args.extra_weight)])
    config = _config(args, args.seed)
    members = []
    for k, net in enumerate(base.members):
        config.seed = args.seed + k
        result = train(net.spec, combined, val_set, config, weights.astype(np.float32), not args.quiet, network=net)
        members.append(
            {
                "seed": config.seed,
                "best_epoch": result.best_epoch,
                "validation_accuracy": result.best_val_accuracy,
                "history": result.history,
            }
        )
    card = {k: v for k, v in base.card.items() if k not in {"version", "metrics", "weights_sha256", "weights_file"}}
    card.update(
        {
            "name": Path(args.out).name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "parent": f"{base.name}@{base.version}",
            "members": members,
            "training": {
                **split,
                "command": command_line(args),
                "history": members[0]["history"],
                "finetune": {
                    "base": f"{base.name}@{base.version}",
                    "extra_file": Path(args.extra).name,
                    "extra_md5": hashlib.md5(Path(args.extra).read_bytes()).hexdigest(),
                    "extra_samples": int(len(extra_labels)),
                    "extra_weight": args.extra_weight,
                    "config": config.to_dict(),
                },
            },
        }
    )
    model = Model(base.members, base.labels, card)
    report = finish_card(model, test_set)
    model.card["metrics"]["validation_accuracy"] = evaluate(model, val_set)["accuracy"]
    path = save_model(model, args.out)
    before = base.card["metrics"]["test"]["accuracy"]
    print(f"saved {path}: test accuracy {report['accuracy'] * 100:.2f}% (parent {before * 100:.2f}%)")
    if args.promote:
        if report["accuracy"] >= before:
            save_model(
                Model(model.members, model.labels, {**model.card, "name": Path(args.promote).name}), args.promote
            )
            print(f"promoted to {args.promote}: not worse on the MNIST test set")
        else:
            print(f"not promoted: {report['accuracy'] * 100:.2f}% < {before * 100:.2f}% on the MNIST test set")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    report = evaluate(model, load_mnist(args.split, args.data))
    print(f"model {model.name} ({model.version}), MNIST {args.split} split")
    print(format_report(report))
    return 0


def training_options(p: argparse.ArgumentParser, epochs: int, lr: float, schedule: str) -> None:
    """The options `train` and `finetune` share (they differ only in defaults)."""
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--optimizer", choices=["adamw", "sgd"], default="adamw")
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--weight-decay", type=float, default=1e-2)
    p.add_argument("--schedule", choices=["onecycle", "cosine"], default=schedule)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--patience", type=int, default=0, help="stop after this many epochs without validation gain")
    p.add_argument("--limit", type=int, default=0, help="use only this many MNIST training images (quick runs)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--quiet", action="store_true")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m model_core", description=__doc__)
    p.add_argument("--data", default=None, help="directory holding the MNIST IDX files (default: data/mnist)")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model on MNIST and write weights + model card")
    t.add_argument("--arch", choices=sorted(ARCHITECTURES), default="cnn")
    t.add_argument("--out", required=True, help="output path without extension, e.g. artifacts/cnn")
    t.add_argument(
        "--members", type=int, default=1, help="train this many networks (seeds seed, seed+1, …) as an ensemble"
    )
    t.add_argument("--val-size", type=int, default=5000, help="images held out of the training set for selection")
    t.add_argument("--split-seed", type=int, default=1234)
    t.add_argument(
        "--deskew", action="store_true", help="train on deskewed digits; the model then deskews its inputs itself"
    )
    training_options(t, epochs=15, lr=3e-3, schedule="onecycle")
    t.set_defaults(func=cmd_train)

    f = sub.add_parser("finetune", help="continue training on MNIST plus corrections (CSV: label, 784 pixels)")
    f.add_argument("--base", default="cnn", help="model to start from (path or name in artifacts/)")
    f.add_argument("--extra", required=True, help="MNIST-style CSV, e.g. from /api/feedback/export/")
    f.add_argument("--extra-weight", type=float, default=5.0, help="loss weight of each correction vs an MNIST image")
    f.add_argument("--out", required=True)
    f.add_argument("--promote", default=None, help="also write here, but only if not worse on the MNIST test set")
    training_options(f, epochs=2, lr=3e-4, schedule="cosine")
    f.set_defaults(func=cmd_finetune)

    c = sub.add_parser("combine", help="average trained models into one ensemble model")
    c.add_argument("models", nargs="+")
    c.add_argument("--out", required=True)
    c.set_defaults(func=cmd_combine)

    e = sub.add_parser("evaluate", help="accuracy, per-class precision/recall and confusion matrix")
    e.add_argument("--model", default=None, help="model path or name in artifacts/ (default: the shipped cnn)")
    e.add_argument("--split", choices=["test", "train"], default="test")
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    args.argv = argv
    if args.data is None:
        from .data import MNIST_DIR

        args.data = MNIST_DIR
    return args.func(args)
