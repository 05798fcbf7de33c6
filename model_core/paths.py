"""Where the library finds its data and its models, and which model is the default: the one
place these are set. The server's settings read them from here; each can be moved by the
environment, for the server and the command line alike."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
MNIST_DIR = Path(os.environ.get("MNIST_DIR", DATA_DIR / "mnist"))  # overridable for installed copies
EMNIST_DIR = Path(os.environ.get("EMNIST_DIR", DATA_DIR / "emnist"))
# The shipped models (artifacts/<name>.npz and .json), and the one used when none is named.
MODEL_DIR = Path(os.environ.get("MODEL_DIR", PROJECT_ROOT / "artifacts"))
DEFAULT_MODEL = os.environ.get("DEFAULT_MODEL", "cnn")
READER_CARD = "reader.json"  # beside the models: how text is read, with its figures (not a model's card)
# MNIST's sample CSVs, parsed once per machine (data.datasets.read_csv_shared).
CACHE_DIR = Path(os.environ.get("MODEL_CORE_CACHE_DIR", PROJECT_ROOT / "var" / "cache"))
