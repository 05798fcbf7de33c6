"""Things people draw that are not one digit, drawn as the app draws (white strokes of a
15–25 px round brush on a 280×280 black canvas), to teach a network to say so.

Kinds: letters written in Hershey's stroke fonts (pen strokes, as people write them),
shapes (stars, polygons, arrows, hearts, crosses, spirals, zigzags, ticks, faces), scribbles
(long random pen paths that turn and loop), hatching (parallel strokes, once or crossed),
two- and three-digit numbers (the digits of the caller's part: MNIST's and EMNIST's training
digits for training), dashes (-, =, +), and real writers' letters (EMNIST's, of the caller's
part of the shared split). Left out, because a fair reader takes them for a digit once
cropped and scaled: O/o, I/i, L/l, S/s, Z/z, B, b, D, G, g, J, q, Q, T, a lone vertical
stroke, a ring.

`plain_digits` draws what must stay a digit however plainly drawn: straight strokes near
vertical (1) and rings (0).

The benchmark's negatives (benchmarks/not_a_digit.py) are made another way on purpose.
"""

from __future__ import annotations

import functools
import string

import numpy as np
from PIL import Image, ImageDraw

from ..imaging.decode import EmptyImageError
from ..imaging.encode import to_uint8
from ..imaging.preprocess import preprocess
from .synth import CANVAS, ink_crop

KINDS = ("letter", "shape", "scribble", "digits", "dash", "hatching", "handwritten", "fragment", "joined")
# The share of each kind in a draw; "handwritten" only when real letters are given.
WEIGHTS = {
    "letter": 0.2,
    "shape": 0.15,
    "scribble": 0.1,
    "digits": 0.15,
    "dash": 0.05,
    "hatching": 0.07,
    "handwritten": 0.28,
    # What a reader of numbers cuts wrongly (model_core.reading): part of a digit, and a digit
    # with a piece of its neighbour. None unless asked for (distill --reader-negatives).
    "fragment": 0.0,
    "joined": 0.0,
}
DIGIT_LIKE = set("OoIlSsZzBbGgq")
# EMNIST ByMerge labels kept as real handwritten negatives. Left out besides DIGIT_LIKE: D (a
# 0 or a 9 backwards), J and T (a 7 or a 1), Q (a 0 with a tail); ByMerge files o, i, l, s, z
# under O, I, L, S, Z.
HANDWRITTEN_LETTERS = "ACEFHKMNPRUVWXYadefhnrt"
LETTERS = "".join(c for c in string.ascii_letters if c not in DIGIT_LIKE)
HERSHEY_FONTS = ("futural", "futuram", "rowmans", "cursive", "scripts", "scriptc", "timesr", "timesi")
Stroke = list[tuple[float, float]]  # points in 0..1 canvas coordinates


