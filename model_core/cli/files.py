"""What `predict` and `read` do, given their parsed arguments: image files, folders, globs or
MNIST-style CSV read with a model, a CSV row per image (model_core.predict_files): the one
character in each, or the number written in each."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..model import Model
from ..predict_files import expand, predict_all, read_all
from ..saved import load_model


def _each_file(args: argparse.Namespace, write: Callable[[Model, list, TextIO], str]) -> int:
    """Expand the paths, load the model, write the rows to --out (or standard output) and say
    on standard error what `write` returns."""
    try:
        inputs = expand(args.paths)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    model = load_model(args.model)
    out = open(args.out, "w", newline="") if args.out else sys.stdout  # noqa: SIM115  (stdout is not ours to close)
    try:
        summary = write(model, inputs, out)
    finally:
        if args.out:
            out.close()
    print(summary, file=sys.stderr)
    return 0


def predict_command(args: argparse.Namespace) -> int:
    """Recognise image files, folders, globs and MNIST-style CSV files; one CSV row each."""

    def write(model: Model, inputs: list, out: TextIO) -> str:
        counts = predict_all(model, inputs, out, workers=args.workers, progress=not args.quiet)
        return (
            f"{counts['images']} images in {counts['seconds']:.1f} s ({counts['images'] / counts['seconds']:.0f}/s): "
            f"{counts['not_a_digit']} not a digit, {counts['errors']} unreadable"
        )

    return _each_file(args, write)


def read_command(args: argparse.Namespace) -> int:
    """Read every line written in each image; one CSV row a line: file, text, confidence, error,
    line. --allowed, --template and --words (a file, a word a line) constrain each line."""
    from ..reading.constraints import Constraint

    try:
        words = tuple(w.strip() for w in Path(args.words).read_text().splitlines() if w.strip()) if args.words else ()
        constraint = Constraint(allowed=args.allowed, template=args.template, words=words)
    except (OSError, ValueError) as exc:
        print(f"read: {exc}", file=sys.stderr)
        return 2

    def write(model: Model, inputs: list, out: TextIO) -> str:
        if constraint.given and not model.reads_lines:
            raise SystemExit(f"read: --allowed, --template and --words need a line network, not {model.name}")
        counts = read_all(model, inputs, out, constraint if constraint.given else None)
        return (
            f"{counts['images']} images, {counts['lines']} lines: {counts['no_text']} with no text, "
            f"{counts['errors']} unreadable"
        )

    return _each_file(args, write)
