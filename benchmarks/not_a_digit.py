"""Does each model know when it is not looking at a digit?

Negatives here are made *differently* from the ones training used (model_core/negatives.py:
Hershey stroke letters, random-walk scribbles, shapes drawn as polylines), so that the
figure measures what was learned, not the generator:
  - letters typeset in TrueType fonts (DejaVu and the Debian handwriting fonts the
    robustness benchmark uses), filled glyphs, at random size, place and slant;
  - shapes drawn with Pillow's own primitives (filled and outlined polygons, ellipse
    segments, grids, asterisks, crescents, Archimedean spirals);
  - scribbles made of random cubic Bézier curves, and hatched patches;
  - two or three MNIST *test* digits side by side;
  - punctuation and signs typeset in fonts (-, =, +, ×, #, %, &, ?, !, @);
  - real writers' letters from EMNIST's *test* part (the letters the training's negatives
    use, model_core.data.negatives.HANDWRITTEN_LETTERS), drawn as the app draws them with
    synth.draw_character (a brush redraws the thresholded glyph; one in five dark on light),
    not pasted as training pastes them;
  - handwritten numbers: two or three of EMNIST's *test* digits in a row, each at its own
    height and size, touching or apart, drawn the same way.
Letters a fair reader would take for a digit are left out (O o I l S s Z z B b G g q; and
among the handwritten ones D, J, Q, T too).
Positives: the MNIST test set, the test digits redrawn as canvases (robustness.py), and
plainly drawn 1s and 0s. Seeds differ from every training and validation seed.

Reported per model: the share of negatives flagged, by kind; the share of real digits
flagged, by subset; the accuracy on the digits accepted; ECE (15 bins) on MNIST test with
the raw probabilities and with the model's temperature.

    python benchmarks/not_a_digit.py [--count 4200] [--models cnn ensemble mlp] [--limit 10000]
"""

from __future__ import annotations

import argparse
import string

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model_core import load_model
from model_core.data.datasets import as_float_images, load_mnist
from model_core.data.emnist import load_characters
from model_core.data.negatives import HANDWRITTEN_LETTERS
from model_core.data.synth import CANVAS, VARIANTS, draw_character, handwriting_fonts, ink_crop, redraw_mnist
from model_core.imaging.decode import EmptyImageError
from model_core.imaging.preprocess import preprocess
from model_core.model import temperature_scaled
from model_core.training.metrics import expected_calibration_error

SEED = 20261125
LETTERS = [c for c in string.ascii_letters if c not in "OoIlSsZzBbGgq"]
SIGNS = list("-=+×#%&?!@*/<>~")


