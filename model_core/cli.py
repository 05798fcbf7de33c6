"""`python -m model_core train | combine | finetune | distill | calibrate | evaluate`: argparse, then calls."""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from . import __version__, batch
from . import card as cards
from .data.augment import NO_AUGMENTATION, AugmentConfig
from .data.datasets import (
    MNIST_DIR,
    SPLIT_SEED,
    VALIDATION_SIZE,
    Dataset,
    load_mnist,
    read_corrections,
    train_val_split,
)
from .data.emnist import load_characters
from .data.negatives import negatives, plain_digits
from .io import HALF, ModelLoadError, load_model, read_card, resolve, round_to_half, save_card, save_model
from .model import Model
from .nn.network import ARCHITECTURES, architecture
from .training.calibrate import calibrate
from .training.distill import epoch_sets, transfer_copy
from .training.metrics import evaluate, format_report
from .training.train import TrainConfig, class_weights, deskewed, train


def command_line(args: argparse.Namespace) -> str:
    """The command that ran, for the model card (also when `main` was called from Python)."""
    return "python -m model_core " + " ".join(shlex.quote(a) for a in args.argv)


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


def _finish_and_save(model: Model, out: str, test_set: Dataset, val_set: Dataset | None) -> tuple[Path, dict]:
    """Record the metrics on the model's card and write it; returns (card path, test report)."""
    report = evaluate(model, test_set)
    validation = evaluate(model, val_set)["accuracy"] if val_set is not None and len(val_set) else None
    cards.finish(model.card, model.members, report, validation)
    return save_model(model, out), report


def _training_data(args: argparse.Namespace) -> tuple[Dataset, Dataset, Dataset]:
    """(train, validation, test) of the chosen dataset: MNIST with a seeded hold-out of its
    training set, or EMNIST's characters by their fixed split."""
    if args.dataset == "characters":
        return load_characters("train"), load_characters("validation"), load_characters("test")
    full, test_set = load_mnist("train", args.data), load_mnist("test", args.data)
    return (*train_val_split(full, args.val_size, seed=args.split_seed), test_set)


def cmd_train(args: argparse.Namespace) -> int:
    train_set, val_set, test_set = _training_data(args)
    if args.limit:
        train_set = train_set.subset(slice(0, args.limit))
    if args.deskew:  # the model card says so, and the model deskews whatever it is given
        train_set, val_set = deskewed(train_set), deskewed(val_set)
    labels = train_set.label_names
    weights = class_weights(train_set.labels, len(labels)) if args.class_weights == "balanced" else None
    spec = architecture(args.arch, len(labels))
    results = [
        train(spec, train_set, val_set, _config(args, args.seed + k), weights, progress=not args.quiet)
        for k in range(args.members)
    ]
    card = cards.new(Path(args.out).name, args.arch, train_set, val_set, test_set, args.deskew)
    if args.dataset == "characters":
        cards.characters(card, class_weights=args.class_weights)
    members = [cards.member(result, args.seed + k) for k, result in enumerate(results)]
    config = _config(args, args.seed).to_dict()
    cards.record_training(
        card, command=command_line(args), seed=args.seed, split_seed=args.split_seed, config=config, members=members
    )
    model = Model([r.network for r in results], labels, card)
    path, report = _finish_and_save(model, args.out, test_set, val_set)
    validation = model.card["metrics"]["validation_accuracy"]
    print(f"saved {path}  validation {validation}  test accuracy {report['accuracy'] * 100:.2f}%")
    return 0


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


def cmd_combine(args: argparse.Namespace) -> int:
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


def cmd_finetune(args: argparse.Namespace) -> int:
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


