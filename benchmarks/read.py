"""Reading handwritten numbers: exact-text accuracy and character error rate on numbers
composed of EMNIST's digits (model_core.data.numbers: the composition is in
docs/measurements.md, "Reading numbers", written before the first measurement), by length
and by touching or apart; and the time to read a 5-digit number on one thread.

`--split validation` (the default) composes them of EMNIST's validation digits, for
developing the reader; `--split test` of its test digits, read once for the published figures.

Words (`--words`): texts of letters composed of EMNIST's letters (model_core.data.words; the
composition in docs/measurements.md, "Reading words"), in capitals and lower case, names in
capitals in a form's boxes beside a printed label, and names in capitals written apart with a
form's printed label beside them (data.text_lines.write_text, the part's printed fonts: the
test's FreeFont and Noto), read with alphabet "characters" (the characters model, or `--model
line-characters`): the character error rate with case folded, exact text, and the time to read
a 6-letter word.

    python benchmarks/read.py [--split validation] [--count 1000] [--model cnn] [--seed 39]
    python benchmarks/read.py --words [--split validation] [--count 1000] [--boxes 300]

Photos (`--photos`): the same numbers written on paper and photographed by
benchmarks/paper_photos.py (the second photo maker, the one the ink finder was not developed
on), each condition in turn (plain, shadow, ruling, small, contrast, exif): exact text.

    python benchmarks/read.py --photos [--split validation] [--count 300]
    python benchmarks/read.py --hints [--split validation] [--count 1000]   # "Read as words"
    python benchmarks/read.py --page [--split validation] [--count 300]     # every line, constraints

`--record` (with `--split test`) writes the figures into the reader's card
(artifacts/reader.json), which GET /api/model-info/ serves as `reader`.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the time is one thread's, as a worker reads
os.environ.setdefault("MODEL_CORE_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from timing import median_ms  # noqa: E402

from model_core import load_model  # noqa: E402
from model_core.data.emnist import load_characters  # noqa: E402
from model_core.data.numbers import numbers  # noqa: E402
from model_core.data.words import NAMES, forms, words  # noqa: E402
from model_core.imaging.decode import PreprocessError  # noqa: E402
from model_core.reading import figures_key, read_text, reader_card_path  # noqa: E402


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def calibration_error(confidences: list[float], right: list[bool], bins: int = 15) -> float:
    """Expected calibration error: the gap between confidence and accuracy, over equal-width
    bins of confidence, weighted by how many readings fall in each."""
    conf, hit = np.asarray(confidences), np.asarray(right, float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    return float(sum(abs(conf[which == b].mean() - hit[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))  # fmt: skip


def fit_confidence(raw: list[float], right: list[bool]) -> tuple[float, float]:
    """Platt scaling of the reading's raw confidence (its characters' probabilities'
    product): P(right) = sigmoid(a · log(raw) + b), by Newton's method on the log loss."""
    x = np.log(np.clip(np.asarray(raw), 1e-12, 1.0))
    y = np.asarray(right, float)
    a, b = 1.0, 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a * x + b)))
        w = p * (1 - p) + 1e-9
        grad = np.array([((p - y) * x).sum(), (p - y).sum()])
        hess = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]])
        a, b = np.array([a, b]) - np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
    return float(a), float(b)


def typical_ms(sources: list, read, count: int = 20) -> float:
    """The median time to read one of the first `count` sources (each the median of 5 reads):
    what a line of that kind takes, not what one drawn line happens to."""
    return float(np.median([median_ms(lambda source=source: read(source), 5) for source in sources[:count]]))


def fitted(raw: list[float], right: list[bool], split: str, alphabet: str, model=None) -> None:
    """Fit the reading's calibration on this (validation) material: a line network's goes into
    its card (ctc.confidence); the cutting reader's is printed for reading.lattice.ALPHABETS."""
    if split == "test":
        raise SystemExit("the confidence is fitted on validation, never on the test part")
    a, b = fit_confidence(raw, right)
    if model is not None and model.reads_lines:
        from model_core.saved import resolve, save_card

        model.card.setdefault("ctc", {})["confidence"] = [round(a, 4), round(b, 4)]
        save_card(model, resolve(model.name))
        print(f"fitted: {model.name}'s ctc.confidence = ({a:.4f}, {b:.4f}), written into its card")
        return
    print(f"fitted: ALPHABETS[{alphabet!r}].confidence = ({a:.4f}, {b:.4f})")


