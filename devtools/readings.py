"""Records the lattice reader's readings that tests/library/reading/test_lattice_pinned.py holds
it to: 300 numbers of EMNIST validation digits and 300 texts of its validation letters (the
compositions of benchmarks/read.py), each reading's text, confidence (6 places) and boxes.
Recorded at the commit before the reading code moved into a package of its own; re-record only
when the lattice reader is meant to read differently:

    python -m devtools.readings   # rewrites tests/fixtures/readings/lattice.json
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "readings" / "lattice.json"
COUNT, NUMBERS_SEED, WORDS_SEED = 300, 41, 42


def png(canvas: np.ndarray, dark_on_light: bool) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(255 - canvas if dark_on_light else canvas).save(buffer, "PNG")
    return buffer.getvalue()


def material(count: int = COUNT) -> list[tuple[str, str, bytes]]:
    """(alphabet, true text, PNG) for the pinned numbers, then the pinned words."""
    from model_core.data.emnist import load_characters
    from model_core.data.numbers import numbers
    from model_core.data.words import words

    part = load_characters("validation")
    digits, letters = part.labels < 10, part.labels >= 10
    out = [("digits", t, png(n.canvas, n.dark_on_light))
           for t, n in numbers(part.images[digits], part.labels[digits], count, NUMBERS_SEED)]  # fmt: skip
    out += [("characters", t, png(n.canvas, n.dark_on_light))
            for t, _, n in words(part.images[letters], part.labels[letters], count, WORDS_SEED)]  # fmt: skip
    return out


def reading_record(reading) -> dict:
    return {
        "text": reading.text,
        "confidence": round(reading.confidence, 6),
        "boxes": [list(c.box) for c in reading.characters],
    }


def readings(read) -> list[dict]:
    """`read(alphabet, png)` → a Reading, for every pinned image, as records."""
    out = []
    for alphabet, truth, image in material():
        record = reading_record(read(alphabet, image))
        out.append({"alphabet": alphabet, "truth": truth, "png_sha256": hashlib.sha256(image).hexdigest(), **record})
    return out


def main() -> None:
    from model_core import load_model
    from model_core.reading import read_text

    models = {"digits": load_model("cnn"), "characters": load_model("characters")}
    records = readings(lambda alphabet, image: read_text(models[alphabet], image, alphabet=alphabet))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")  # a reading a line
    print(f"{len(records)} readings written to {OUT}")


if __name__ == "__main__":
    main()
