"""What each training command of `python -m model_core` does, given its parsed arguments:
train, distill, calibrate and evaluate (combine and finetune: cli.models). Each records the
exact command and its seed on the model card it writes."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from .. import card as cards
from ..data.augment import NO_AUGMENTATION, AugmentConfig
from ..data.datasets import Dataset, load_mnist, train_val_split
from ..data.emnist import load_characters
from ..data.negatives import handwritten_digits, handwritten_letters, negatives, plain_digits
from ..model import Model
from ..nn.network import architecture
from ..saved import load_model, resolve, save_card, save_model
from ..training import cards as new_cards
from ..training.calibrate import calibrate
from ..training.distill import epoch_sets, transfer_copy
from ..training.metrics import evaluate, format_report
from ..training.train import TrainConfig, class_weights, deskewed, train


def command_line(args: argparse.Namespace) -> str:
    """The command that ran, for the model card (also when `main` was called from Python)."""
    return "python -m model_core " + " ".join(shlex.quote(a) for a in args.argv)


def train_config(args: argparse.Namespace, seed: int) -> TrainConfig:
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


def finish_and_save(model: Model, out: str, test_set: Dataset, val_set: Dataset | None) -> tuple[Path, dict]:
    """Record the metrics on the model's card and write it; returns (card path, test report)."""
    report = evaluate(model, test_set)
    validation = evaluate(model, val_set)["accuracy"] if val_set is not None and len(val_set) else None
    new_cards.finish(model.card, model.members, report, validation)
    return save_model(model, out), report


def _training_data(args: argparse.Namespace) -> tuple[Dataset, Dataset, Dataset]:
    """(train, validation, test) of the chosen dataset: MNIST with a seeded hold-out of its
    training set, or EMNIST's characters by their fixed split."""
    if args.dataset == "characters":
        return load_characters("train"), load_characters("validation"), load_characters("test")
    full, test_set = load_mnist("train", args.data), load_mnist("test", args.data)
    return (*train_val_split(full, args.val_size, seed=args.split_seed), test_set)


def train_command(args: argparse.Namespace) -> int:
    train_set, val_set, test_set = _training_data(args)
    if args.limit:
        train_set = train_set.subset(slice(0, args.limit))
    if args.deskew:  # the model card says so, and the model deskews whatever it is given
        train_set, val_set = deskewed(train_set), deskewed(val_set)
    labels = train_set.label_names
    weights = class_weights(train_set.labels, len(labels)) if args.class_weights == "balanced" else None
    spec = architecture(args.arch, len(labels))
    results = [
        train(spec, train_set, val_set, train_config(args, args.seed + k), weights, progress=not args.quiet)
        for k in range(args.members)
    ]
    card = new_cards.new(Path(args.out).name, args.arch, train_set, val_set, test_set, args.deskew)
    if args.dataset == "characters":
        new_cards.characters(card, class_weights=args.class_weights)
    members = [new_cards.member(result, args.seed + k) for k, result in enumerate(results)]
    config = train_config(args, args.seed).to_dict()
    new_cards.record_training(
        card, command=command_line(args), seed=args.seed, split_seed=args.split_seed, config=config, members=members
    )
    model = Model([r.network for r in results], labels, card)
    path, report = finish_and_save(model, args.out, test_set, val_set)
    validation = model.card["metrics"]["validation_accuracy"]
    print(f"saved {path}  validation {validation}  test accuracy {report['accuracy'] * 100:.2f}%")
    return 0


def _starting_network(model: Model, spec: list[dict]):
    """A trained model's one network, to continue training (its architecture must be `spec`'s)."""
    if len(model.members) != 1 or model.members[0].spec != spec:
        raise SystemExit(f"--init {model.name}: not one network of the chosen architecture")
    return model.members[0]


def distill_command(args: argparse.Namespace) -> int:
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
    # Numbers from MNIST's and EMNIST's training digits; real letters from EMNIST's training part only.
    number_digits = np.concatenate([train_set.images, handwritten_digits("train")])
    letters = handwritten_letters("train") if args.handwritten else None
    reader = {"fragment": args.reader_negatives / 2, "joined": args.reader_negatives / 2}
    negative_images, kinds = negatives(args.negatives, args.seed, number_digits, letters, reader)
    plain = plain_digits(args.plain_digits, args.seed + 1)
    labels = full.label_names
    spec = architecture(args.arch, len(labels) + 1)  # the labels, and "not a digit"
    config = train_config(args, args.seed)
    config.distill_alpha, config.distill_temperature = args.alpha, args.temperature
    sets = epoch_sets(copies, plain, negative_images, args.negatives_per_epoch, len(labels), args.seed)
    started_from = load_model(args.init) if args.init else None
    start = _starting_network(started_from, spec) if started_from else None
    result = train(spec, train_set, val_set, config, progress=not args.quiet, network=start, epoch_sets=sets)
    card = new_cards.new(Path(args.out).name, args.arch, train_set, val_set, test_set, deskew=False)
    new_cards.record_training(
        card,
        command=command_line(args),
        seed=args.seed,
        split_seed=split["split_seed"],
        config=config.to_dict(),
        members=[new_cards.member(result, args.seed, architecture=args.arch)],
    )
    card["distillation"] = {
        "teacher": f"{teacher.name}@{teacher.version}",
        "started_from": started_from and f"{started_from.name}@{started_from.version}",
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
    path, report = finish_and_save(model, args.out, test_set, val_set)
    rule = card["not_a_digit"]
    print(
        f"saved {path}  validation {card['metrics']['validation_accuracy']}  temperature {rule['temperature']:.3f}  "
        f"threshold {rule['threshold']:.4f}  validation negatives flagged {rule['validation']['negatives_flagged']:.4f}"
    )
    return 0


def calibrate_command(args: argparse.Namespace) -> int:
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


def evaluate_command(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    report = evaluate(model, load_mnist(args.split, args.data))
    print(f"model {model.name} ({model.version}), MNIST {args.split} split")
    print(format_report(report))
    return 0


def train_lines_command(args: argparse.Namespace) -> int:
    """Train a line network (training.lines) and save it with its card: a line reader for digits
    or for characters."""
    from ..model import Model as Loaded
    from ..paths import PROJECT_ROOT
    from ..saved import HALF, round_to_half
    from ..training.lines import LABELS, LineTrainConfig, train_lines

    config = LineTrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        corpus_size=args.corpus,
        validation_size=args.validation,
        validate_every=args.validate_every,
        width=args.width,
        minutes=args.minutes,
        alphabet=args.alphabet,
    )
    labels = LABELS[args.alphabet]
    name = Path(args.out).name
    checkpoint = Path(args.checkpoint or PROJECT_ROOT / "var" / f"{name}.checkpoint.npz")
    run = train_lines(config, checkpoint)
    card = new_cards.line_card(name, config, run, command_line(args), run.train_lines, labels)
    if args.float16:
        round_to_half([run.net])
        card["weights_storage"] = HALF
    path = save_model(Loaded([run.net], labels, card), args.out)
    print(f"saved {path} (best validation exact {run.best[0]:.4f} at step {run.best[1]})")
    return 0
