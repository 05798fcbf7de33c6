"""Written lines of words, names and codes as forms and documents carry them, composed of
EMNIST's writers' letters and digits, for training and measuring the line network for
characters. The composition is in docs/lines.md ("Lines of words", written before the first
measurement); each line says which conditions it holds.

The writing is drawn here (which text, its letters' heights, how far apart they stand, an
accent over a capital, a form's printed label beside it and the boxes of a comb field); the
document around it and how it was captured are the numbers' (data.lines.on_document).

    line = compose_text_line(glyphs, rng, fonts)       # data.lines.Line, written in TEXT_LABELS
    ink, printed_ink, boxes = write_text("JOHN", glyph_of, rng, "spaced", label="NOM :")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .emnist import CHARACTER_LABELS
from .lines import Line, Printed, mark, on_document, printed
from .numbers import write_line, written_glyph
from .words import glyph_class, letter_place

# What the line network for characters emits: EMNIST's 47 characters, the space between words,
# and the hyphen and apostrophe inside them. A printed label, a form's boxes: nothing.
TEXT_LABELS = [*CHARACTER_LABELS, " ", "-", "'"]
INSIDE_WORDS = "-'"
# A form's printed labels: beside the writing on its line, or above it.
FORM_LABELS = ("NOM :", "Nom", "Nom :", "Prénom", "Prénom :", "Name", "Name:", "NAME", "Vorname", "Nachname",
               "Surname", "First name", "Nome", "Cognome", "Apellido", "Ville", "Ort", "City", "Town", "Rue",
               "Strasse", "Signature", "Titre", "Firma", "Pays", "Land")  # fmt: skip
STYLES = {  # which writing, and how often
    "spaced": 0.28,  # capitals written apart, as in a form (gaps up to a letter's width)
    "capitals": 0.18,  # capitals written as a word
    "lower": 0.22,  # lower case, a third capitalised
    "hyphenated": 0.08,  # JEAN-PIERRE, O'NEIL, l'eau
    "code": 0.12,  # letters and digits: AB12, 3B, X7Y
    "single": 0.04,  # one character alone
    "boxed": 0.08,  # capitals one a cell in a comb field's boxes
}
ACCENTS = ("acute", "grave", "circumflex", "diaeresis", "dot")
UPPER, LOWER, DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"


def target(text: str) -> str:
    """What the network emits for a text: each letter as EMNIST files it (the fifteen letters
    it merges across case as their capital), spaces, hyphens and apostrophes as themselves."""
    return "".join(ch if ch in " -'" else CHARACTER_LABELS[glyph_class(ch)] for ch in text)


def _word(rng: np.random.Generator, letters: str, low: int = 2, high: int = 10) -> str:
    return "".join(rng.choice(list(letters), int(rng.integers(low, high + 1))))


def random_text(style: str, rng: np.random.Generator) -> str:
    """A text of this style, its letters drawn uniformly (no word list: the network learns no
    language the measurement's words could share)."""
    two = rng.random() < 0.25
    if style in ("spaced", "capitals", "boxed"):
        return " ".join(_word(rng, UPPER) for _ in range(1 + two))
    if style == "lower":
        words = [_word(rng, LOWER) for _ in range(1 + two)]
        return " ".join(w.capitalize() if rng.random() < 0.33 else w for w in words)
    if style == "hyphenated":
        capitals = rng.random() < 0.6
        first = _word(rng, UPPER if capitals else LOWER, 1 if rng.random() < 0.4 else 2, 6)
        second = _word(rng, UPPER if capitals else LOWER, 2, 7)
        if len(first) == 1 or rng.random() < 0.3:
            return f"{first}'{second}"
        joined = f"{first}-{second}"
        return joined if capitals else joined.title()
    if style == "code":
        pieces = [_word(rng, UPPER, 1, 3), _word(rng, DIGITS, 1, 4)]
        if rng.random() < 0.4:
            pieces.reverse()
        if rng.random() < 0.3:
            pieces.append(_word(rng, UPPER + DIGITS, 1, 2))
        return "".join(pieces)
    return str(rng.choice(list(UPPER + LOWER + DIGITS)))  # single


def accent(kind: str, width: int, height: float, pen: float) -> np.ndarray:
    """An accent or a dot over a capital, drawn as pen strokes: its ink in [0, 1]."""
    h, w = max(3, int(height)), max(4, width)
    image = Image.new("L", (w, h), 0)
    draw, pen_px = ImageDraw.Draw(image), max(1, int(pen))
    mid = w / 2
    if kind == "acute":
        draw.line([(mid - 0.15 * w, h - 1), (mid + 0.2 * w, 0)], fill=255, width=pen_px)
    elif kind == "grave":
        draw.line([(mid - 0.2 * w, 0), (mid + 0.15 * w, h - 1)], fill=255, width=pen_px)
    elif kind == "circumflex":
        draw.line([(mid - 0.3 * w, h - 1), (mid, 0), (mid + 0.3 * w, h - 1)], fill=255, width=pen_px)
    else:  # diaeresis, dot
        r = max(1.0, pen * 0.7)
        for x in (mid - 0.22 * w, mid + 0.22 * w) if kind == "diaeresis" else (mid,):
            draw.ellipse((x - r, h / 2 - r, x + r, h / 2 + r), fill=255)
    return np.asarray(image, np.float32) / 255.0


def _gap(style: str, rng: np.random.Generator, height: float, spaced: float) -> float:
    if style == "spaced":
        return spaced * rng.uniform(0.7, 1.3) * height
    if rng.random() < 0.25:
        return rng.uniform(-0.1, 0.0) * height
    return rng.uniform(0.03, 0.35) * height


def write_text(
    text: str,
    glyph_of,
    rng: np.random.Generator,
    style: str,
    height: float = 48,
    label: str | None = None,
    font: Path | None = None,
    slant: float = 0.0,
    accents: float = 0.0,
    thicken: int = 1,
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int, int]]]:
    """`text` written on one line in this style, each character a glyph from `glyph_of(ch)`
    (28×28, white on black), `height` px its capitals; `label` printed before it in `font`;
    a share `accents` of its capitals with an accent over them. The writing's ink and the
    print's (light on dark, [0, 1], of one shape) and each written character's box."""
    pen = max(1.0, height * 0.08)
    spaced = rng.uniform(0.15, 0.75)  # a spaced line's typical gap, as a share of the height
    parts, gaps, kinds = [], [], []  # kinds: "label", "char", "mark"
    label_ink = None
    if label:
        label_ink = printed(label, font, height * rng.uniform(0.4, 0.8))
        parts.append((np.zeros_like(label_ink), rng.uniform(-0.03, 0.03) * height))
        kinds.append("label")
    word_gap = False
    pieces = []
    for ch in text:
        if ch == " ":
            word_gap = True
            continue
        if ch in INSIDE_WORDS:
            ink, shift = mark(ch, height, pen, rng)
            pieces.append((ink, shift, "mark", word_gap))
        else:
            share, shift = letter_place(ch, rng)
            ink = written_glyph(glyph_of(ch), max(2, round(height * share)), thicken)
            if ch.isupper() and rng.random() < accents:
                over = accent(str(rng.choice(ACCENTS)), ink.shape[1], height * rng.uniform(0.15, 0.25), pen)
                room = np.zeros((max(1, int(height * rng.uniform(0.05, 0.12))), ink.shape[1]), np.float32)
                ink = np.vstack([over, room, ink])
            pieces.append((ink, shift * height, "char", word_gap))
        word_gap = False
    pitch = max([p[0].shape[1] for p in pieces if p[2] == "char"], default=height) * rng.uniform(1.2, 1.5)
    for ink, shift, kind, after_space in pieces:
        if parts:
            if kinds[-1] == "label":
                gap = rng.uniform(0.3, 1.5) * height
            elif style == "boxed":  # each letter centred in its cell; a space an empty cell
                gap = pitch - (parts[-1][0].shape[1] + ink.shape[1]) / 2 + pitch * after_space
            elif after_space:
                gap = (spaced * 1.3 if style == "spaced" else 0) * height + rng.uniform(0.6, 1.2) * height
            elif kind == "mark" or kinds[-1] == "mark":
                gap = rng.uniform(0.02, 0.2) * height
            else:
                gap = _gap(style, rng, height, spaced)
            gaps.append(gap)
        parts.append((ink, shift))
        kinds.append(kind)
    line = write_line(parts, gaps, height, slant, rng, below=0.35)
    ink = line.canvas.astype(np.float32) / 255.0
    print_ink = np.zeros_like(ink)
    boxes = [b for b, kind in zip(line.boxes, kinds, strict=True) if kind != "label"]
    if label_ink is not None:
        x, y, _, _ = line.boxes[0]
        region = print_ink[y : y + label_ink.shape[0], x : x + label_ink.shape[1]]
        np.maximum(region, label_ink[: region.shape[0], : region.shape[1]], out=region)
    if style == "boxed":
        ink, print_ink, boxes = _comb(ink, print_ink, boxes, pitch, height, rng)
    return ink, print_ink, boxes


