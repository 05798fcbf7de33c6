"""Reading a handwritten number (model_core.reading): digits apart and touching, either
polarity, boxes in the image's pixels, nothing read on a blank page, a photo of ruled paper."""

import io

import numpy as np
import pytest
from PIL import Image

from model_core import load_model
from model_core.data.numbers import compose
from model_core.imaging.decode import DEFAULT_LIMITS
from model_core.reading import read_text
from tests.conftest import first_drawn


@pytest.fixture(scope="module")
def model():
    return load_model()


def written(mnist_test, text: str, touching: bool) -> np.ndarray:
    """`text` in the first MNIST test glyph of each digit, composed as a writer would (data.numbers),
    with some pair touching or none, light on dark."""
    glyphs = [mnist_test.images[np.flatnonzero(mnist_test.labels == int(d))[0]] for d in text]
    rng = np.random.default_rng(0)
    # a composition of the asked kind, drawn light on dark
    return first_drawn(
        lambda r: compose(glyphs, r), lambda n: n.touching == touching and not n.dark_on_light, rng
    ).canvas


@pytest.mark.parametrize("text", ["42", "305", "2024"])
@pytest.mark.parametrize("dark_on_light", [False, True], ids=["light on dark", "dark on light"])
def test_a_number_written_apart_is_read_in_either_polarity(model, mnist_test, text, dark_on_light):
    canvas = written(mnist_test, text, touching=False)
    reading = read_text(model, 255 - canvas if dark_on_light else canvas)
    assert reading.text == text and reading.is_text
    assert len(reading.characters) == len(text) and 0 < reading.confidence <= 1
    xs = [c.box[0] for c in reading.characters]
    assert xs == sorted(xs)  # left to right
    for c in reading.characters:  # each box holds ink of the canvas, in its pixels
        x, y, w, h = c.box
        assert w > 0 and h > 0 and canvas[y : y + h, x : x + w].max() > 100
        assert c.image.shape == (28, 28)


@pytest.mark.parametrize("text", ["42", "305"])
def test_touching_digits_are_cut_apart(model, mnist_test, text):
    assert read_text(model, written(mnist_test, text, touching=True)).text == text


def test_a_blank_page_reads_as_no_text(model):
    for blank in (np.zeros((120, 400), np.uint8), np.full((120, 400), 235, np.uint8)):
        reading = read_text(model, blank)
        assert reading.text == "" and not reading.is_text and reading.characters == []


def test_alternatives_are_other_texts_best_first(model, mnist_test):
    reading = read_text(model, written(mnist_test, "2024", touching=False))
    texts = [text for text, _ in reading.alternatives]
    assert reading.text not in texts and len(texts) <= 3
    confidences = [c for _, c in reading.alternatives]
    assert confidences == sorted(confidences, reverse=True)


def test_the_cli_reads_two_files_a_row_each(mnist_test, tmp_path, capsys):
    from PIL import Image

    from model_core.cli import main

    for text in ("42", "7"):
        Image.fromarray(written(mnist_test, text, touching=False)).save(tmp_path / f"{text}.png")
    (tmp_path / "not-an-image.png").write_bytes(b"hello")
    assert main(["read", str(tmp_path)]) == 0
    rows = [line.split(",") for line in capsys.readouterr().out.strip().splitlines()]
    assert rows[0] == ["file", "text", "confidence", "error", "line"]
    by_file = {row[0].rsplit("/", 1)[-1]: row for row in rows[1:]}
    assert by_file["42.png"][1] == "42" and by_file["7.png"][1] == "7" and by_file["7.png"][3] == ""
    assert by_file["7.png"][4] == "1"
    assert by_file["not-an-image.png"][1] == "" and by_file["not-an-image.png"][3]


def test_the_cli_reads_every_line_a_row_each_and_takes_a_constraint(mnist_test, tmp_path, capsys):
    from PIL import Image

    from model_core.cli import main

    top, bottom = written(mnist_test, "305", touching=False), written(mnist_test, "42", touching=False)
    page = np.zeros((top.shape[0] + bottom.shape[0], max(top.shape[1], bottom.shape[1])), np.uint8)
    page[: top.shape[0], : top.shape[1]], page[top.shape[0] :, : bottom.shape[1]] = top, bottom
    Image.fromarray(page).save(tmp_path / "two.png")
    assert main(["read", "--model", "line-digits", str(tmp_path / "two.png")]) == 0
    rows = [line.split(",") for line in capsys.readouterr().out.strip().splitlines()]
    assert [(row[1], row[4]) for row in rows[1:]] == [("305", "1"), ("42", "2")]
    assert main(["read", "--model", "line-digits", "--allowed", "0124", str(tmp_path / "two.png")]) == 0
    rows = [line.split(",") for line in capsys.readouterr().out.strip().splitlines()]
    assert set(rows[1][1]) <= set("0124") and rows[2][1] == "42"
    (tmp_path / "words.txt").write_text("305\n42\n")
    assert (
        main(["read", "--model", "line-digits", "--words", str(tmp_path / "words.txt"), str(tmp_path / "two.png")]) == 0
    )
    assert [row.split(",")[1] for row in capsys.readouterr().out.strip().splitlines()[1:]] == ["305", "42"]
    assert main(["read", "--words", str(tmp_path / "missing.txt"), str(tmp_path / "two.png")]) == 2


def test_a_photo_of_a_number_on_ruled_paper_is_read_without_its_lines(model, mnist_test):
    """A number written in dark ink across ruled paper, photographed (uneven light, grain, a
    JPEG): the rulings are not read, nor is the page's edge."""
    canvas = written(mnist_test, "305", touching=False)
    ink = np.asarray(Image.fromarray(canvas).resize((canvas.shape[1] * 2, canvas.shape[0] * 2)), np.float32) / 255
    h, w = 900, max(1200, ink.shape[1] + 200)
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:h, 0:w]
    page = 215 + 25 * xs / w - 15 * ys / h + rng.normal(0, 3, (h, w))  # light falling off, grain
    for y in range(60, h, 70):  # ruled lines, one through the writing
        page[y : y + 3] *= 0.72
    top, left = (h - ink.shape[0]) // 2, (w - ink.shape[1]) // 2
    page[top : top + ink.shape[0], left : left + ink.shape[1]] *= 1 - 0.8 * ink
    buffer = io.BytesIO()
    Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)).convert("RGB").save(buffer, "JPEG", quality=85)
    reading = read_text(model, buffer.getvalue())
    assert reading.text == "305"


def test_a_priced_line_is_read_on_the_lattice_built_to_price_it(model, mnist_test, monkeypatch):
    from model_core.reading import find_for, reader_for
    from model_core.reading.lattice import LatticeReader

    built = []
    build = LatticeReader.lattice
    monkeypatch.setattr(LatticeReader, "lattice", lambda self, line: built.append(line) or build(self, line))
    reader = reader_for(model, "digits")
    line = find_for(reader, written(mnist_test, "305", touching=False))
    priced = reader.price(line)
    assert reader.read(line, DEFAULT_LIMITS).text == "305" and priced > 0
    assert len(built) == 1 and built[0] is line  # once, for both
    assert reader.read(line, DEFAULT_LIMITS).text == "305" and len(built) == 2  # handed over once, then built
