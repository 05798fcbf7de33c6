"""Written lines of numbers as documents carry them, composed of real writers' digits, for
training and measuring a line reader. The composition is in docs/lines.md (written before the
first measurement); each draw says which conditions it holds, so a figure can be read apart
for each.

A line is drawn in three layers, the way a page is made: the paper and what is printed on it
(rulings, a column line, a page's dark edge, security patterns, printed words), the writing
(MNIST's or EMNIST's digit glyphs of the asked part, and separators and marks drawn as pen
strokes: . , - ' /), and how it was captured (a scan, a small low-resolution scan in JPEG, a
canvas light on dark, or a phone photo by the first photo maker, synth.photo_of_writing).

    line = compose_line(glyphs, rng, printed_fonts)   # Line(page, written, boxes, conditions)
    written_text("1.250,00") → "125000"               # the digits a number reads as
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from .numbers import write_line, written_glyph
from .synth import photo_of_writing

# What a line network for numbers emits besides the digits: the separators and marks a
# written amount or date carries. A currency sign, printed words and everything else: nothing.
MARKS = ".,-'/"
LENGTHS = (1, 12)  # digits in a line, each count equally likely
# The distractor sources are split: what training draws from, and what the test material does.
PRINTED_FAMILIES = {"train": ("dejavu", "liberation2"), "test": ("freefont", "noto")}
PATTERN_FAMILIES = {"train": ("guilloche", "tint", "dots"), "test": ("waves", "grid", "speckle")}
WORDS = ("Total", "Montant", "Betrag", "Amount", "Summe", "No.", "Nr.", "Date", "Datum", "CHF", "Fr.", "EUR",
         "Reg.", "Konto", "Pay", "Solde", "Compte", "Franken")  # fmt: skip
CURRENCIES = ("$", "€", "£", "CHF", "Fr.", "EUR", "USD")


@dataclass
class Line:
    page: np.ndarray  # uint8 grey: the picture as a reader receives it (decoded)
    written: str  # what is written as the network reads it: digits and MARKS
    boxes: list[tuple[int, int, int, int]]  # each digit's x, y, width, height on the page
    conditions: set[str] = field(default_factory=set)
    jpeg: bytes | None = None  # a small scan's or a photo's own bytes (what a reader decodes)


def written_text(written: str) -> str:
    """The digits of what is written: the number's text (separators and marks left out)."""
    return "".join(c for c in written if c.isdigit())


def printed_fonts(part: str, root: str | Path = "/usr/share/fonts") -> list[Path]:
    """Debian's printed (not handwriting) fonts of this part's families ("train" or "test")."""
    return sorted(p for family in PRINTED_FAMILIES[part] for p in Path(root).glob(f"truetype/{family}/*.ttf"))


def _amount(rng: np.random.Generator) -> str:
    """A number as written on a document: digits, maybe grouped, maybe with decimals or a mark."""
    n = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
    digits = "".join(str(int(d)) for d in rng.integers(0, 10, n))
    kind = rng.random()
    if kind < 0.45 or n < 3:
        text = digits
    elif kind < 0.8:  # an amount: thousands grouped, decimals
        decimals = 2 if rng.random() < 0.5 and n > 3 else 0
        whole, cents = digits[: n - decimals], digits[n - decimals :]
        group = str(rng.choice([".", "'", ","])) if rng.random() < 0.6 and len(whole) > 3 else ""
        parts = [whole[max(0, i - 3) : i] for i in range(len(whole), 0, -3)][::-1]
        text = group.join(parts)
        if cents:
            text += ("," if group != "," else ".") + cents
        if rng.random() < 0.2:
            text += str(rng.choice([".-", ",-", "-"]))
    elif kind < 0.9 and n >= 6:  # a date
        sep = str(rng.choice(["/", ".", "-"]))
        text = f"{digits[:2]}{sep}{digits[2:4]}{sep}{digits[4:8]}"
    else:  # a code with a dash or a mark after
        cut = int(rng.integers(1, n))
        text = digits[:cut] + (
            "-" + digits[cut:] if rng.random() < 0.5 else digits[cut:] + str(rng.choice([".", ",", "-"]))
        )
    return text


