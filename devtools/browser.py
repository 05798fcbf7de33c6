"""Driving the app in Debian's Chromium through Playwright: the launch options this machine
needs, and strokes drawn on the pad with a mouse or a finger."""

from __future__ import annotations

import math
import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

# Strokes as fractions of the pad's side: each a list of (x, y) points.
_RING = [(0.5 + 0.22 * math.sin(t / 20 * math.tau), 0.5 - 0.32 * math.cos(t / 20 * math.tau)) for t in range(21)]
DIGITS = {
    "1": [[(0.5, 0.15), (0.5, 0.85)]],
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
    "0": [_RING],
    "4": [[(0.6, 0.88), (0.6, 0.12), (0.2, 0.62), (0.82, 0.62)]],
    "2": [[(0.25, 0.3), (0.35, 0.15), (0.6, 0.13), (0.72, 0.28), (0.65, 0.45), (0.25, 0.85), (0.78, 0.85)]],
    "5": [
        [(0.72, 0.15), (0.32, 0.15), (0.28, 0.48), (0.55, 0.42), (0.72, 0.58), (0.68, 0.78), (0.5, 0.87), (0.26, 0.8)]
    ],  # fmt: skip
}
# The marks written among an amount's digits, in a square of their own as tall as a digit's.
MARKS = {
    ".": [[(0.5 + 0.05 * math.cos(t), 0.86 + 0.05 * math.sin(t)) for t in (k / 8 * math.tau for k in range(9))]],
    ",": [[(0.55, 0.8), (0.53, 0.92), (0.42, 1.04)]],
}
_TURN = [t / 16 * math.tau for t in range(17)]
LETTERS = {
    "A": [[(0.25, 0.85), (0.5, 0.15), (0.75, 0.85)], [(0.35, 0.58), (0.65, 0.58)]],
    "X": [[(0.25, 0.15), (0.75, 0.85)], [(0.75, 0.15), (0.25, 0.85)]],
    "H": [[(0.25, 0.15), (0.25, 0.85)], [(0.75, 0.15), (0.75, 0.85)], [(0.25, 0.5), (0.75, 0.5)]],
    "T": [[(0.2, 0.15), (0.8, 0.15)], [(0.5, 0.15), (0.5, 0.85)]],
    # A lower-case b: a tall stem, then a bowl on its lower half.
    "b": [[(0.35, 0.1), (0.35, 0.88)], [(0.35 + 0.2 * (1 - math.cos(a)), 0.69 - 0.19 * math.sin(a)) for a in _TURN]],
}
STAR = [
    [
        (0.5 + 0.35 * math.cos(a), 0.5 - 0.35 * math.sin(a))
        for a in (math.pi / 2 + 4 * math.pi * k / 5 for k in range(6))
    ]
]


def launch(playwright):
    """Debian's Chromium, headless, with the flags this machine's closed network needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def pad_box(page) -> tuple[float, float, float]:
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    return box["x"], box["y"], box["width"]


def interpolate(points, steps: int = 6) -> list[tuple[float, float]]:
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        out += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)]
    return out


def draw_with_mouse(page, strokes) -> None:
    x, y, side = pad_box(page)
    _mouse(page, strokes, (x, y, side), side)


def draw_line(page, glyphs, *, touch: bool = False) -> None:
    """Glyphs' strokes (each in a unit square) written left to right on the pad, each scaled to
    0.8 of the pad's height, one every 0.55 of it (the ink of neighbours a few strokes apart, as
    people write a word), from a margin: a number or a word on a wide pad."""
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    height = box["height"]
    strokes = []
    for i, glyph in enumerate(glyphs):
        left = 0.15 + i * 0.55
        strokes += [[((left + 0.8 * x) * height / box["width"], 0.1 + 0.8 * y) for x, y in stroke] for stroke in glyph]
    square = (box["x"], box["y"], box["width"])
    (_touch if touch else _mouse)(page, strokes, square, box["height"])


def draw_lines(page, rows, *, touch: bool = False) -> None:
    """Lines of glyphs' strokes on the pad, top first, each glyph 0.36 of the pad's height and
    one every 0.26 of it, the lines 0.48 apart: two lines of writing on the line pad."""
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    height = box["height"]
    strokes = []
    for row, glyphs in enumerate(rows):
        top = 0.06 + 0.48 * row
        for i, glyph in enumerate(glyphs):
            left = 0.15 + i * 0.26
            strokes += [[((left + 0.36 * x) * height / box["width"], top + 0.36 * y) for x, y in stroke]
                        for stroke in glyph]  # fmt: skip
    (_touch if touch else _mouse)(page, strokes, (box["x"], box["y"], box["width"]), height)


def draw_amount(page, written: str, size: float = 0.4) -> None:
    """An amount as written ("1.250,00") with the mouse on the wide pad: each digit `size` of
    the pad's height, 0.7 of that apart (a mark between two digits adds 0.45), each mark
    centred between its neighbours' ink."""
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    lefts, left = [], 0.12 / size  # each symbol's square, in digit sizes
    for symbol in written:
        lefts.append(left)
        left += 0.45 if symbol in MARKS else 0.7

    def ink(i: int, edge) -> float:
        return lefts[i] + edge(x for stroke in DIGITS[written[i]] for x, _ in stroke)

    strokes = []
    for i, symbol in enumerate(written):
        at = lefts[i]
        if symbol in MARKS:  # its square's middle halfway between the digits' ink
            at = (ink(i - 1, max) + ink(i + 1, min)) / 2 - 0.5
        glyph = MARKS.get(symbol) or DIGITS[symbol]
        strokes += [[((at + x) * size * box["height"] / box["width"], (1 - size) / 2 + size * y) for x, y in stroke]
                    for stroke in glyph]  # fmt: skip
    _mouse(page, strokes, (box["x"], box["y"], box["width"]), box["height"])


def _mouse(page, strokes, square, height) -> None:
    x, y, width = square
    for stroke in strokes:
        path = interpolate(stroke)
        page.mouse.move(x + path[0][0] * width, y + path[0][1] * height)
        page.mouse.down()
        for px, py in path[1:]:
            page.mouse.move(x + px * width, y + py * height)
        page.mouse.up()


def _touch(page, strokes, square, height) -> None:
    cdp = page.context.new_cdp_session(page)
    x, y, width = square
    for stroke in strokes:
        for i, (px, py) in enumerate(interpolate(stroke)):
            kind = "touchStart" if i == 0 else "touchMove"
            point = {"x": x + px * width, "y": y + py * height}
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def draw_with_touch(page, strokes) -> None:
    x, y, side = pad_box(page)
    _touch(page, strokes, (x, y, side), side)
