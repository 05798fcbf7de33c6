"""What reading costs against what it is priced: for varied images (single digits, numbers of
1-12 digits read by the line network and by the cutting reader with the cnn and the ensemble,
overlapping strips), each one's price (model_core.serving's units: one network evaluation of a
28×28) beside its measured time on one thread, and their correlation. Also what a line
network's column is worth in those units (its card's `ctc.column_units`): the time a column
takes over the time a 28×28 takes through the cnn.

    python benchmarks/price.py [--count 200] [--record]   # --record writes column_units into the line card
    python benchmarks/price.py --line line-characters --record   # the line network for characters' column
"""

from __future__ import annotations

import argparse
import io
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the time is one thread's, as a worker reads
os.environ.setdefault("MODEL_CORE_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from timing import median_ms  # noqa: E402

from model_core import load_model  # noqa: E402
from model_core.data.emnist import load_characters  # noqa: E402
from model_core.data.numbers import compose  # noqa: E402
from model_core.imaging.decode import PreprocessError, load_pixels  # noqa: E402
from model_core.reading import find_for, read_line, reader_for  # noqa: E402
from model_core.saved import resolve, save_card  # noqa: E402


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def material(count: int, seed: int) -> list[bytes]:
    """Numbers of 1-12 validation digits as the composition writes them, and a few overlapping strips."""
    part = load_characters("validation")
    digits = part.labels < 10
    images, rng = part.images[digits], np.random.default_rng(seed)
    out = []
    for k in range(count):
        length = int(rng.integers(1, 13))
        glyphs = [images[i] for i in rng.integers(0, len(images), length)]
        if k % 10 == 9:  # a strip of overlapping digits, the cutting reader's worst
            strip = np.zeros((28, 15 * length + 13), np.uint8)
            for j, glyph in enumerate(glyphs):
                np.maximum(strip[:, 15 * j : 15 * j + 28], glyph, out=strip[:, 15 * j : 15 * j + 28])
            out.append(png(strip))
        else:
            out.append(png(compose(glyphs, rng).canvas))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=49)
    parser.add_argument("--record", action="store_true", help="write the measured column_units into the line card")
    parser.add_argument("--line", default="line-digits", help="the line network whose column is measured")
    args = parser.parse_args()
    cnn, line = load_model("cnn"), load_model(args.line)
    one = np.zeros((1, 28, 28), np.float32)
    cnn_ms = median_ms(lambda: cnn.scores(np.repeat(one, 64, axis=0)), 9) / 64  # a 28×28 in a batch
    wide = np.zeros((1, 32, 4 * 256), np.float32)
    column_ms = median_ms(lambda: line.members[0].logits(wide), 9) / 256
    units = column_ms / cnn_ms
    print(f"a 28×28 through the cnn {cnn_ms * 1000:.1f} µs; a line column {column_ms * 1000:.1f} µs: {units:.3f} units")
    if line.alphabet != "digits":
        if args.record:
            line.card.setdefault("ctc", {})["column_units"] = round(units, 3)
            save_card(line, resolve(args.line))
            print("recorded in the line card")
        return
    rows = []
    for name in ("line-digits", "cnn", "ensemble"):
        reader = reader_for(load_model(name), "digits")
        for image in material(args.count // 3 + 1, args.seed):
            grey = load_pixels(image)
            try:
                found = find_for(reader, grey)
                price = reader.price(found) if found is not None else 0
            except PreprocessError:
                continue  # refused before any network ran: no time to set against a price
            rows.append((name, price, median_ms(lambda found=found, reader=reader: read_line(reader, found), 3)))
    prices, times = np.array([r[1] for r in rows], float), np.array([r[2] for r in rows])
    print(f"{len(rows)} readings: price against time, Pearson r {np.corrcoef(prices, times)[0, 1]:.3f}")
    for name in ("line-digits", "cnn", "ensemble"):
        p = np.array([r[1] for r in rows if r[0] == name], float)
        t = np.array([r[2] for r in rows if r[0] == name])
        per_unit = np.median(t / np.maximum(p, 1)) * 1000
        print(f"  {name}: median price {np.median(p):.0f}, median {np.median(t):.1f} ms, {per_unit:.0f} µs a unit")
    if args.record:
        line.card.setdefault("ctc", {})["column_units"] = round(units, 3)
        save_card(line, resolve(args.line))
        print("recorded in the line card")


if __name__ == "__main__":
    main()
