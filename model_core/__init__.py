"""A framework-free NumPy neural-network library for handwriting, and what turns a drawing
or a photo into its input, and reads a line of writing.

>>> from model_core import load_model, preprocess
>>> model = load_model()            # the shipped default (artifacts/cnn)
>>> model.predict_proba(images)     # (N, 28, 28) float32 in [0, 1], white on black
>>> preprocess(png_bytes, recipe=model.recipe)   # any drawing or photo → its 28×28

The packages, each one concept, in the order imports may point (a module imports its own
layer and the ones before it, never one after; tests/library/test_architecture.py checks it,
on the source and on the modules an import loads, and that nothing here imports Django or
the backend):

    version.py, paths.py   the version; where data and models are, the default model
    nn/         layers, sequence layers, CTC, losses, optim, network, compiled (inference
                form), parallel (the one thread pool)
    imaging/    decode, ink (backgrounds, rulings, pieces), fields (a form's boxes),
                preprocess (MNIST's and EMNIST's recipes), sampling, encode
    data/       datasets (MNIST, CSV), emnist, augment, synth, negatives, numbers, words
    card.py     the model card (and the alphabets a model may read)
    model.py    the loaded model a caller predicts with;  saved.py  saving and loading
    reading/    a line of writing: the line finder, the readers, the answer, spelling
    training/   train, distill, calibrate, metrics, finetune, cards (what training writes)
    serving.py  the server's one door
    cli/, predict_files.py  `python -m model_core …` (every command), prediction over files

This module imports nothing until a name is asked for (`import model_core.nn` loads the
network library alone).
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "Model": "model",
    "ModelLoadError": "saved",
    "available_models": "saved",
    "load_model": "saved",
    "save_model": "saved",
    "preprocess": "imaging.preprocess",
    "__version__": "version",
}

__all__ = ["Model", "ModelLoadError", "available_models", "load_model", "preprocess", "save_model", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'model_core' has no attribute {name!r}")