def png(number) -> bytes:
    canvas = 255 - number.canvas if number.dark_on_light else number.canvas
    return png_of(canvas)


def png_of(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def table(rows: dict[str, list[tuple[bool, int, int]]], order: list[str], what: str) -> dict[str, dict]:
    """Print the figures as a Markdown table; return them, by row."""
    print(f"| {what} | count | exact | character error rate |\n|---|---|---|---|")
    figures = {}
    for key in order:
        if key in rows:
            r = rows[key]
            exact = sum(e for e, _, _ in r) / len(r)
            cer = sum(d for _, d, _ in r) / sum(n for _, _, n in r)
            print(f"| {key} | {len(r)} | {exact * 100:.2f}% | {cer * 100:.2f}% |")
            figures[key] = {"count": len(r), "exact": round(exact, 4), "character_error_rate": round(cer, 4)}
    return figures


def record(args, alphabet: str, model, figures: dict, part: str | None = None) -> None:
    """Write these test figures into the reader's card, beside the shipped models (`part`: under
    that name in the alphabet's figures, the rest kept: photos beside the drawn numbers)."""
    if args.split != "test":
        raise SystemExit("the reader's card holds the test figures: --record goes with --split test")
    path = Path(reader_card_path())
    card = json.loads(path.read_text()) if path.is_file() else {}
    command = "python benchmarks/read.py " + " ".join(sys.argv[1:]).replace(" --record", "")
    measured = {
        "model": {"name": model.name, "version": model.version},
        "measured": datetime.date.today().isoformat(),
        "command": command,
        **figures,
    }
    key = figures_key("line" if model.reads_lines else "lattice", alphabet)
    if part:
        card.setdefault(key, {})[part] = measured
    else:
        card[key] = {**measured, **{k: v for k, v in card.get(key, {}).items() if k in ("photos", "lines")}}
    path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"recorded in {path}")
    if model.reads_lines and not part:  # a line network's own card: its test figure is the texts' exact share
        line_test_metrics(model, figures["numbers" if alphabet == "digits" else "texts_case_folded"]["all"])


def line_test_metrics(model, numbers: dict) -> None:
    """A line network's card says its test figure as every card does (metrics.test, dataset.test_size)."""
    from model_core.saved import resolve, save_card

    model.card["metrics"]["test"] = {
        **model.card["metrics"]["test"],
        "accuracy": numbers["exact"],
        "samples": numbers["count"],
    }
    model.card["dataset"]["test_size"] = numbers["count"]
    save_card(model, resolve(model.name))


def read_photos(args) -> None:
    """The numbers as phone photos of paper by the second photo maker, a condition each in turn."""
    from paper_photos import CONDITIONS, paper_photo

    model = load_model(args.model)
    part = load_characters(args.split)
    digits = part.labels < 10
    rng = np.random.default_rng(args.seed + 1000)
    rows: dict[str, list[tuple[bool, int, int]]] = defaultdict(list)
    refused: dict[str, int] = defaultdict(int)
    shown = 0
    for k, (text, number) in enumerate(numbers(part.images[digits], part.labels[digits], args.count, args.seed)):
        condition = CONDITIONS[k % len(CONDITIONS)]
        photo, _ = paper_photo(number.canvas, rng, condition)
        try:
            read = read_text(model, photo).text
        except PreprocessError as exc:  # an answered 4xx: not read
            read = ""
            refused[exc.code] += 1
        for key in ("all", condition, "touching" if number.touching else "apart"):
            rows[key].append((read == text, edit_distance(read, text), len(text)))
        if read != text and shown < args.show:
            print(f"  {text} read as {read or '(nothing)'} ({condition})")
            shown += 1
    print(f"model {model.name} {model.version}; {args.split}: {args.count} numbers of EMNIST digits, photographed")
    figures = table(rows, ["all", "apart", "touching", *CONDITIONS], "photos of numbers")
    print(f"refused (a 4xx, counted as misread): {dict(refused) or 'none'}")
    if args.record:
        record(args, "digits", model, {"numbers": figures, "refused": dict(refused)}, part="photos")