def font_glyph(text: str, font_path, rng: np.random.Generator) -> np.ndarray:
    height = rng.uniform(0.35, 0.85) * CANVAS
    font = ImageFont.truetype(str(font_path), size=int(height))
    glyph = Image.new("L", (CANVAS * 2, CANVAS * 2), 0)
    ImageDraw.Draw(glyph).text((CANVAS // 2, CANVAS // 2), text, font=font, fill=255)
    slant = rng.uniform(-0.25, 0.25)
    glyph = glyph.transform(glyph.size, Image.Transform.AFFINE, (1, slant, -slant * CANVAS, 0, 1, 0))
    box = glyph.getbbox()
    if box is None:
        return np.zeros((CANVAS, CANVAS), np.uint8)
    glyph = glyph.crop(box)
    glyph.thumbnail((CANVAS - 10, CANVAS - 10))
    canvas = Image.new("L", (CANVAS, CANVAS), 0)
    canvas.paste(
        glyph, (int(rng.integers(0, CANVAS - glyph.width + 1)), int(rng.integers(0, CANVAS - glyph.height + 1)))
    )
    return np.asarray(canvas)


def pillow_shape(rng: np.random.Generator) -> np.ndarray:
    image = Image.new("L", (CANVAS, CANVAS), 0)
    d = ImageDraw.Draw(image)
    c, r = CANVAS / 2 + rng.uniform(-40, 40), rng.uniform(50, 120)
    width = int(rng.uniform(8, 22))
    kind = int(rng.integers(8))
    if kind == 0:  # a polygon, filled or outlined
        d.regular_polygon((c, c, r), int(rng.integers(3, 9)), rotation=rng.uniform(0, 360),
                          fill=255 if rng.random() < 0.4 else None, outline=255, width=width)  # fmt: skip
    elif kind == 1:  # a star as one closed polygon
        n = int(rng.integers(5, 9))
        radii = [r if i % 2 == 0 else r * 0.4 for i in range(2 * n)]
        pts = [(c + q * np.cos(np.pi * i / n), c + q * np.sin(np.pi * i / n)) for i, q in enumerate(radii)]
        d.polygon(pts, fill=255 if rng.random() < 0.5 else None, outline=255, width=width)
    elif kind == 2:  # a grid: #
        for k in (-1, 1):
            d.line([(c + k * r / 3, c - r), (c + k * r / 3, c + r)], fill=255, width=width)
            d.line([(c - r, c + k * r / 3), (c + r, c + k * r / 3)], fill=255, width=width)
    elif kind == 3:  # an asterisk
        for a in np.linspace(0, np.pi, int(rng.integers(3, 5)), endpoint=False):
            d.line(
                [(c - r * np.cos(a), c - r * np.sin(a)), (c + r * np.cos(a), c + r * np.sin(a))], fill=255, width=width
            )
    elif kind == 4:  # a crescent
        d.ellipse([c - r, c - r, c + r, c + r], fill=255)
        d.ellipse([c - r * 0.5, c - r * 1.1, c + r * 1.3, c + r * 0.9], fill=0)
    elif kind == 5:  # an Archimedean spiral
        t = np.linspace(0, rng.uniform(4, 7) * np.pi, 200)
        pts = list(zip(c + r / (7 * np.pi) * t * np.cos(t), c + r / (7 * np.pi) * t * np.sin(t), strict=True))
        d.line(pts, fill=255, width=width, joint="curve")
    elif kind == 6:  # a filled rectangle, wide or tall but not a stroke
        w, h = rng.uniform(60, 200), rng.uniform(60, 200)
        d.rectangle([c - w / 2, c - h / 2, c + w / 2, c + h / 2], fill=255)
    else:  # a triangle arrow pointing anywhere
        a = rng.uniform(0, 2 * np.pi)
        tip = (c + r * np.cos(a), c + r * np.sin(a))
        d.line([(c - r * np.cos(a), c - r * np.sin(a)), tip], fill=255, width=width)
        wings = [(c + 0.4 * r * np.cos(a + k), c + 0.4 * r * np.sin(a + k)) for k in (0.5, -0.5)]
        d.polygon([tip, *wings], fill=255)
    return np.asarray(image)


def bezier_scribble(rng: np.random.Generator) -> np.ndarray:
    image = Image.new("L", (CANVAS, CANVAS), 0)
    d = ImageDraw.Draw(image)
    width = int(rng.uniform(10, 22))
    if rng.random() < 0.3:  # hatching: a zigzag back and forth over a patch
        x0, y0 = rng.uniform(30, 120, 2)
        w, h = rng.uniform(90, 150, 2)
        pts = [(x0 + (w if i % 2 else 0), y0 + h * i / 10) for i in range(11)]
        d.line(pts, fill=255, width=width, joint="curve")
        return np.asarray(image)
    points = rng.uniform(30, CANVAS - 30, (int(rng.integers(6, 12)), 2))
    t = np.linspace(0, 1, 40)[:, None]
    curve = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        curve += list(map(tuple, (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3))
    d.line(curve, fill=255, width=width, joint="curve")
    return np.asarray(image)


def test_digits_side_by_side(test_images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from model_core.data.negatives import digits_side_by_side

    return digits_side_by_side(test_images, rng)  # test digits here; training drew training ones


def handwritten_number(digits: np.ndarray, rng: np.random.Generator) -> bytes:
    """Two or three real writers' digits in a row, each moved up or down and resized a little,
    touching or apart, drawn as the app draws a character."""
    count = 2 if rng.random() < 0.7 else 3
    parts = []
    for glyph in digits[rng.choice(len(digits), count, replace=False)]:
        ink = Image.fromarray(ink_crop(glyph))
        scale = rng.uniform(0.8, 1.1)
        parts.append(np.asarray(ink.resize((max(1, round(ink.width * scale)), max(1, round(ink.height * scale))))))
    height = max(p.shape[0] for p in parts) + 6
    gap = int(rng.integers(-1, 7))
    strip = np.zeros((height, sum(p.shape[1] for p in parts) + max(gap, 0) * (count - 1) + 2), np.uint8)
    x = 0
    for part in parts:
        y = int(rng.integers(0, height - part.shape[0] + 1))
        region = strip[y : y + part.shape[0], x : x + part.shape[1]]
        np.maximum(region, part, out=region)
        x += part.shape[1] + gap
    return draw_character(strip, rng)


def plain_digits(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """A ruler-straight 1 at most 15° off vertical, and an ellipse 0, drawn with Pillow."""
    images, labels = [], []
    for i in range(count):
        image = Image.new("L", (CANVAS, CANVAS), 0)
        d = ImageDraw.Draw(image)
        width = int(rng.uniform(14, 24))
        h = rng.uniform(120, 240)
        cx, cy = rng.uniform(100, 180, 2)
        if i % 2 == 0:
            lean = np.tan(np.deg2rad(rng.uniform(-15, 15))) * h / 2
            d.line([(cx - lean, cy - h / 2), (cx + lean, cy + h / 2)], fill=255, width=width)
            labels.append(1)
        else:
            w = h * rng.uniform(0.55, 0.9)
            d.ellipse([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], outline=255, width=width)
            labels.append(0)
        images.append(preprocess(np.asarray(image)))
    return np.stack(images), np.array(labels)


def negatives(count: int, test_images: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    fonts = handwriting_fonts()
    emnist = load_characters("test")
    names = np.array(emnist.label_names)[emnist.labels]
    letters = emnist.images[np.isin(names, list(HANDWRITTEN_LETTERS))]
    digits = emnist.images[emnist.labels < 10]

    def pick(items: list) -> object:
        return items[int(rng.integers(len(items)))]

    makers = {
        "letters (TrueType fonts)": lambda: font_glyph(pick(LETTERS), pick(fonts), rng),
        "shapes (Pillow primitives)": lambda: pillow_shape(rng),
        "scribbles (Bézier, hatching)": lambda: bezier_scribble(rng),
        "several test digits": lambda: test_digits_side_by_side(test_images, rng),
        "signs (-, =, +, #, %, ...)": lambda: font_glyph(pick(SIGNS), pick(fonts), rng),
        "handwritten letters (EMNIST test)": lambda: draw_character(letters[int(rng.integers(len(letters)))], rng),
        "handwritten numbers (EMNIST test)": lambda: handwritten_number(digits, rng),
    }
    out = {}
    for kind, make in makers.items():
        images = []
        while len(images) < count // len(makers):
            try:
                images.append(preprocess(make()))
            except EmptyImageError:
                continue
        out[kind] = np.stack(images)
    return out


def positives(limit: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(SEED + 1)
    test = load_mnist("test")
    index = np.arange(len(test)) if limit <= 0 else rng.choice(len(test), limit, replace=False)
    sets = {"MNIST test": (as_float_images(test.images[index]), test.labels[index])}
    for variant in VARIANTS:
        images = np.stack([preprocess(redraw_mnist(test.images[i], rng, variant)) for i in index])
        sets[f"redrawn {variant}"] = (images, test.labels[index])
    sets["plain 1s and 0s"] = plain_digits(rng, 1000)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=4200, help="negatives in all")
    parser.add_argument("--limit", type=int, default=0, help="MNIST test digits (0: all 10,000)")
    parser.add_argument("--models", nargs="+", default=["cnn", "ensemble", "mlp"])
    args = parser.parse_args()
    test = load_mnist("test")
    negative_sets = negatives(args.count, test.images)
    positive_sets = positives(args.limit)
    models = {name: load_model(name) for name in args.models}
    header = " | ".join(models)
    print(f'\n| flagged "not a digit" | images | {header} |\n|---|---|' + "---|" * len(models))
    for kind, images in negative_sets.items():
        cells = [f"{(~m.scores(images).is_digit).mean() * 100:.1f}%" for m in models.values()]
        print(f"| {kind} | {len(images):,} | " + " | ".join(cells) + " |")
    everything = np.concatenate(list(negative_sets.values()))
    cells = [f"**{(~m.scores(everything).is_digit).mean() * 100:.1f}%**" for m in models.values()]
    print(f"| **all negatives** | {len(everything):,} | " + " | ".join(cells) + " |")
    for name, (images, labels) in positive_sets.items():
        cells = []
        for m in models.values():
            s = m.scores(images)
            accepted = s.is_digit
            accuracy = (s.probabilities.argmax(axis=1)[accepted] == labels[accepted]).mean()
            cells.append(f"{(~accepted).mean() * 100:.2f}% ({accuracy * 100:.2f}%)")
        print(f"| {name}: flagged (accuracy on the rest) | {len(labels):,} | " + " | ".join(cells) + " |")
    images, labels = positive_sets["MNIST test"]
    cells = []
    for m in models.values():
        raw = m.raw_scores(images)[0]
        after = temperature_scaled(raw, m.not_a_digit["temperature"])
        before_ece, after_ece = expected_calibration_error(raw, labels), expected_calibration_error(after, labels)
        cells.append(f"{before_ece * 100:.2f}% → {after_ece * 100:.2f}%")
    print(f"| ECE on MNIST test, 15 bins (raw → with its temperature) | {len(labels):,} | " + " | ".join(cells) + " |")
    for name, m in models.items():
        rule = m.not_a_digit
        print(
            f"{name}: method {rule['method']}, threshold {rule['threshold']:.4f}, temperature {rule['temperature']:.3f}"
        )


if __name__ == "__main__":
    main()
