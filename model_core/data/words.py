"""Handwritten words composed of real writers' letters, for measuring a reader of words: each
letter a glyph of EMNIST's (28×28, white on black, its own ink scaled to the letter's place
on the line). The composition, fixed before any word was read (docs/measurements.md,
"Reading words"):

- the texts: English words and names of 2 to 10 letters from the lists below, drawn evenly;
  half written in capitals, half in lower case; one in five two words (a gap between them);
- capitals: every letter 60-140 px tall (0.9-1.05 of the line's height each), its bottom on the
  baseline ±4%;
- lower case: ascenders (b d f h k l t) the line's height, x-height letters (a c e m n o r s u
  v w x z) 0.55-0.65 of it, i 0.75 (its dot above), descenders (g j p q y) 0.9 of it from the
  x-height down (a third below the baseline); a letter EMNIST merges across case (c i j k l
  m o p s u v w x y z) is a glyph of the merged class, which holds both cases' writers;
- one slant for the whole text (a shear of -0.2 to 0.2), the glyphs' own strokes thickened by
  0, 1 or 2 px;
- within a word each gap drawn on its own: a quarter touching or overlapping (-10% to 0% of the
  height), the rest apart (3% to 35%); between two words 60% to 120% of the height;
- anywhere on a page 1.2-2× its size, white on black as the app's pad draws; one in five dark
  on light (the caller inverts it, from the returned flag).

Words in boxes (a form's comb field, `boxed`): a name in capitals, each letter in its own cell
of a row of boxes (cells 50-110 px tall, 1.0-1.3 as wide, frame lines 1-3 px of a grey 0-120,
1-4 empty cells after the name), each letter 0.55-0.8 of the cell's height at its centre
±8%; a printed label left of the field ("Name", "Surname", ...) in a typeface 0.3-0.6 of the
cell's height, 0.3-1 cell away; dark on a light page (210-250, noise σ 0-6), as a scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .emnist import CHARACTER_LABELS
from .numbers import Written, write_line, written_glyph

WORDS = """
about above after again air all also always and animal answer any apple area arm around art ask
baby back bad ball bank bed before begin best big bird black blue board boat body book both box
boy bread bring brother brown build bus but buy call car care carry cat change child city class
clean clear close cold colour come could country cover cross cup cut dance dark day dead deep
desk dog door down draw dream dress drink drive dry during each early earth east eat egg end
enough even evening every eye face fact fall family far farm fast father feel field fill find
fine fire first fish five floor flower fly follow food foot for forest form found four free
friend from front fruit full game garden girl give glass gold good great green ground group
grow hair half hand happy hard have head hear heart heavy help here high hill hold home horse
hot hour house idea inside island job join jump just keep key kind king kitchen know lake land
large last late laugh learn leave left letter life light like line list little live long look
love low machine make man many map market may mean meet milk mind minute money month moon
morning mother mountain move much music name near need never new next night north nothing now
number ocean off office often old only open order other over page paper park party pass pay
people picture piece place plan plant play point poor power present pretty pull push quick
quiet rain read real red rest right river road rock room round run safe salt same school sea
season second see sell send seven shape ship shop short show side sign silver simple sing
sister sit six size sky sleep slow small snow soft some song soon sound south space speak spring
square stand star start station stay step still stone stop story street strong study sugar
summer sun table take talk tall teacher ten thing think three time today together town tree
true turn under until up usual valley very village visit voice wait walk wall want warm watch
water way weather week well west what wheel white whole why wide wind window winter with woman
wood word work world write year yellow young zebra zero
""".split()  # noqa: SIM905 (a list to read and edit as text)

NAMES = """
adam alice amir anna arthur ben carlos chen clara daniel david diego elena emma eva felix frank
george grace hana harry helen henry hugo ian isabel ivan jack james jane jean john jose julia
karen kate kevin laura leo lily lucas lucy maria mark martin mary max mia nadia nina noah omar
oscar paul peter rosa ruth sam sara simon sofia tom victor wei xavier yusuf zoe baker brown
clark davis evans garcia green hall harris hill jones khan king lee lewis lopez martin miller
moore nelson patel price reed roberts rossi scott smith taylor turner walker white wilson wong
young york paris london berlin madrid oslo rome vienna dublin lisbon tokyo
""".split()  # noqa: SIM905

LABELS_PRINTED = ("Name", "Surname", "First name", "City", "Town", "Name:", "SURNAME", "Family name")
CAPITALS_SHARE = 0.5
TWO_WORDS_SHARE = 0.2
TOUCHING_SHARE = 0.25
DARK_ON_LIGHT_SHARE = 0.2
ASCENDERS, DESCENDERS = set("bdfhklt"), set("gjpqy")


def glyph_class(letter: str) -> int:
    """The EMNIST class a letter is drawn from: its own (capitals, and the eleven lower-case
    letters EMNIST keeps apart) or its capital's (the fifteen it merges across case)."""
    if letter in CHARACTER_LABELS:
        return CHARACTER_LABELS.index(letter)
    return CHARACTER_LABELS.index(letter.upper())


def letter_place(letter: str, rng: np.random.Generator) -> tuple[float, float]:
    """(the letter's height, its bottom's shift below the baseline), as shares of the line's."""
    if letter.isupper() or letter.isdigit() or letter in ASCENDERS:
        return rng.uniform(0.9, 1.05), rng.uniform(-0.04, 0.04)
    if letter in DESCENDERS:
        return 0.9, 0.3
    if letter == "i":
        return 0.75, 0.0
    return rng.uniform(0.55, 0.65), rng.uniform(-0.03, 0.03)