def read_words(args) -> None:
    """Words of letters, and names in a form's boxes, read with alphabet "characters"."""
    model = load_model(args.model or "characters")
    part = load_characters(args.split)
    letters = part.labels >= 10
    rows: dict[str, list[tuple[bool, int, int]]] = defaultdict(list)  # (exact folded, edits folded, length)
    as_written: dict[str, list[bool]] = defaultdict(list)
    shown = 0
    six: list[bytes] = []
    confidences, raw, right = [], [], []
    for text, case, line in words(part.images[letters], part.labels[letters], args.count, args.seed):
        source = png(line)
        if len(text) == 6 and " " not in text:
            six.append(source)
        reading = read_text(model, source, alphabet="characters")
        read = reading.text
        exact, edits = read.lower() == text.lower(), edit_distance(read.lower(), text.lower())
        confidences.append(reading.confidence)
        raw.append(reading.raw_confidence)
        right.append(exact)
        keys = ["all", case, "two words" if " " in text else "one word"]
        for key in keys:
            rows[key].append((exact, edits, len(text)))
            as_written[key].append(read == text)
        if not exact and shown < args.show:
            print(f"  {text} read as {read or '(nothing)'}")
            shown += 1
    print(f"model {model.name} {model.version}; {args.split}: {args.count} texts of EMNIST {args.split} letters")
    texts = table(rows, ["all", "capitals", "lower case", "one word", "two words"], "texts (case folded)")
    print("\nexact as written (case kept): " + ", ".join(
        f"{k} {sum(v) / len(v) * 100:.2f}%" for k, v in as_written.items()))  # fmt: skip
    ece = calibration_error(confidences, right)
    print(f"confidence (letter case aside): expected calibration error {ece * 100:.2f}% (15 bins)")
    if args.fit_confidence:
        fitted(raw, right, args.split, "characters", model)
    boxed: dict[str, list[tuple[bool, int, int]]] = defaultdict(list)
    for text, form in forms(part.images[letters], part.labels[letters], args.boxes, args.seed + 1):
        read = read_text(model, png_of(form.page), alphabet="characters").text
        boxed["names in boxes"].append((read == text, edit_distance(read, text), len(text)))
        if read != text and shown < 2 * args.show:
            print(f"  boxed {text} read as {read or '(nothing)'}")
            shown += 1
    for text, page in labelled_names(part.images[letters], part.labels[letters], args.boxes, args.seed + 2, args.split):
        read = read_text(model, png_of(page), alphabet="characters").text
        boxed["names written apart beside a label"].append((read == text, edit_distance(read, text), len(text)))
        if read != text and shown < 3 * args.show:
            print(f"  labelled {text} read as {read or '(nothing)'}")
            shown += 1
    print()
    fields = table(boxed, ["names in boxes", "names written apart beside a label"], "form fields (as written)")
    ms = typical_ms(six, lambda source: read_text(model, source, alphabet="characters")) if six else None
    if ms is not None:
        print(f"\na 6-letter word read in {ms:.1f} ms (the median over {min(20, len(six))} of them, one thread)")
    if args.record:
        exact_as_written = {k: round(sum(v) / len(v), 4) for k, v in as_written.items()}
        figures = {"texts_case_folded": texts, "exact_as_written": exact_as_written, **fields}
        timing = {"six_letter_word_ms": ms and round(ms, 2)}
        record(args, "characters", model, {**figures, "calibration_error": round(ece, 4), **timing})