def render(strokes: list[Stroke], brush: float) -> np.ndarray:
    """Strokes as the app draws them: round-capped white lines `brush` px wide on black."""
    image = Image.new("L", (CANVAS, CANVAS), 0)
    draw = ImageDraw.Draw(image)
    r = brush / 2
    for stroke in strokes:
        points = [(x * CANVAS, y * CANVAS) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=255, width=int(round(brush)), joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(image)


def fit(strokes: list[Stroke], rng: np.random.Generator, lo: float = 0.3, hi: float = 0.85) -> list[Stroke]:
    """Scale and move strokes (any coordinates) to a random size and place on the canvas."""
    xs = np.concatenate([[p[0] for p in s] for s in strokes])
    ys = np.concatenate([[p[1] for p in s] for s in strokes])
    span = max(np.ptp(xs), np.ptp(ys), 1e-6)
    size = rng.uniform(lo, hi)
    scale = size / span
    x0 = rng.uniform(0.06, max(0.06, 0.94 - np.ptp(xs) * scale))
    y0 = rng.uniform(0.06, max(0.06, 0.94 - np.ptp(ys) * scale))
    return [[(x0 + (x - xs.min()) * scale, y0 + (y - ys.min()) * scale) for x, y in s] for s in strokes]


def jitter(strokes: list[Stroke], rng: np.random.Generator, amount: float = 0.01) -> list[Stroke]:
    """A hand's wobble: each point moved a little, smoothly along the stroke."""
    out = []
    for s in strokes:
        points = np.asarray(s, np.float64)
        if len(points) > 2:
            dense = np.linspace(0, 1, max(len(points), 12))
            t = np.linspace(0, 1, len(points))
            points = np.stack([np.interp(dense, t, points[:, 0]), np.interp(dense, t, points[:, 1])], 1)
        wobble = np.cumsum(rng.normal(0, amount / 3, points.shape), axis=0)
        out.append([tuple(p) for p in points + wobble - wobble.mean(axis=0)])
    return out


@functools.cache
def _hershey(name: str):
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(name)
    font.normalize_rendering(1.0)
    return font


def letter(rng: np.random.Generator) -> list[Stroke]:
    font = _hershey(HERSHEY_FONTS[int(rng.integers(len(HERSHEY_FONTS)))])
    char = LETTERS[int(rng.integers(len(LETTERS)))]
    strokes: list[Stroke] = []
    for (x1, y1), (x2, y2) in font.lines_for_text(char):  # y grows upwards in Hershey's fonts
        a, b = (x1, -y1), (x2, -y2)
        if strokes and np.hypot(strokes[-1][-1][0] - a[0], strokes[-1][-1][1] - a[1]) < 1e-6:
            strokes[-1].append(b)
        else:
            strokes.append([a, b])
    slant = rng.uniform(-0.2, 0.2)
    return [[(x + slant * y, y) for x, y in s] for s in strokes]


def _polygon(n: int, rng: np.random.Generator, star: bool = False) -> Stroke:
    turn = rng.uniform(0, 2 * np.pi)
    k = 2 * n if star else n
    radii = [1.0 if i % 2 == 0 or not star else rng.uniform(0.35, 0.5) for i in range(k)]
    points = [(r * np.cos(turn + 2 * np.pi * i / k), r * np.sin(turn + 2 * np.pi * i / k)) for i, r in enumerate(radii)]
    return [*points, points[0]]


def shape(rng: np.random.Generator) -> list[Stroke]:
    kind = int(rng.integers(12))
    if kind == 0:  # triangle, square, pentagon, hexagon
        return [_polygon(int(rng.integers(3, 7)), rng)]
    if kind == 1:  # a star of 4 to 7 points
        return [_polygon(int(rng.integers(4, 8)), rng, star=True)]
    if kind == 2:  # a five-pointed star drawn in one stroke
        order = [0, 2, 4, 1, 3, 0]
        return [[(np.cos(np.pi / 2 + 2 * np.pi * i / 5), -np.sin(np.pi / 2 + 2 * np.pi * i / 5)) for i in order]]
    if kind == 3:  # a rectangle, wide or tall
        w, h = (1.0, rng.uniform(0.3, 0.7)) if rng.random() < 0.5 else (rng.uniform(0.3, 0.7), 1.0)
        return [[(0, 0), (w, 0), (w, h), (0, h), (0, 0)]]
    if kind == 4:  # an arrow
        a = rng.uniform(0, 2 * np.pi)
        tip = (np.cos(a), np.sin(a))
        back = [(np.cos(a + s * 2.6) * 0.45 + tip[0], np.sin(a + s * 2.6) * 0.45 + tip[1]) for s in (-1, 1)]
        return [[(-tip[0], -tip[1]), tip], [back[0], tip, back[1]]]
    if kind == 5:  # a heart
        t = np.linspace(0, 2 * np.pi, 40)
        return [
            list(
                zip(
                    16 * np.sin(t) ** 3,
                    -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)),
                    strict=True,
                )
            )
        ]
    if kind == 6:  # an X or a +
        if rng.random() < 0.5:
            return [[(0, 0), (1, 1)], [(1, 0), (0, 1)]]
        return [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]]
    if kind == 7:  # a spiral
        t = np.linspace(0, rng.uniform(3, 6) * np.pi, 80)
        return [list(zip(t * np.cos(t), t * np.sin(t), strict=True))]
    if kind == 8:  # a zigzag or a wave
        n = int(rng.integers(3, 7))
        if rng.random() < 0.5:
            return [[(i / n, float(i % 2) * rng.uniform(0.3, 0.6)) for i in range(n + 1)]]
        t = np.linspace(0, n * np.pi, 60)
        return [list(zip(t, 0.6 * np.sin(t), strict=True))]
    if kind == 9:  # a tick
        return [[(0, 0.6), (0.35, 1.0), (1.0, 0.0)]]
    if kind == 10:  # a face: a ring with eyes and a mouth (the ring alone would be a 0)
        t = np.linspace(0, 2 * np.pi, 40)
        m = np.linspace(0.25 * np.pi, 0.75 * np.pi, 12)
        return [
            list(zip(np.cos(t), np.sin(t), strict=True)),
            [(-0.35, -0.3), (-0.33, -0.28)],
            [(0.35, -0.3), (0.37, -0.28)],
            list(zip(0.55 * np.cos(m), 0.55 * np.sin(m), strict=True)),
        ]
    # a house, or a diamond with a cross
    if rng.random() < 0.5:
        return [[(0, 1), (0, 0.4), (0.5, 0), (1, 0.4), (1, 1), (0, 1)], [(0.4, 1), (0.4, 0.7), (0.6, 0.7), (0.6, 1)]]
    return [[(0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5), (0.5, 0)], [(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]]


def scribble(rng: np.random.Generator) -> list[Stroke]:
    """A pen path that keeps turning: a random walk with momentum that turns through at least
    two full circles in all (a gentler curve could be a digit's stroke)."""
    while True:
        steps = int(rng.integers(40, 140))
        bends = rng.normal(0, rng.uniform(0.25, 0.6), steps)
        if np.abs(bends).sum() >= 4 * np.pi:
            break
    heading = rng.uniform(0, 2 * np.pi)
    turn = np.cumsum(bends)
    xs = np.cumsum(np.cos(heading + turn))
    ys = np.cumsum(np.sin(heading + turn))
    strokes = [list(zip(xs, ys, strict=True))]
    if rng.random() < 0.3:  # a second scribble over it
        strokes.append(list(zip(xs[::-1] + rng.normal(0, 3), ys + rng.normal(0, 3), strict=True)))
    return strokes


def dash(rng: np.random.Generator) -> list[Stroke]:
    kind = rng.random()
    tilt = rng.uniform(-0.15, 0.15)
    if kind < 0.5:  # -
        return [[(0, 0), (1, tilt)]]
    if kind < 0.8:  # =
        gap = rng.uniform(0.2, 0.4)
        return [[(0, 0), (1, tilt)], [(0, gap), (1, gap + tilt)]]
    return [[(0.5, 0), (0.5 + tilt, 1)], [(0, 0.5), (1, 0.5)]]  # +


def hatching(rng: np.random.Generator) -> list[Stroke]:
    """Shading or crossing out: four to eight parallel strokes over a patch, crossed by a
    second set at 45–90° half the time."""
    n = int(rng.integers(4, 9))
    angle = rng.uniform(0, np.pi)
    angles = [angle] + ([angle + rng.uniform(np.pi / 4, np.pi / 2)] if rng.random() < 0.5 else [])
    strokes: list[Stroke] = []
    for a in angles:
        along, across = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
        for offset in np.linspace(-0.5, 0.5, n):
            middle = across * offset
            strokes.append([tuple(middle - along / 2), tuple(middle + along / 2)])
    return strokes


def _place(ink: np.ndarray, size: float, rng: np.random.Generator) -> np.ndarray:
    """White-on-black ink scaled so its longer side is `size` of the canvas, at a random place."""
    scale = size * CANVAS / max(ink.shape)
    shape = (max(1, int(ink.shape[1] * scale)), max(1, int(ink.shape[0] * scale)))
    big = np.asarray(Image.fromarray(ink).resize(shape, Image.Resampling.BILINEAR))
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    y = int(rng.integers(0, CANVAS - big.shape[0] + 1))
    x = int(rng.integers(0, CANVAS - big.shape[1] + 1))
    canvas[y : y + big.shape[0], x : x + big.shape[1]] = big
    return canvas


def _ink_columns(glyph: np.ndarray) -> np.ndarray:
    cols = np.flatnonzero(glyph.max(axis=0) > 30)
    return glyph[:, cols.min() : cols.max() + 1]


def digits_side_by_side(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A two- or three-digit number: 28×28 digits written next to each other, touching or
    apart, as a canvas, white on black."""
    count = 2 if rng.random() < 0.75 else 3
    picked = digits[rng.choice(len(digits), count, replace=False)]
    gap = rng.uniform(-1, 6)  # in MNIST pixels between the digits' boxes (negative: they touch)
    row = []
    for d in picked:
        row.append(_ink_columns(d))
        row.append(np.zeros((28, max(0, int(round(gap)))), np.uint8))
    return _place(np.concatenate(row[:-1], axis=1), rng.uniform(0.7, 0.95), rng)


def _wide(glyph: np.ndarray) -> bool:
    """A digit wide enough that part of it is not itself a digit (a 1's part is a 1)."""
    ink = _ink_columns(glyph)
    rows = np.flatnonzero(glyph.max(axis=1) > 30)
    return ink.shape[1] >= 0.45 * (rows[-1] - rows[0] + 1)


def _wide_digit(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    while True:
        glyph = digits[int(rng.integers(len(digits)))]
        if _wide(glyph):
            return _ink_columns(glyph)


def fragment(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The left or right 25-60% of a wide digit's ink: what a cut through a digit leaves."""
    ink = _wide_digit(digits, rng)
    keep = max(2, int(ink.shape[1] * rng.uniform(0.25, 0.6)))
    part = ink[:, :keep] if rng.random() < 0.5 else ink[:, -keep:]
    return _place(part, rng.uniform(0.5, 0.95), rng)


def joined(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A digit with 20-45% of a wide neighbour's ink touching it, on its left or right."""
    main, other = _ink_columns(digits[int(rng.integers(len(digits)))]), _wide_digit(digits, rng)
    keep = max(2, int(other.shape[1] * rng.uniform(0.2, 0.45)))
    overlap = int(rng.integers(0, 2))
    if rng.random() < 0.5:
        row = np.concatenate([other[:, -keep:], main], axis=1)
    else:
        row = np.concatenate([main, other[:, :keep]], axis=1)
    if overlap:  # the two strokes pressed one column together
        row = np.maximum(row[:, :-1], row[:, 1:])
    return _place(row, rng.uniform(0.6, 0.95), rng)


def handwritten(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A real writer's 28×28 character written big on the canvas, anywhere, white on black."""
    return _place(ink_crop(glyph), rng.uniform(0.35, 0.9), rng)


def handwritten_letters(part: str) -> np.ndarray:
    """EMNIST's HANDWRITTEN_LETTERS in one part of the shared split, (N, 28, 28) uint8."""
    from .emnist import load_characters

    data = load_characters(part)
    return data.images[np.isin(np.array(data.label_names)[data.labels], list(HANDWRITTEN_LETTERS))]


def handwritten_digits(part: str) -> np.ndarray:
    """EMNIST's digits in one part of the shared split (its labels 0–9 come first)."""
    from .emnist import load_characters

    data = load_characters(part)
    return data.images[data.labels < 10]


def negative_canvas(
    kind: str, rng: np.random.Generator, digits: np.ndarray, letters: np.ndarray | None = None
) -> np.ndarray:
    """One 280×280 canvas of the given kind."""
    if kind == "digits":
        return digits_side_by_side(digits, rng)
    if kind in ("fragment", "joined"):
        return {"fragment": fragment, "joined": joined}[kind](digits, rng)
    if kind == "handwritten":
        return handwritten(letters[int(rng.integers(len(letters)))], rng)
    brush = rng.uniform(15, 25)
    make = {"letter": letter, "shape": shape, "scribble": scribble, "dash": dash, "hatching": hatching}[kind]
    strokes = jitter(make(rng), rng, amount=0.0 if kind == "dash" else 0.01)
    return render(fit(strokes, rng), brush)


def negatives(
    count: int, seed: int, digits: np.ndarray, letters: np.ndarray | None = None, shares: dict | None = None
) -> tuple[np.ndarray, list[str]]:
    """`count` preprocessed negatives (N, 28, 28) uint8 with their kinds, numbers made of
    `digits` and real letters drawn from `letters` (none when None); canvases the
    preprocessing refuses as nothing drawn (a tiny dash, say) are drawn again. `shares`
    changes the share of some kinds (WEIGHTS otherwise)."""
    rng = np.random.default_rng(seed)
    share = {**WEIGHTS, **(shares or {})}
    kinds_used = [k for k in KINDS if share[k] > 0 and (k != "handwritten" or letters is not None)]
    weights = np.array([share[k] for k in kinds_used])
    images, kinds = [], []
    while len(images) < count:
        kind = kinds_used[int(rng.choice(len(kinds_used), p=weights / weights.sum()))]
        try:
            images.append(to_uint8(preprocess(negative_canvas(kind, rng, digits, letters))))
        except EmptyImageError:
            continue
        kinds.append(kind)
    return np.stack(images), kinds


def plain_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits drawn as plainly as they come, which must stay digits: a straight stroke within
    20° of vertical (a 1) and a ring, round or oval (a 0). Preprocessed, (N, 28, 28) uint8."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for i in range(count):
        if i % 2 == 0:
            lean = np.tan(np.deg2rad(rng.uniform(-20, 20)))
            strokes = [[(0.5 - lean / 2, 0.0), (0.5 + lean / 2, 1.0)]]
            label = 1
        else:
            t = np.linspace(0, 2 * np.pi, 48)
            squash = rng.uniform(0.55, 1.0)
            strokes = [list(zip(squash * np.cos(t), np.sin(t), strict=True))]
            label = 0
        canvas = render(fit(jitter(strokes, rng, 0.006), rng, 0.35, 0.9), rng.uniform(15, 25))
        images.append(to_uint8(preprocess(canvas)))
        labels.append(label)
    return np.stack(images), np.array(labels, np.int64)