def _comb(ink, print_ink, boxes, pitch: float, height: float, rng: np.random.Generator):
    """A comb field's boxes printed around letters centred one a cell (and 0-3 empty cells
    after): the ink widened for them, the print with the frame."""
    extra = int(rng.integers(0, 4))
    cell_h = height * rng.uniform(1.25, 1.6)
    bottom = max(y + h for _, y, _, h in boxes)
    top = bottom - height - (cell_h - height) / 2
    centres = [x + w / 2 for x, _, w, _ in boxes]
    first = centres[0] - pitch / 2
    count = round((centres[-1] - centres[0]) / pitch) + 1 + extra
    pad_top, pad_right = max(0, int(-top) + 2), int(extra * pitch) + 4
    ink = np.pad(ink, ((pad_top, pad_top), (0, pad_right)))
    print_ink = np.pad(print_ink, ((pad_top, pad_top), (0, pad_right)))
    top += pad_top
    boxes = [(x, y + pad_top, w, h) for x, y, w, h in boxes]
    line = int(rng.integers(1, 4))
    frame = rng.uniform(0.55, 1.0)
    y0, y1 = int(max(0, top)), int(min(print_ink.shape[0] - line, top + cell_h))
    x0, x1 = int(max(0, first)), int(min(print_ink.shape[1] - line, first + count * pitch))
    print_ink[y0 : y0 + line, x0:x1] = frame
    print_ink[y1 : y1 + line, x0:x1] = frame
    for k in range(count + 1):
        x = int(first + k * pitch)
        if 0 <= x < print_ink.shape[1] - line:
            print_ink[y0 : y1 + line, x : x + line] = frame
    return ink, print_ink, boxes