def labelled_names(images: np.ndarray, labels: np.ndarray, count: int, seed: int, split: str):
    """`count` names in capitals written apart (data.text_lines, style "spaced") with a form's
    label printed before them on their line, in the part's printed fonts, scanned dark on light."""
    from model_core.data.lines import printed_fonts
    from model_core.data.text_lines import FORM_LABELS, class_glyphs, write_text
    from model_core.data.words import glyph_class

    rng = np.random.default_rng(seed)
    glyphs, fonts = class_glyphs(images, labels), printed_fonts("test" if split == "test" else "train")

    def glyph_of(ch: str) -> np.ndarray:
        pool = glyphs[glyph_class(ch)]
        return pool[int(rng.integers(len(pool)))]

    out = []
    for _ in range(count):
        text = str(rng.choice([n for n in NAMES if len(n) >= 3])).upper()
        ink, printed, _ = write_text(
            text, glyph_of, rng, "spaced",
            height=rng.uniform(30, 70), label=str(rng.choice(FORM_LABELS)),
            font=fonts[int(rng.integers(len(fonts)))], slant=rng.uniform(-0.15, 0.15), thicken=int(rng.integers(0, 3)),
        )  # fmt: skip
        paper, pen = rng.uniform(210, 250), rng.uniform(10, 60)
        tone = paper - (paper - pen) * np.maximum(ink, printed) + rng.normal(0, rng.uniform(0, 5), ink.shape)
        out.append((text, np.clip(tone, 0, 255).astype(np.uint8)))
    return out


def read_hints(args) -> None:
    """The "Read as words" hint (model_core.reading.hints): words of letters and numbers of
    digits, both read as numbers by the line network; how many of each the hint flags."""
    from model_core.reading.hints import looks_like_words

    model, check = load_model(args.model or "line-digits"), load_model("characters")
    part = load_characters(args.split)
    letters, digits = part.labels >= 10, part.labels < 10
    drawn = {
        "words": [line for _, _, line in words(part.images[letters], part.labels[letters], args.count, args.seed)],
        "numbers": [line for _, line in numbers(part.images[digits], part.labels[digits], args.count, args.seed)],
    }
    print(f"model {model.name} {model.version}, checked by {check.name}; {args.split}, seed {args.seed}")
    print("\n| read as a number | count | flagged: read as words? |\n|---|---|---|")
    for name, lines in drawn.items():
        flagged = sum(looks_like_words(read_text(model, png(line)), check) for line in lines)
        print(f"| {name} | {len(lines)} | {flagged} ({flagged / len(lines) * 100:.1f}%) |")


def read_lines(args) -> None:
    """Written lines as documents carry them (model_core.data.lines, docs/lines.md): the digits'
    text exact, the line as written exact, each condition apart, and what the finder missed."""
    from model_core.data.lines import compose_line, printed_fonts
    from model_core.training.lines import _glyph_sources

    model = load_model(args.model)
    part = "test" if args.split == "test" else "validation"
    glyphs = _glyph_sources(part)
    fonts = printed_fonts("test" if part == "test" else "train")
    rng = np.random.default_rng(args.seed)
    rows: dict[str, list[tuple[bool, int, int]]] = defaultdict(list)
    written_right: dict[str, list[bool]] = defaultdict(list)
    refused: dict[str, int] = defaultdict(int)
    nothing = 0
    shown = 0
    for _ in range(args.count):
        line = compose_line(glyphs, rng, fonts, part="test" if part == "test" else "train")
        source = line.jpeg or png_of(line.page)
        truth = "".join(c for c in line.written if c.isdigit())
        try:
            reading = read_text(model, source)
        except PreprocessError as exc:  # an answered 4xx: not read
            reading = None
            refused[exc.code] += 1
        read = reading.text if reading is not None else ""
        nothing += reading is not None and not reading.is_text
        as_written = getattr(reading, "written", None) or read
        plain = [] if line.conditions - {"touching"} else ["plain"]
        for key in ("all", *sorted(line.conditions), *plain):
            rows[key].append((read == truth, edit_distance(read, truth), max(1, len(truth))))
            written_right[key].append(as_written == line.written)
        if read != truth and shown < args.show:
            print(f"  {line.written} read as {as_written or '(nothing)'} {sorted(line.conditions)}")
            shown += 1
    print(f"model {model.name} {model.version}; {args.split}: {args.count} written lines (docs/lines.md)")
    order = ["all", "plain", "touching", "separators", "currency", "security_paper", "rulings", "underline",
             "column_line", "page_edge", "printed_words", "small_scan", "photo", "light_on_dark", "turned"]  # fmt: skip
    figures = table(rows, order, "lines (digits)")
    shares = {k: sum(v) / len(v) for k, v in written_right.items() if k in ("all", "separators")}
    print("\nwritten exact (marks included): " + ", ".join(f"{k} {v * 100:.2f}%" for k, v in shares.items()))
    print(f"nothing drawn: {nothing} of {args.count}; refused: {dict(refused) or 'none'}")
    if args.record:
        written = {k: round(v, 4) for k, v in shares.items()}
        record(args, "digits", model, {"lines": figures, "written_exact": written, "nothing_drawn": nothing}, "lines")


