"""`python -m model_core train | combine | finetune | distill | calibrate | predict | read | evaluate`:
the arguments, then one call each (cli.training, cli.models, cli.files): every command of the
library is here, and nothing below it parses arguments."""

from __future__ import annotations

import argparse
import sys

from ..data.datasets import SPLIT_SEED, VALIDATION_SIZE
from ..nn.network import ARCHITECTURES
from ..paths import DEFAULT_MODEL, MNIST_DIR
from ..version import __version__
from . import files, models, training


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
    t.set_defaults(func=training.train_command)

    f = sub.add_parser("finetune", help="continue training on MNIST plus corrections (CSV: label, 784 pixels)")
    f.add_argument("--base", default=DEFAULT_MODEL, help="model to start from (path or name in artifacts/)")
    f.add_argument("--extra", required=True, help="MNIST-style CSV, e.g. from /api/feedback/export/")
    f.add_argument(
        "--extra-weight", type=float, default=1.0, help="loss weight of each correction against an MNIST image's"
    )
    f.add_argument("--max-extra-share", type=float, default=0.1, help="corrections make at most this share")
    f.add_argument("--out", required=True)
    f.add_argument("--promote", default=None, help="also write here, but only if not worse on validation")
    training_options(f, epochs=2, lr=3e-4, schedule="cosine")
    f.set_defaults(func=models.finetune_command)

    c = sub.add_parser("combine", help="average trained models into one ensemble model")
    c.add_argument("models", nargs="+")
    c.add_argument("--out", required=True)
    c.add_argument("--float16", action="store_true", help="store the weights at half precision (half the file)")
    c.set_defaults(func=models.combine_command)

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
    d.add_argument("--init", default=None, help="continue from this model's network instead of a fresh one")
    d.add_argument(
        "--no-handwritten", dest="handwritten", action="store_false", help="no EMNIST letters among the negatives"
    )
    d.add_argument("--calibration-digits", type=int, default=5000, help="validation digits redrawn per variant")
    d.add_argument(
        "--reader-negatives",
        type=float,
        default=0.0,
        help="weight of what a reader of numbers cuts wrongly among the negatives (parts of digits, a digit "
        "with part of its neighbour), beside the others' 1.0; 0: none",
    )
    training_options(d, epochs=25, lr=3e-3, schedule="onecycle")
    d.set_defaults(func=training.distill_command)

    ln = sub.add_parser("train-lines", help="train a line network that reads a whole written line (CTC)")
    ln.add_argument("--alphabet", choices=["digits", "characters"], default="digits",
                    help="numbers (docs/lines.md), or words, names and codes (its 'Lines of words')")  # fmt: skip
    ln.add_argument("--out", required=True, help="output path without extension, e.g. artifacts/line-digits")
    ln.add_argument("--steps", type=int, default=6000)
    ln.add_argument("--minutes", type=float, default=0.0, help="stop after this long (0: every step)")
    ln.add_argument("--batch-size", type=int, default=32)
    ln.add_argument("--lr", type=float, default=2e-3)
    ln.add_argument("--width", choices=["lean", "wide"], default="lean")
    ln.add_argument("--corpus", type=int, default=60000, help="composed training lines (cached in var/cache/lines)")
    ln.add_argument("--validation", type=int, default=600, help="composed validation lines, for choosing")
    ln.add_argument("--validate-every", type=int, default=250)
    ln.add_argument("--seed", type=int, default=0)
    ln.add_argument("--checkpoint", default=None, help="resumable state (default: var/<out's name>.checkpoint.npz)")
    ln.add_argument("--float16", action="store_true", help="store the weights at half precision")
    ln.set_defaults(func=training.train_lines_command)

    k = sub.add_parser("calibrate", help="choose a model's temperature and 'not a digit' threshold on validation")
    k.add_argument("--model", required=True)
    k.add_argument("--out", default=None, help="write here (default: over the model's own card)")
    k.add_argument("--calibration-digits", type=int, default=5000)
    k.add_argument(
        "--gate",
        default=None,
        help="instead: answer 'not a digit' from this model beside it (one with its own such output)",
    )
    k.set_defaults(func=training.calibrate_command)

    r = sub.add_parser("predict", help="recognise image files, folders, globs or MNIST-style CSV; CSV out")
    r.add_argument("paths", nargs="+", help="image files, folders (searched recursively), globs, .csv files")
    r.add_argument("--model", default=None, help=f"model path or name in artifacts/ (default: {DEFAULT_MODEL})")
    r.add_argument("--out", default=None, help="write the rows here (default: standard output)")
    r.add_argument("--workers", type=int, default=None, help="processes reading images (default: one per core)")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=files.predict_command)

    rd = sub.add_parser("read", help="read every line written in image files, folders, globs or CSV rows; CSV out")
    rd.add_argument("paths", nargs="+", help="image files, folders (searched recursively), globs, .csv files")
    rd.add_argument(
        "--model", default=None, help=f"a digit model, path or name in artifacts/ (default: {DEFAULT_MODEL})"
    )
    rd.add_argument("--out", default=None, help="write the rows here (default: standard output)")
    rd.add_argument("--allowed", default=None, help='the characters each line may hold, e.g. "0123456789"')
    rd.add_argument("--template", default=None, help="each line's shape, e.g. DD/DD/DDDD (D a digit, A a letter)")
    rd.add_argument("--words", default=None, help="a file of the words each line may be, one a line (2,000 at most)")
    rd.set_defaults(func=files.read_command)

    e = sub.add_parser("evaluate", help="accuracy, per-class precision/recall and confusion matrix")
    e.add_argument("--model", default=None, help=f"model path or name in artifacts/ (default: {DEFAULT_MODEL})")
    e.add_argument("--split", choices=["test", "train"], default="test")
    e.set_defaults(func=training.evaluate_command)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    args.argv = argv
    return args.func(args)
