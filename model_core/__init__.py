"""A framework-free NumPy neural-network library for handwritten digits.

>>> from model_core import load_model
>>> model = load_model()            # the shipped default (artifacts/cnn)
>>> model.predict_proba(images)     # (N, 28, 28) float32 in [0, 1], white on black
"""

__version__ = "0.1.0"

from .io import ModelLoadError, available_models, load_model, save_model  # noqa: E402
from .model import Model  # noqa: E402

__all__ = ["Model", "ModelLoadError", "available_models", "load_model", "save_model", "__version__"]