def stacked(inks: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Lines of writing (light on dark, [0, 1]) one under another, 0.15-0.6 of a line apart
    and each moved along by up to a third of the widest: a page of lines, dark on light or not."""
    height = max(ink.shape[0] for ink in inks)
    widest = max(ink.shape[1] for ink in inks)
    gaps = [int(rng.uniform(0.15, 0.6) * height) for _ in inks[1:]]
    lefts = [int(rng.uniform(0, widest / 3)) for _ in inks]
    page = np.zeros((sum(i.shape[0] for i in inks) + sum(gaps) + 40, widest + int(widest / 3) + 40), np.float32)
    y = 20
    for k, ink in enumerate(inks):
        region = page[y : y + ink.shape[0], 20 + lefts[k] : 20 + lefts[k] + ink.shape[1]]
        np.maximum(region, ink[: region.shape[0], : region.shape[1]], out=region)
        y += ink.shape[0] + (gaps[k] if k < len(gaps) else 0)
    dark = rng.random() < 0.5
    return np.clip(235 - page * 205 if dark else page * 255, 0, 255).astype(np.uint8)


def read_page_figures(args) -> None:
    """Every line and what may be written (predict-text's lines, allowed, words): numbers of
    EMNIST's digits stacked two (and three to five) a picture; digit strings whose 0s and 1s are
    drawn as the letters O and I, read as characters with and without `allowed` digits; words
    of a 2,000-word lexicon (data/lexicon) read with and without it, and the time it costs; and
    documents of one number (data.lines: printed words, rulings, photos) answered as one line."""
    import time

    from model_core.data.lines import compose_line, printed_fonts
    from model_core.data.numbers import compose as compose_number
    from model_core.data.text_lines import class_glyphs
    from model_core.data.words import compose as compose_words
    from model_core.data.words import glyph_class
    from model_core.reading.constraints import Constraint
    from model_core.serving import Limits, read_texts
    from model_core.training.lines import _glyph_sources

    numbers_model, words_model = load_model("line-digits"), load_model(args.model or "line-characters")
    part = load_characters(args.split)
    glyphs = class_glyphs(part.images, part.labels)
    rng = np.random.default_rng(args.seed)

    def number_ink(length: int) -> tuple[str, np.ndarray]:
        text = "".join(str(int(d)) for d in rng.integers(0, 10, length))
        written = compose_number([glyphs[int(d)][int(rng.integers(len(glyphs[int(d)])))] for d in text], rng)
        return text, written.canvas.astype(np.float32) / 255

    def read(model, grey, alphabet="digits", constraint=None):
        return read_texts(model, [grey], limits=Limits(), alphabet=alphabet, constraint=constraint)[0]

    found = both = 0
    for _ in range(args.count):
        texts, inks = zip(*(number_ink(int(rng.integers(2, 9))) for _ in range(2)), strict=True)
        answer = read(numbers_model, stacked(list(inks), rng))
        read_lines = [line["text"] for line in answer["lines"]]
        found += len(read_lines) == 2
        both += read_lines == list(texts)
    print(f"two lines of numbers ({args.count}, EMNIST {args.split} digits): two lines found {found / args.count:.2%}, "
          f"both read right {both / args.count:.2%}")  # fmt: skip
    reported = {}
    for n in (3, 4, 5):
        hits = 0
        for _ in range(max(1, args.count // 6)):
            texts, inks = zip(*(number_ink(int(rng.integers(2, 7))) for _ in range(n)), strict=True)
            hits += len(read(numbers_model, stacked(list(inks), rng))["lines"]) == n
        reported[n] = hits / max(1, args.count // 6)
    print("every line reported: " + ", ".join(f"{n} lines {v:.2%}" for n, v in reported.items()))

    def letter(ch: str) -> np.ndarray:
        pool = glyphs[glyph_class(ch)]
        return pool[int(rng.integers(len(pool)))]

    free = held = 0
    count = max(1, args.count // 2)
    digits_only = Constraint(allowed="0123456789")
    for _ in range(count):
        text = "".join(rng.choice(list("0101") + list("23456789"), int(rng.integers(3, 7))))
        drawn = [letter({"0": "O", "1": "I"}.get(ch, ch)) for ch in text]  # 0 as an O, 1 as an I
        canvas = compose_words(text, drawn, rng, upright=True).canvas
        free += read(words_model, canvas, "characters")["text"] == text
        held += read(words_model, canvas, "characters", digits_only)["text"] == text
    print(f"digits with their 0s and 1s drawn as O and I ({count}), read as characters: {free / count:.2%} right "
          f"without a constraint, {held / count:.2%} with allowed digits ({held - free:+d} corrected)")  # fmt: skip

    lexicon = Path(__file__).resolve().parents[1].joinpath("data/lexicon/web2-2000.txt").read_text().split()
    with_words = Constraint(words=tuple(lexicon))
    right_free = right_lexicon = 0
    seconds_free, seconds_lexicon = [], []
    for _ in range(count):
        word = str(rng.choice(lexicon))
        canvas = compose_words(word, [letter(ch) for ch in word], rng).canvas
        started = time.perf_counter()
        right_free += read(words_model, canvas, "characters")["text"].lower() == word
        seconds_free.append(time.perf_counter() - started)
        started = time.perf_counter()
        right_lexicon += read(words_model, canvas, "characters", with_words)["text"].lower() == word
        seconds_lexicon.append(time.perf_counter() - started)
    ratio = np.median(seconds_lexicon) / np.median(seconds_free)
    print(f"words of the 2,000-word lexicon ({count}, EMNIST {args.split} letters), case folded: "
          f"{right_free / count:.2%} without it, {right_lexicon / count:.2%} with it; a reading takes "
          f"{np.median(seconds_free) * 1000:.1f} ms without, {np.median(seconds_lexicon) * 1000:.1f} ms with "
          f"({ratio:.2f}×)")  # fmt: skip

    material = "test" if args.split == "test" else "train"  # the fonts and patterns validation is read with
    digit_glyphs, fonts = _glyph_sources(args.split), printed_fonts(material)
    extra = right_alone = right_page = documents = 0
    for _ in range(args.count):
        document = compose_line(digit_glyphs, rng, fonts, part=material)
        source = document.jpeg or png_of(document.page)
        try:
            alone, answer = read_text(numbers_model, source).text, read(numbers_model, source)
        except PreprocessError:
            continue
        truth = "".join(c for c in document.written if c.isdigit())
        documents += 1
        extra += len(answer["lines"]) > 1
        right_alone, right_page = right_alone + (alone == truth), right_page + (answer["text"] == truth)
    print(f"documents of one number ({documents}, docs/lines.md, {args.split}): answered as more than one line "
          f"{extra / documents:.2%}; exact {right_page / documents:.2%} read line by line, "
          f"{right_alone / documents:.2%} read as one line")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["validation", "test"], default="validation")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--model", default=None)
    parser.add_argument("--seed", type=int, default=39)
    parser.add_argument("--words", action="store_true", help="words and names in boxes (alphabet characters)")
    parser.add_argument("--boxes", type=int, default=300, help="with --words: this many names in a form's boxes")
    parser.add_argument("--photos", action="store_true", help="the numbers as phone photos of paper")
    parser.add_argument("--lines", action="store_true", help="written lines as documents carry them (docs/lines.md)")
    parser.add_argument("--hints", action="store_true", help="how often a word, and a number, read as words")
    parser.add_argument("--page", action="store_true", help="every line, allowed digits, a 2,000-word lexicon")
    parser.add_argument("--record", action="store_true", help="write the test figures into artifacts/reader.json")
    parser.add_argument("--show", type=int, default=0, help="print this many misread numbers")
    parser.add_argument("--scorer", default=None, help="a model saying how much each candidate is one character")
    parser.add_argument(
        "--fit-confidence",
        action="store_true",
        help="fit the confidence's calibration on this material (validation only)",
    )
    args = parser.parse_args()
    if args.words:
        return read_words(args)
    if args.page:
        return read_page_figures(args)
    if args.photos:
        return read_photos(args)
    if args.lines:
        return read_lines(args)
    if args.hints:
        return read_hints(args)
    model = load_model(args.model)
    scorer = load_model(args.scorer) if args.scorer else None
    part = load_characters(args.split)
    digits = part.labels < 10
    items = numbers(part.images[digits], part.labels[digits], args.count, args.seed)
    rows: dict[str, list[tuple[bool, int, int]]] = defaultdict(list)  # (exact, edits, length)
    shown = 0
    confidences, raw, right = [], [], []
    for text, number in items:
        reading = read_text(model, png(number), scorer=scorer)
        read = reading.text
        confidences.append(reading.confidence)
        raw.append(reading.raw_confidence)
        right.append(read == text)
        edits = edit_distance(read, text)
        for key in ("all", f"{len(text)} digits", "touching" if number.touching else "apart"):
            rows[key].append((read == text, edits, len(text)))
        if read != text and shown < args.show:
            print(f"  {text} read as {read or '(nothing)'}{' (touching)' if number.touching else ''}")
            shown += 1
    print(f"model {model.name} {model.version}; {args.split}: {args.count} numbers of EMNIST {args.split} digits")
    figures = table(rows, ["all", "apart", "touching", *(f"{n} digits" for n in range(2, 9))], "numbers")
    ece = calibration_error(confidences, right)
    print(f"\nconfidence: expected calibration error {ece * 100:.2f}% (15 bins)")
    coverage = covered_accuracy(confidences, right, 0.9)
    clear = best_written_half(items, confidences)
    print(f"the most confident 90%: {coverage * 100:.2f}% exact; the best-written half's median confidence {clear:.3f}")
    if args.fit_confidence:
        fitted(raw, right, args.split, "digits", model)
    ms = typical_ms([png(n) for t, n in items if len(t) == 5], lambda source: read_text(model, source))
    print(f"\na 5-digit number read in {ms:.1f} ms (the median over 20 of them, one thread)")
    long_ms = None
    if model.reads_lines:  # a 30-digit line: three numbers of the draw side by side
        long_ms = typical_ms(thirty_digit_lines(part, args.seed), lambda source: read_text(model, source), 10)
        print(f"a 30-digit line read in {long_ms:.1f} ms (the median over 10, one thread)")
    if args.record:
        figures = {"numbers": figures, "calibration_error": round(ece, 4), "five_digit_ms": round(ms, 2),
                   "covered_90_exact": round(coverage, 4), "best_written_half_median_confidence": round(clear, 4),
                   "thirty_digit_ms": long_ms and round(long_ms, 2)}  # fmt: skip
        record(args, "digits", model, figures)


def covered_accuracy(confidences: list[float], right: list[bool], share: float) -> float:
    """The exact share among the most confident `share` of the readings."""
    order = np.argsort(-np.asarray(confidences), kind="stable")[: max(1, int(len(confidences) * share))]
    return float(np.mean(np.asarray(right)[order]))


def best_written_half(items, confidences: list[float]) -> float:
    """The median confidence over the best-written half of the numbers: those whose digits, each
    cut from the canvas by its box, the shipped cnn reads most surely on average (a measure of
    the writing independent of the reader)."""
    from model_core.imaging.preprocess import place

    cnn = load_model("cnn")
    clarity = []
    for _, number in items:
        crops = [number.canvas[y : y + h, x : x + w].astype(np.float32) / 255 for x, y, w, h in number.boxes]
        images = np.stack([place(c) for c in crops if c.size and c.max() > 0])
        clarity.append(float(cnn.predict_proba(images).max(axis=1).mean()))
    half = np.argsort(-np.asarray(clarity), kind="stable")[: len(items) // 2]
    return float(np.median(np.asarray(confidences)[half]))


def thirty_digit_lines(part, seed: int, count: int = 10) -> list[bytes]:
    """Lines of 30 digits: numbers of this part composed 10 digits long, three side by side."""
    digits = part.labels < 10
    rng = np.random.default_rng(seed + 30)
    from model_core.data.numbers import compose

    out = []
    for _ in range(count):
        picks = rng.integers(0, int(digits.sum()), 30)
        written = compose([part.images[digits][i] for i in picks], rng)
        out.append(png_of(written.canvas))
    return out


if __name__ == "__main__":
    main()
