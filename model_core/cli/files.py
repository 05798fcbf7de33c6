"""What `predict` does, given its parsed arguments: read image files, folders, globs or
MNIST-style CSV with a model and write a CSV row per image (model_core.predict_files)."""

from __future__ import annotations

import argparse
import sys

from ..predict_files import expand, predict_all
from ..saved import load_model


def predict_command(args: argparse.Namespace) -> int:
    """Recognise image files, folders, globs and MNIST-style CSV files; one CSV row each."""
    try:
        inputs = expand(args.paths)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    model = load_model(args.model)
    out = open(args.out, "w", newline="") if args.out else sys.stdout  # noqa: SIM115  (stdout is not ours to close)
    try:
        counts = predict_all(model, inputs, out, workers=args.workers, progress=not args.quiet)
    finally:
        if args.out:
            out.close()
    print(
        f"{counts['images']} images in {counts['seconds']:.1f} s ({counts['images'] / counts['seconds']:.0f}/s): "
        f"{counts['not_a_digit']} not a digit, {counts['errors']} unreadable",
        file=sys.stderr,
    )
    return 0
