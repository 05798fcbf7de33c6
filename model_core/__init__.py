"""A framework-free NumPy neural-network library for handwriting, and what turns a drawing
or a photo into its input.

>>> from model_core import load_model, preprocess
>>> model = load_model()            # the shipped default (artifacts/cnn)
>>> model.predict_proba(images)     # (N, 28, 28) float32 in [0, 1], white on black
>>> preprocess(png_bytes, recipe=model.recipe)   # any drawing or photo → its 28×28

The packages, each one concept, in the order imports may point (a module imports its own
layer and the ones before it, never one after; tests/test_architecture.py checks it, and
that nothing here imports Django or the backend):

    version.py, paths.py   the version; where data and models are, the default model
    nn/         layers, losses, optim, network, compiled (inference form), parallel
    imaging/    decode, ink (backgrounds, rulings, pieces), preprocess (MNIST's and
                EMNIST's recipes), sampling, encode
    data/       datasets (MNIST, CSV), emnist, augment, synth, negatives
    model.py, card.py, saved.py, serving.py
                the loaded model, its card, saving and loading, the server's one door
    training/   train, distill, calibrate, metrics, finetune, cards (what training writes)
    cli/, predict_files.py  `python -m model_core …` (every command), prediction over files
"""

from .imaging.preprocess import preprocess
from .model import Model
from .saved import ModelLoadError, available_models, load_model, save_model
from .version import __version__

__all__ = ["Model", "ModelLoadError", "available_models", "load_model", "preprocess", "save_model", "__version__"]