def compose(text: str, glyphs: list[np.ndarray], rng: np.random.Generator, upright: bool = False) -> Written:
    """The text (letters, digits and single spaces) written on one line with these glyphs (one
    per character, in order), by the composition above (`upright`: without its slant)."""
    height = rng.uniform(60, 140)
    slant = rng.uniform(-0.2, 0.2) * (not upright)
    thicken = int(rng.integers(0, 3))
    parts, gaps = [], []
    letters = iter(glyphs)
    word_gap = False
    for ch in text:
        if ch == " ":
            word_gap = True
            continue
        share, shift = letter_place(ch, rng)
        scaled = written_glyph(next(letters), max(2, round(height * share)), thicken)
        if parts:
            if word_gap:
                gaps.append(rng.uniform(0.6, 1.2) * height)
            elif rng.random() < TOUCHING_SHARE:
                gaps.append(rng.uniform(-0.1, 0.0) * height)
            else:
                gaps.append(rng.uniform(0.03, 0.35) * height)
        word_gap = False
        parts.append((scaled, shift * height))
    number = write_line(parts, gaps, height, slant, rng, below=0.35)
    number.dark_on_light = bool(rng.random() < DARK_ON_LIGHT_SHARE)
    return number


def _glyphs_for(text: str, by_class: dict[int, np.ndarray], images: np.ndarray, rng: np.random.Generator):
    return [images[rng.choice(by_class[glyph_class(ch)])] for ch in text if ch != " "]


def _by_class(labels: np.ndarray) -> dict[int, np.ndarray]:
    return {k: np.flatnonzero(labels == k) for k in range(len(CHARACTER_LABELS))}


def words(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> list[tuple[str, str, Written]]:
    """`count` texts composed of these EMNIST glyphs (labels into CHARACTER_LABELS): (text,
    "capitals" or "lower case", the written line)."""
    rng = np.random.default_rng(seed)
    by_class = _by_class(labels)
    out = []
    vocabulary = WORDS + NAMES
    for _ in range(count):
        text = str(rng.choice(vocabulary))
        if rng.random() < TWO_WORDS_SHARE:
            text += " " + str(rng.choice(vocabulary))
        case = "capitals" if rng.random() < CAPITALS_SHARE else "lower case"
        text = text.upper() if case == "capitals" else text
        out.append((text, case, compose(text, _glyphs_for(text, by_class, images, rng), rng)))
    return out


@dataclass
class Form:
    page: np.ndarray  # uint8, dark on light
    cells: list[tuple[int, int, int, int]]  # each letter's cell, x, y, width, height


def boxed(text: str, glyphs: list[np.ndarray], rng: np.random.Generator) -> Form:
    """A name in capitals written one letter a cell in a row of boxes, a printed label on its
    left, by the composition above."""
    cell_h = int(rng.uniform(50, 110))
    cell_w = int(cell_h * rng.uniform(1.0, 1.3))
    line = int(rng.integers(1, 4))
    cells = len(text) + int(rng.integers(1, 5))
    label = str(rng.choice(LABELS_PRINTED))
    font = ImageFont.load_default(size=max(8, int(cell_h * rng.uniform(0.3, 0.6))))
    label_w = int(font.getlength(label)) + 1
    margin = int(cell_h * rng.uniform(0.3, 0.8))
    gap = int(cell_w * rng.uniform(0.3, 1.0))
    field_x = margin + label_w + gap
    width, height = field_x + cells * cell_w + line + margin, cell_h + 2 * margin
    ink = np.zeros((height, width), np.float32)
    top = margin
    frame = rng.uniform(0.55, 1.0)  # the frame's darkness, as a share of the pen's
    ink[top : top + line, field_x : field_x + cells * cell_w + line] = frame
    ink[top + cell_h : top + cell_h + line, field_x : field_x + cells * cell_w + line] = frame
    for k in range(cells + 1):
        ink[top : top + cell_h + line, field_x + k * cell_w : field_x + k * cell_w + line] = frame
    thicken = int(rng.integers(0, 3))
    placed = []
    for k, glyph in enumerate(glyphs):
        scaled = written_glyph(glyph, max(2, round(cell_h * rng.uniform(0.55, 0.8))), thicken, cell_w - 2 * line - 2)
        h, w = scaled.shape
        cx = field_x + k * cell_w + cell_w / 2 + rng.uniform(-0.08, 0.08) * cell_w
        cy = top + cell_h / 2 + rng.uniform(-0.08, 0.08) * cell_h
        x0 = int(np.clip(cx - w / 2, field_x + k * cell_w + line, field_x + (k + 1) * cell_w - w))
        y0 = int(np.clip(cy - h / 2, top + line, top + cell_h - h))
        region = ink[y0 : y0 + h, x0 : x0 + w]
        np.maximum(region, scaled[: region.shape[0], : region.shape[1]], out=region)
        placed.append((field_x + k * cell_w, top, cell_w, cell_h))
    printed = Image.new("L", (width, height), 0)
    ImageDraw.Draw(printed).text((margin, top + cell_h * 0.5), label, fill=255, font=font, anchor="lm")
    ink = np.maximum(ink, np.asarray(printed, np.float32) / 255.0)
    paper, pen = rng.uniform(210, 250), rng.uniform(10, 60)
    page = paper - (paper - pen) * ink + rng.normal(0, rng.uniform(0, 6), ink.shape)
    return Form(np.clip(page, 0, 255).astype(np.uint8), placed)


def forms(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> list[tuple[str, Form]]:
    """`count` names in capitals in a form's boxes, of these EMNIST glyphs."""
    rng = np.random.default_rng(seed)
    by_class = _by_class(labels)
    out = []
    for _ in range(count):
        text = str(rng.choice([n for n in NAMES if len(n) >= 3])).upper()
        out.append((text, boxed(text, _glyphs_for(text, by_class, images, rng), rng)))
    return out