def compose_text_line(
    glyphs: dict[int, np.ndarray],
    rng: np.random.Generator,
    fonts: list[Path],
    part: str = "train",
    scale: tuple[float, float] = (22, 56),
) -> Line:
    """One written text on its piece of document, by the composition in docs/lines.md.
    `glyphs` maps each EMNIST class to its 28×28 glyphs; `fonts` the printed fonts of the part."""
    style = str(rng.choice(list(STYLES), p=np.array(list(STYLES.values())) / sum(STYLES.values())))
    text = random_text(style, rng)
    height = rng.uniform(*scale)
    conditions = {style}
    if " " in text:
        conditions.add("two_words")
    beside = rng.random() < (0.4 if style in ("spaced", "capitals", "boxed") else 0.2)
    label = str(rng.choice(FORM_LABELS)) if beside else None
    font = fonts[int(rng.integers(len(fonts)))] if fonts and label else None
    if label:
        conditions.add("label")
    accents = 0.12 if style in ("spaced", "capitals", "boxed", "hyphenated") and rng.random() < 0.3 else 0.0
    if accents:
        conditions.add("accents")
    slant = rng.uniform(-0.05, 0.05) if style == "boxed" else rng.uniform(-0.2, 0.2)

    def glyph_of(ch: str) -> np.ndarray:
        pool = glyphs[glyph_class(ch)]
        return pool[int(rng.integers(len(pool)))]

    ink, print_ink, boxes = write_text(
        text, glyph_of, rng, style, height, label, font, slant, accents, int(rng.integers(0, 3))
    )
    return on_document(
        ink, boxes, target(text), conditions, height, rng, fonts, part, print_ink,
        Printed(FORM_LABELS, share=0.15, size=(0.3, 0.6), where=(0.15, 0.8)),
    )  # fmt: skip


def class_glyphs(images: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """Glyphs by EMNIST class (labels into CHARACTER_LABELS)."""
    return {k: images[labels == k] for k in range(len(CHARACTER_LABELS))}