def mark(mark: str, height: float, width_px: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A separator or mark drawn as a pen stroke `width_px` wide for a line `height` tall: its
    ink in [0, 1] and its bottom's shift below the baseline."""
    pen = max(1.0, width_px)
    h = height
    if mark == ".":
        size = int(max(2, pen * rng.uniform(1.0, 1.6)))
        image, shift = Image.new("L", (size + 2, size + 2), 0), rng.uniform(-0.02, 0.03) * h
        ImageDraw.Draw(image).ellipse((1, 1, size, size), fill=255)
    elif mark == ",":
        tall = int(max(3, h * rng.uniform(0.18, 0.3)))
        image, shift = Image.new("L", (int(tall * 0.6) + 3, tall + 2), 0), tall * rng.uniform(0.35, 0.6)
        ImageDraw.Draw(image).line([(image.width - 2, 1), (1, tall)], fill=255, width=int(pen))
    elif mark == "-":
        long = int(max(4, h * rng.uniform(0.25, 0.55)))
        image = Image.new("L", (long + 2, int(h * 0.55)), 0)
        y = int(rng.uniform(0.05, 0.3) * h)
        ImageDraw.Draw(image).line([(1, y + rng.uniform(-1, 1) * pen), (long, y)], fill=255, width=int(pen))
        shift = -rng.uniform(0.0, 0.1) * h
    elif mark == "'":
        tall = int(max(3, h * rng.uniform(0.2, 0.35)))
        image = Image.new("L", (int(tall * 0.4) + 3, int(h)), 0)
        ImageDraw.Draw(image).line([(image.width - 2, 1), (1, tall)], fill=255, width=int(pen))
        shift = 0.0
    else:  # "/"
        image = Image.new("L", (int(h * rng.uniform(0.35, 0.6)), int(h)), 0)
        ImageDraw.Draw(image).line([(image.width - 2, 1), (1, image.height - 2)], fill=255, width=int(pen))
        shift = 0.0
    return np.asarray(image, np.float32) / 255.0, shift


def printed(text: str, font: Path | None, height: float) -> np.ndarray:
    """Printed text `height` px tall (its capitals'), ink in [0, 1]; PIL's own font without one."""
    size = max(6, int(height * 1.35))
    try:
        face = ImageFont.truetype(str(font), size) if font else ImageFont.load_default(size)
    except OSError:
        face = ImageFont.load_default(size)
    left, top, right, bottom = face.getbbox(text)
    image = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(image).text((2 - left, 2 - top), text, font=face, fill=255)
    return np.asarray(image, np.float32) / 255.0


def _elastic(ink: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """A smooth random displacement of the writing (Simard et al. 2003), `amount` px at most."""
    if amount <= 0 or min(ink.shape) < 8:
        return ink
    coarse = (max(2, ink.shape[0] // 12), max(2, ink.shape[1] // 12))
    dy, dx = (ndimage.zoom(rng.uniform(-1, 1, coarse), (ink.shape[0] / coarse[0], ink.shape[1] / coarse[1]), order=1)
              for _ in range(2))  # fmt: skip
    dy, dx = dy[: ink.shape[0], : ink.shape[1]] * amount, dx[: ink.shape[0], : ink.shape[1]] * amount
    ys, xs = np.mgrid[0 : ink.shape[0], 0 : ink.shape[1]].astype(np.float32)
    return ndimage.map_coordinates(ink, [ys + dy, xs + dx], order=1, mode="constant")


def _writing(written: str, glyphs: dict[str, np.ndarray], rng: np.random.Generator, height: float, fonts):
    """The written line's ink (light on dark, [0, 1]), its digit boxes, and what it holds."""
    conditions = set()
    thicken = int(rng.integers(0, 3))
    pen = max(1.0, height * rng.uniform(0.06, 0.12))
    parts, gaps, is_digit = [], [], []
    if rng.random() < 0.12:  # a currency before the amount: printed or in the writer's hand, read as nothing
        conditions.add("currency")
        part = printed(str(rng.choice(CURRENCIES)), fonts[int(rng.integers(len(fonts)))] if fonts else None,
                        height * rng.uniform(0.6, 0.9))  # fmt: skip
        parts.append((part, 0.0))
        gaps.append(rng.uniform(0.1, 0.5) * height)
        is_digit.append(False)
    touching = False
    for k, char in enumerate(written):
        if char.isdigit():
            pool = glyphs[char]
            glyph = pool[int(rng.integers(len(pool)))]
            parts.append(
                (written_glyph(glyph, height * rng.uniform(0.85, 1.1), thicken), rng.uniform(-0.05, 0.05) * height)
            )
            is_digit.append(True)
        else:
            parts.append(mark(char, height, pen, rng))
            is_digit.append(False)
            conditions.add("separators")
        if k + 1 < len(written):
            if char.isdigit() and written[k + 1].isdigit() and rng.random() < 0.3:
                gaps.append(rng.uniform(-0.15, 0.0) * height)
                touching = True
            else:
                gaps.append(rng.uniform(0.02, 0.45) * height)
    if touching:
        conditions.add("touching")
    number = write_line(parts, gaps, height, rng.uniform(-0.25, 0.25), rng, below=0.3)
    ink = number.canvas.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        ink = _elastic(ink, rng, rng.uniform(0.5, 0.04 * height + 0.5))
    boxes = [b for b, d in zip(number.boxes, is_digit, strict=True) if d]
    return ink, boxes, conditions


def security_pattern(shape: tuple[int, int], family: str, rng: np.random.Generator) -> np.ndarray:
    """A security paper's background print as darkness in [0, 1] (light: the writing stays darker)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    strength = rng.uniform(0.08, 0.3)
    if family in ("guilloche", "waves"):
        out = np.zeros(shape, np.float32)
        period = rng.uniform(8, 30) if family == "guilloche" else rng.uniform(20, 60)
        for _ in range(int(rng.integers(3, 8))):
            phase, amp, freq = (
                rng.uniform(0, 2 * np.pi),
                rng.uniform(2, h / 3),
                rng.uniform(0.5, 3) * 2 * np.pi / max(w, 1),
            )
            offset = rng.uniform(0, period)
            v = ys - amp * np.sin(xs * freq + phase) - offset
            distance = np.abs((v + period / 2) % period - period / 2)
            out = np.maximum(out, np.clip(1.0 - distance / rng.uniform(0.6, 1.4), 0, 1))
        return out * strength
    if family in ("tint", "grid"):
        angle = rng.uniform(0, 2 * np.pi)
        along = (xs * np.cos(angle) + ys * np.sin(angle)) / max(h, w)
        out = (along - along.min()) / max(1e-6, float(np.ptp(along)))
        if family == "grid":
            step = rng.uniform(4, 10)
            out = 0.5 * out + 0.5 * (
                (np.abs(((xs + ys) % step) - step / 2) < 0.8) | (np.abs(((xs - ys) % step) - step / 2) < 0.8)
            )
        return out.astype(np.float32) * strength
    # dots / speckle: a printed screen of dots, or a paper's coloured fibres
    if family == "dots":
        step = rng.uniform(3, 7)
        out = ((np.abs(xs % step - step / 2) < 0.9) & (np.abs(ys % step - step / 2) < 0.9)).astype(np.float32)
    else:
        out = (rng.random(shape) < rng.uniform(0.01, 0.05)).astype(np.float32)
        out = ndimage.grey_dilation(out, size=(2, 2))
    return out * strength


def compose_line(
    glyphs: dict[str, np.ndarray],
    rng: np.random.Generator,
    fonts: list[Path],
    part: str = "train",
    scale: tuple[float, float] = (22, 56),
) -> Line:
    """One written number on its piece of document, by the composition in docs/lines.md.
    `glyphs` maps each digit to its 28×28 glyphs (white on black); `fonts` are the printed
    fonts and `part` the pattern families of the training or the test material."""
    written = _amount(rng)
    height = rng.uniform(*scale)
    ink, boxes, conditions = _writing(written, glyphs, rng, height, fonts)
    return on_document(ink, boxes, written, conditions, height, rng, fonts, part)


@dataclass
class Printed:
    """What is printed near the writing: words drawn from `words` on `share` of the lines, at
    `size` of the writing's height, before it on its line, above or below (`where`: the first
    two shares)."""

    words: tuple[str, ...] = WORDS
    share: float = 0.15
    size: tuple[float, float] = (0.25, 0.55)
    where: tuple[float, float] = (0.4, 0.7)


def on_document(
    ink: np.ndarray,
    boxes: list,
    written: str,
    conditions: set[str],
    height: float,
    rng: np.random.Generator,
    fonts: list[Path],
    part: str = "train",
    printed_ink: np.ndarray | None = None,
    words: Printed = Printed(),  # noqa: B008 (a frozen default)
) -> Line:
    """The written ink (light on dark, [0, 1]) put on its piece of document and captured, by
    the composition in docs/lines.md; `printed_ink` (the ink's shape) is printed with the page
    (a form's label and boxes beside the writing)."""
    # Room around the writing for what a document carries near it.
    pad_top, pad_bottom = int(height * rng.uniform(0.15, 1.2)), int(height * rng.uniform(0.15, 1.2))
    pad_left, pad_right = int(height * rng.uniform(0.1, 1.5)), int(height * rng.uniform(0.1, 1.5))
    h, w = ink.shape[0] + pad_top + pad_bottom, ink.shape[1] + pad_left + pad_right
    writing = np.zeros((h, w), np.float32)
    writing[pad_top : pad_top + ink.shape[0], pad_left : pad_left + ink.shape[1]] = ink
    boxes = [(x + pad_left, y + pad_top, bw, bh) for x, y, bw, bh in boxes]
    baseline = pad_top + max((y + bh for _, y, _, bh in boxes), default=pad_top + int(height)) - pad_top
    print_layer = np.zeros((h, w), np.float32)
    if printed_ink is not None:
        print_layer[pad_top : pad_top + ink.shape[0], pad_left : pad_left + ink.shape[1]] = printed_ink
    style = rng.random()
    if style < 0.12:  # a canvas or a script's pixels: light on dark (a form's own print kept)
        conditions.add("light_on_dark")
        page = np.clip(np.maximum(writing, print_layer) * 255 * rng.uniform(0.7, 1.0), 0, 255)
        return _turned(Line(page.astype(np.uint8), written, boxes, conditions), rng)
    if rng.random() < 0.3:
        conditions.add("rulings")
        spacing = height * rng.uniform(1.1, 1.8)
        first = (baseline + rng.uniform(-0.1, 0.25) * height) % spacing
        thickness = rng.uniform(0.8, 2.2)
        ys = np.arange(h, dtype=np.float32)[:, None]
        distance = np.abs((ys - first + spacing / 2) % spacing - spacing / 2)
        print_layer = np.maximum(print_layer, np.clip(thickness / 2 + 0.5 - distance, 0, 1) * rng.uniform(0.25, 0.8))
    elif rng.random() < 0.2:
        conditions.add("underline")
        y = int(min(h - 2, baseline + rng.uniform(0.05, 0.3) * height))
        print_layer[
            y : y + max(1, int(rng.uniform(1, 3))), int(rng.uniform(0, 0.2) * w) : int(rng.uniform(0.8, 1.0) * w)
        ] = rng.uniform(0.4, 0.9)
    if rng.random() < 0.12:
        conditions.add("column_line")
        x = int(rng.choice([rng.uniform(0, 0.6 * pad_left + 1), w - 1 - rng.uniform(0, 0.6 * pad_right + 1)]))
        print_layer[:, max(0, x) : max(0, x) + max(1, int(rng.uniform(1, 3)))] = rng.uniform(0.4, 0.9)
    if rng.random() < words.share:
        conditions.add("printed_words")
        word = printed(str(rng.choice(words.words)), fonts[int(rng.integers(len(fonts)))] if fonts else None,
                        height * rng.uniform(*words.size))  # fmt: skip
        wh, ww = word.shape
        where = rng.random()
        if where < words.where[0] and pad_left > ww:  # before the writing, on its line
            y, x = int(baseline - wh), int(rng.uniform(0, pad_left - ww))
        elif where < words.where[1] and pad_top > wh:  # above it
            y, x = int(rng.uniform(0, pad_top - wh)), int(rng.uniform(0, max(1, w - ww)))
        else:  # below it
            y, x = int(min(h - wh, baseline + rng.uniform(0.3, 0.8) * height)), int(rng.uniform(0, max(1, w - ww)))
        y, x = max(0, min(y, h - wh)), max(0, min(x, w - ww))
        region = print_layer[y : y + wh, x : x + ww]
        np.maximum(region, word[: region.shape[0], : region.shape[1]] * rng.uniform(0.6, 1.0), out=region)
    if rng.random() < 0.2:
        family = str(rng.choice(PATTERN_FAMILIES[part]))
        conditions.add("security_paper")
        print_layer = np.maximum(print_layer, security_pattern((h, w), family, rng))
    if rng.random() < 0.08:
        conditions.add("page_edge")
        edge = int(rng.uniform(0.02, 0.6) * min(pad_left, pad_right, pad_top) + 1)
        side = int(rng.integers(4))
        dark = np.zeros((h, w), np.float32)
        {0: dark[:, :edge], 1: dark[:, w - edge :], 2: dark[:edge], 3: dark[h - edge :]}[side][...] = rng.uniform(
            0.5, 0.9
        )
        print_layer = np.maximum(print_layer, dark)
    if style < 0.27:  # a phone photo of the paper (the first photo maker)
        conditions.add("photo")
        data, _ = photo_of_writing(writing, print_layer, rng)
        return Line(np.zeros((1, 1), np.uint8), written, boxes, conditions, jpeg=data)
    paper, pen = rng.uniform(190, 250), rng.uniform(0, 90)
    tone = paper * (1 - print_layer * rng.uniform(0.6, 1.0)) - writing * (paper - pen)
    tone += rng.normal(0, rng.uniform(0, 4), tone.shape)
    page = np.clip(np.rint(tone), 0, 255).astype(np.uint8)
    line = _turned(Line(page, written, boxes, conditions), rng)
    if style < 0.45:  # a small low-resolution scan: the writing 20-60 px... or less, in JPEG
        conditions.add("small_scan")
        target = rng.uniform(14, 30)  # the digits' height in the scan
        factor = min(1.0, target / height)
        small = Image.fromarray(line.page).resize(
            (max(8, int(line.page.shape[1] * factor)), max(8, int(line.page.shape[0] * factor))), Image.Resampling.BOX
        )
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=int(rng.integers(40, 90)))
        line.boxes = [tuple(int(v * factor) for v in b) for b in line.boxes]
        line.jpeg = buffer.getvalue()
    return line


def _turned(line: Line, rng: np.random.Generator) -> Line:
    """The page turned by up to ±5° (a line written or scanned askew); a third of lines are."""
    if rng.random() < 2 / 3:
        return line
    line.conditions.add("turned")
    angle = rng.uniform(-5, 5)
    background = int(np.median(np.concatenate([line.page[0], line.page[-1]])))
    line.page = np.asarray(
        Image.fromarray(line.page).rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor=background)
    )
    return line


def write_amount(
    written: str, glyph_of: dict[str, np.ndarray], rng: np.random.Generator, height: float = 48, touching: bool = False
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """`written` in the given glyph for each digit (marks drawn as pen strokes), upright, its
    digits touching or apart: the ink (light on dark, [0, 1]) and each digit's box. For tests
    and examples that need a known amount, not a random draw."""
    pen = max(1.0, height * 0.08)
    parts, gaps, digits = [], [], []
    for k, char in enumerate(written):
        if char.isdigit():
            parts.append((written_glyph(glyph_of[char], height, 1), 0.0))
        else:
            parts.append(mark(char, height, pen, rng))
        digits.append(char.isdigit())
        if k + 1 < len(written):
            joined = touching and char.isdigit() and written[k + 1].isdigit()
            gaps.append(-0.08 * height if joined else 0.2 * height)
    line = write_line(parts, gaps, height, 0.0, rng, below=0.3)
    return line.canvas.astype(np.float32) / 255.0, [b for b, d in zip(line.boxes, digits, strict=True) if d]


def digit_glyphs(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Glyphs by digit (labels 0-9 only)."""
    return {str(d): images[labels == d] for d in range(10)}