def cmd_distill(args: argparse.Namespace) -> int:
    """Distil a teacher (the ensemble) into one network that also learns "not a digit" from
    generated negatives; then choose its temperature and threshold on validation."""
    teacher = load_model(args.teacher)
    full, test_set = load_mnist("train", args.data), load_mnist("test", args.data)
    split = cards.model_split(teacher.card)
    train_set, val_set = train_val_split(full, split["validation_size"], split["split_seed"])
    if args.limit:
        train_set = train_set.subset(slice(0, args.limit))
    copies = [
        transfer_copy(teacher, train_set, k, args.transfer_seed, Path(args.cache), not args.quiet)
        for k in range(args.copies)
    ]
    negative_images, kinds = negatives(args.negatives, args.seed, train_set.images)
    plain = plain_digits(args.plain_digits, args.seed + 1)
    labels = full.label_names
    spec = architecture(args.arch, len(labels) + 1)  # the labels, and "not a digit"
    config = _config(args, args.seed)
    config.distill_alpha, config.distill_temperature = args.alpha, args.temperature
    sets = epoch_sets(copies, plain, negative_images, args.negatives_per_epoch, len(labels), args.seed)
    result = train(spec, train_set, val_set, config, progress=not args.quiet, epoch_sets=sets)
    card = cards.new(Path(args.out).name, args.arch, train_set, val_set, test_set, deskew=False)
    cards.record_training(
        card,
        command=command_line(args),
        seed=args.seed,
        split_seed=split["split_seed"],
        config=config.to_dict(),
        members=[cards.member(result, args.seed, architecture=args.arch)],
    )
    card["distillation"] = {
        "teacher": f"{teacher.name}@{teacher.version}",
        "transfer_copies": args.copies,
        "transfer_seed": args.transfer_seed,
        "negatives": {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)},
        "negatives_per_epoch": args.negatives_per_epoch,
        "plain_digits": args.plain_digits,
    }
    card["not_a_digit"] = {**cards.UNCALIBRATED, "method": cards.CLASS_METHOD}
    model = Model([result.network], labels, card)
    save_model(model, args.out)  # the trained network is safe on disk before anything else runs
    card["not_a_digit"] = calibrate(model, cards.CLASS_METHOD, redrawn=args.calibration_digits)
    path, report = _finish_and_save(model, args.out, test_set, val_set)
    rule = card["not_a_digit"]
    print(
        f"saved {path}  validation {card['metrics']['validation_accuracy']}  temperature {rule['temperature']:.3f}  "
        f"threshold {rule['threshold']:.4f}  validation negatives flagged {rule['validation']['negatives_flagged']:.4f}"
    )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Choose a trained model's temperature and "not a digit" threshold on validation, and
    write them into its card (the weights, and so the version, stay as they are)."""
    model = load_model(args.model)
    if args.gate:  # "not a digit" from that model's own output; the temperature stays this model's
        gate = load_model(resolve(args.model).parent / args.gate)
        if gate.labels != model.labels or cards.not_a_digit(gate.card)["method"] != cards.CLASS_METHOD:
            print(f"{args.gate} must read the same labels and have its own 'not a digit' output", file=sys.stderr)
            return 2
        rule = cards.not_a_digit(model.card)
        model.card["not_a_digit"] = {
            "method": cards.GATE_METHOD,
            "gate": args.gate,
            "temperature": rule["temperature"],
            "chosen_on": f"the gate's own ({args.gate}): its threshold, chosen on validation",
        }
        path = save_card(model, resolve(args.model))
        print(f"{path}: 'not a digit' from {args.gate}@{gate.version}")
        return 0
    method = cards.not_a_digit(model.card)["method"]
    model.card["not_a_digit"] = calibrate(model, method, redrawn=args.calibration_digits)
    path = save_card(model, resolve(args.model)) if args.out is None else save_model(model, args.out)
    rule = model.card["not_a_digit"]
    print(f"{path}: {json.dumps({k: v for k, v in rule.items() if k != 'chosen_on'}, indent=1)}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Recognise image files, folders, globs and MNIST-style CSV files; one CSV row each."""
    try:
        inputs = batch.expand(args.paths)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    model = load_model(args.model)
    out = open(args.out, "w", newline="") if args.out else sys.stdout  # noqa: SIM115  (stdout is not ours to close)
    try:
        counts = batch.predict_all(model, inputs, out, workers=args.workers, progress=not args.quiet)
    finally:
        if args.out:
            out.close()
    print(
        f"{counts['images']} images in {counts['seconds']:.1f} s ({counts['images'] / counts['seconds']:.0f}/s): "
        f"{counts['not_a_digit']} not a digit, {counts['errors']} unreadable",
        file=sys.stderr,
    )
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
    p.add_argument("--version", action="version", version=f"model_core {__version__}")
    p.add_argument("--data", default=MNIST_DIR, help="directory holding the MNIST IDX files (default: data/mnist)")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model on MNIST (or EMNIST's characters) and write weights + model card")
    t.add_argument("--arch", choices=sorted(ARCHITECTURES), default="cnn")
    t.add_argument(
        "--dataset",
        choices=["mnist", "characters"],
        default="mnist",
        help="MNIST's digits, or EMNIST's 47 handwritten characters by their fixed split (data/emnist)",
    )
    t.add_argument(
        "--class-weights",
        choices=["none", "balanced"],
        default="none",
        help="balanced: each class's loss weighs as much in all as any other's (1 / its frequency)",
    )
    t.add_argument("--out", required=True, help="output path without extension, e.g. artifacts/cnn")
    t.add_argument(
        "--members", type=int, default=1, help="train this many networks (seeds seed, seed+1, …) as an ensemble"
    )
    t.add_argument(
        "--val-size", type=int, default=VALIDATION_SIZE, help="images held out of the training set for selection"
    )
    t.add_argument("--split-seed", type=int, default=SPLIT_SEED)
    t.add_argument(
        "--deskew", action="store_true", help="train on deskewed digits; the model then deskews its inputs itself"
    )
    training_options(t, epochs=15, lr=3e-3, schedule="onecycle")
    t.set_defaults(func=cmd_train)

    f = sub.add_parser("finetune", help="continue training on MNIST plus corrections (CSV: label, 784 pixels)")
    f.add_argument("--base", default="cnn", help="model to start from (path or name in artifacts/)")
    f.add_argument("--extra", required=True, help="MNIST-style CSV, e.g. from /api/feedback/export/")
    f.add_argument(
        "--extra-weight", type=float, default=1.0, help="loss weight of each correction against an MNIST image's"
    )
    f.add_argument("--max-extra-share", type=float, default=0.1, help="corrections make at most this share")
    f.add_argument("--out", required=True)
    f.add_argument("--promote", default=None, help="also write here, but only if not worse on validation")
    training_options(f, epochs=2, lr=3e-4, schedule="cosine")
    f.set_defaults(func=cmd_finetune)

    c = sub.add_parser("combine", help="average trained models into one ensemble model")
    c.add_argument("models", nargs="+")
    c.add_argument("--out", required=True)
    c.add_argument("--float16", action="store_true", help="store the weights at half precision (half the file)")
    c.set_defaults(func=cmd_combine)

    d = sub.add_parser("distill", help="one network from a teacher ensemble, which also learns 'not a digit'")
    d.add_argument("--teacher", default="ensemble", help="the ensemble to learn from (path or name in artifacts/)")
    d.add_argument("--arch", choices=sorted(ARCHITECTURES), default="cnn-deep")
    d.add_argument("--out", required=True)
    d.add_argument("--copies", type=int, default=8, help="transfer-set copies: the images, then augmented ones")
    d.add_argument("--cache", default="var/distill", help="where the teacher's probabilities are kept")
    d.add_argument("--transfer-seed", type=int, default=7, help="seeds the augmented copies (students may share them)")
    d.add_argument("--alpha", type=float, default=0.5, help="the teacher's share of the loss")
    d.add_argument("--temperature", type=float, default=3.0, help="softening of both distributions")
    d.add_argument("--negatives", type=int, default=30000, help="generated negatives in the pool")
    d.add_argument("--negatives-per-epoch", type=int, default=15000)
    d.add_argument("--plain-digits", type=int, default=3000, help="plainly drawn 1s and 0s, which must stay digits")
    d.add_argument("--calibration-digits", type=int, default=5000, help="validation digits redrawn per variant")
    training_options(d, epochs=25, lr=3e-3, schedule="onecycle")
    d.set_defaults(func=cmd_distill)

    k = sub.add_parser("calibrate", help="choose a model's temperature and 'not a digit' threshold on validation")
    k.add_argument("--model", required=True)
    k.add_argument("--out", default=None, help="write here (default: over the model's own card)")
    k.add_argument("--calibration-digits", type=int, default=5000)
    k.add_argument(
        "--gate",
        default=None,
        help="instead: answer 'not a digit' from this model beside it (one with its own such output)",
    )
    k.set_defaults(func=cmd_calibrate)

    r = sub.add_parser("predict", help="recognise image files, folders, globs or MNIST-style CSV; CSV out")
    r.add_argument("paths", nargs="+", help="image files, folders (searched recursively), globs, .csv files")
    r.add_argument("--model", default=None, help="model path or name in artifacts/ (default: the shipped cnn)")
    r.add_argument("--out", default=None, help="write the rows here (default: standard output)")
    r.add_argument("--workers", type=int, default=None, help="processes reading images (default: one per core)")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=cmd_predict)

    e = sub.add_parser("evaluate", help="accuracy, per-class precision/recall and confusion matrix")
    e.add_argument("--model", default=None, help="model path or name in artifacts/ (default: the shipped cnn)")
    e.add_argument("--split", choices=["test", "train"], default="test")
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    args.argv = argv
    return args.func(args)
