"""The SPA in a real browser: Debian's Chromium driven by Playwright, against gunicorn."""

import base64
import io
import json
import math
import os
import re
import urllib.request

import pytest
from PIL import Image, ImageDraw

from .servers import CHROMIUM, CHROMIUM_ARGS, ROOT, api_server, free_port, static_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

# Strokes as fractions of the pad's side.
DIGITS = {
    "1": [[(0.5, 0.15), (0.5, 0.85)]],
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
    "0": [[(0.5 + 0.22 * math.sin(t / 20 * math.tau), 0.5 - 0.32 * math.cos(t / 20 * math.tau)) for t in range(21)]],
}


@pytest.fixture(scope="module")
def servers():
    with static_server() as web, api_server({"CORS_ALLOWED_ORIGINS": web}) as api:
        yield web, api


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_app(browser, servers):
    contexts, errors = [], []

    def open_page(api=None, **context_args):
        web, api_base = servers
        context = browser.new_context(**context_args)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{web}/index.html?api={api or api_base}")
        return page

    open_page.errors = errors
    yield open_page
    for context in contexts:
        context.close()


def pad_box(page):
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    return box["x"], box["y"], box["width"]


def interpolate(points, steps=6):
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        out += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)]
    return out


def draw_with_mouse(page, strokes):
    x, y, side = pad_box(page)
    for stroke in strokes:
        path = interpolate(stroke)
        page.mouse.move(x + path[0][0] * side, y + path[0][1] * side)
        page.mouse.down()
        for px, py in path[1:]:
            page.mouse.move(x + px * side, y + py * side)
        page.mouse.up()


def draw_with_touch(page, strokes):
    cdp = page.context.new_cdp_session(page)
    x, y, side = pad_box(page)
    for stroke in strokes:
        path = interpolate(stroke)
        for i, (px, py) in enumerate(path):
            kind = "touchStart" if i == 0 else "touchMove"
            cdp.send(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x + px * side, "y": y + py * side}]}
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def expect_prediction(page, digit):
    from playwright.sync_api import expect

    expect(page.locator("#prediction")).to_have_text(digit, timeout=10_000)
    expect(page.locator("#bars .bar-row")).to_have_count(10)
    expect(page.locator("#announce")).to_contain_text(f"reads {digit}")
    expect(page.locator("#processed")).to_be_visible()


@pytest.mark.parametrize("digit", ["1", "7", "0"])
def test_drawing_with_the_mouse_is_recognised_without_a_button(open_app, digit):
    page = open_app()
    draw_with_mouse(page, DIGITS[digit])
    expect_prediction(page, digit)
    assert not open_app.errors


def test_drawing_with_touch_on_a_phone(open_app):
    page = open_app(viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True, device_scale_factor=2)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page must not scroll sideways on a phone"
    scroll_before = page.evaluate("window.scrollY")
    draw_with_touch(page, DIGITS["7"])
    expect_prediction(page, "7")
    assert page.evaluate("window.scrollY") == scroll_before  # drawing did not scroll the page
    # High-DPI: the canvas backing store is device pixels, not CSS pixels.
    assert page.evaluate("document.querySelector('#pad').width") >= 2 * pad_box(page)[2] - 2


def test_clear_and_undo_from_buttons_and_keyboard(open_app):
    from playwright.sync_api import expect

    page = open_app()
    draw_with_mouse(page, DIGITS["1"])
    expect_prediction(page, "1")
    draw_with_mouse(page, [[(0.2, 0.5), (0.8, 0.5)]])  # a cross-bar: no longer a clean 1
    page.click("#undo")
    expect_prediction(page, "1")
    page.click("#clear")
    expect(page.locator("#prediction")).to_have_text("?")
    expect(page.locator("#announce")).to_contain_text("Draw a digit")
    draw_with_mouse(page, DIGITS["7"])
    expect_prediction(page, "7")
    draw_with_mouse(page, [[(0.1, 0.9), (0.3, 0.95)]])
    page.keyboard.press("Control+z")
    expect_prediction(page, "7")
    page.keyboard.press("Escape")
    expect(page.locator("#prediction")).to_have_text("?")
    assert page.evaluate("document.querySelector('#bars').children.length") == 0


def test_upload_of_a_photo_like_png(open_app, tmp_path):
    image = Image.new("RGB", (400, 300), (235, 232, 225))  # paper, dark pen
    ImageDraw.Draw(image).line([(170, 60), (250, 60), (200, 240)], fill=(30, 30, 40), width=14)
    path = tmp_path / "photo.png"
    image.save(path)
    page = open_app()
    page.set_input_files("#upload", str(path))
    expect_prediction(page, "7")


def test_a_sample_is_predicted_against_its_true_label(open_app):
    from playwright.sync_api import expect

    page = open_app()
    samples = page.locator("#gallery .sample")
    expect(samples).to_have_count(12, timeout=10_000)
    label = samples.first.get_attribute("data-label")
    samples.first.click()
    expect(page.locator("#truth")).to_contain_text(f"True label {label}")
    expect(samples.first).to_have_class(re.compile(r"\b(right|wrong)\b"))
    page.select_option("#sample-digit", "4")
    expect(page.locator("#gallery .sample[data-label='4']")).to_have_count(12)


def test_model_panel_shows_confusion_matrix_curves_and_switches_models(open_app):
    from playwright.sync_api import expect

    page = open_app()
    expect(page.locator("#confusion svg rect")).to_have_count(100, timeout=10_000)
    expect(page.locator("#per-class .bar-row")).to_have_count(10)
    expect(page.locator("#curve-loss svg polyline")).to_have_count(1)
    card = json.loads((ROOT / "artifacts" / "cnn.json").read_text())
    whose = f" (network 1 of {len(card['members'])})" if len(card["members"]) > 1 else ""
    expect(page.locator("#curve-loss .chart-title")).to_have_text(f"Loss per epoch{whose}")
    expect(page.locator("#model-facts")).to_contain_text("Test accuracy")
    expect(page.locator("#model-facts")).to_contain_text("Not a digit")
    expect(page.locator("#model-facts")).not_to_contain_text("deskewed")  # the CNNs take the plain 28×28
    # One layer table per architecture, each summarised with its networks.
    kinds = [m.get("architecture", card["architecture"]) for m in card["members"]]
    summaries = [f"{kind}: {kinds.count(kind)} network" for kind in dict.fromkeys(kinds)]
    expect(page.locator("#layers details")).to_have_count(len(summaries))
    for block, summary in zip(page.locator("#layers details").all(), summaries, strict=True):
        expect(block.locator("summary")).to_contain_text(summary)
        if block.get_attribute("open") is None:
            block.locator("summary").click()
        expect(block.locator("tbody tr").last).to_contain_text("dense")
    assert page.locator("#docs-link").get_attribute("href").endswith("/api/docs/")
    page.select_option("#model-select", "mlp")
    expect(page.locator("#model-facts")).to_contain_text("mlp")
    expect(page.locator("#model-facts")).to_contain_text("deskewed")  # the shipped MLP was trained --deskew
    expect(page.locator("#curve-loss .chart-title")).to_have_text("Loss per epoch")  # one network: no "of"
    expect(page.locator("#layers details")).to_have_count(1)
    expect(page.locator("#layers details[open] table")).to_have_count(1)  # one architecture: shown open
    draw_with_mouse(page, DIGITS["1"])
    expect_prediction(page, "1")
    expect(page.locator("#latency")).to_contain_text("mlp")


def test_a_correction_is_sent_and_thanked_without_a_reload(open_app):
    from playwright.sync_api import expect

    page = open_app()
    page.evaluate("window.__marker = 'same page'")
    draw_with_mouse(page, DIGITS["1"])
    expect_prediction(page, "1")
    page.get_by_role("button", name="It was a 7").click()
    expect(page.locator("#feedback-status")).to_contain_text("Thank you")
    assert page.evaluate("window.__marker") == "same page"


def test_api_down_shows_a_visible_error(open_app):
    from playwright.sync_api import expect

    page = open_app(api=f"http://127.0.0.1:{free_port()}")
    expect(page.locator("#api-status")).to_be_visible(timeout=10_000)
    expect(page.locator("#api-status")).to_contain_text("unreachable")


def test_no_console_errors_on_a_full_page(open_app):
    from playwright.sync_api import expect

    page = open_app(viewport={"width": 1280, "height": 900})
    expect(page.locator("#gallery .sample")).to_have_count(12, timeout=10_000)
    expect(page.locator("#confusion svg")).to_be_visible()
    draw_with_mouse(page, DIGITS["7"])
    expect_prediction(page, "7")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert not open_app.errors, open_app.errors


def test_chart_lines_are_unfilled_and_their_axes_labelled(open_app):
    from playwright.sync_api import expect

    page = open_app(viewport={"width": 1280, "height": 900})
    expect(page.locator("#curve-acc svg polyline")).to_have_count(2, timeout=10_000)
    fills = page.eval_on_selector_all(
        "#curve-acc polyline, #curve-loss polyline", "els => els.map(e => getComputedStyle(e).fill)"
    )
    assert fills and set(fills) == {"none"}, fills
    assert page.locator("#curve-acc text.legend").all_text_contents() == ["train", "validation"]
    ticks = page.locator("#curve-acc text.tick").all_text_contents()
    assert "1" in ticks and "%" in " ".join(ticks)  # epochs along x, values along y


def test_on_a_phone_the_answer_is_on_screen_after_drawing(open_app):
    from playwright.sync_api import expect

    page = open_app(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=3)
    draw_with_touch(page, DIGITS["7"])
    expect(page.locator("#quick-answer")).to_contain_text("7", timeout=10_000)
    box = page.locator("#quick-answer").bounding_box()
    pad = page.locator("#pad").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box  # in view with the pad
    assert pad["y"] >= 0 and pad["y"] + pad["height"] <= 844, pad
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_pad_shows_an_uploaded_photo_and_the_sample_clicked(open_app, tmp_path):
    from playwright.sync_api import expect

    page = open_app()
    image = Image.new("RGB", (400, 300), (235, 232, 225))
    ImageDraw.Draw(image).line([(170, 60), (250, 60), (200, 240)], fill=(30, 30, 40), width=14)
    path = tmp_path / "photo.png"
    image.save(path)
    page.set_input_files("#upload", str(path))
    expect_prediction(page, "7")
    # The pad now holds the photo: paper-coloured pixels, not the black of an empty pad.
    centre = page.evaluate(
        "(() => { const c = document.querySelector('#pad'); const d = c.getContext('2d')"
        ".getImageData(c.width / 2 - 40, c.height / 2, 1, 1).data; return [d[0], d[1], d[2]]; })()"
    )
    assert min(centre) > 180, centre
    samples = page.locator("#gallery .sample")
    expect(samples).to_have_count(12, timeout=10_000)
    samples.first.click()
    expect(page.locator("#truth")).to_be_visible()
    lit = page.evaluate(
        "(() => { const c = document.querySelector('#pad'); const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 0; i < d.length; i += 4) n += d[i] > 128; return n / (d.length / 4); })()"
    )
    assert 0.02 < lit < 0.6, lit  # a digit's white strokes on black: the sample, scaled up


def test_a_photo_with_no_digit_says_so_for_a_photo(open_app, tmp_path):
    from playwright.sync_api import expect

    page = open_app()
    path = tmp_path / "blank.jpg"
    Image.new("RGB", (640, 480), (228, 226, 220)).save(path)
    page.set_input_files("#upload", str(path))
    expect(page.locator("#announce")).to_contain_text("No digit found in this photo", timeout=10_000)


def test_the_apps_small_upload_is_recognised_like_the_whole_canvas(open_app, servers):

    page = open_app()
    sent = []
    page.on("request", lambda r: sent.append(r.post_data) if r.url.endswith("/api/predict-digit/") else None)
    draw_with_mouse(page, DIGITS["7"])
    expect_prediction(page, "7")
    app_answer = float(page.locator("#bars .bar-row.top").get_attribute("aria-label").split(": ")[1].rstrip("%"))
    body = json.loads(sent[-1])
    small = Image.open(io.BytesIO(base64.b64decode(body["image"].split(",", 1)[1])))
    assert max(small.size) <= 112  # cropped to the ink and scaled down
    whole = page.evaluate("document.querySelector('#pad').toDataURL('image/png')")
    _, api = servers
    request = urllib.request.Request(
        f"{api}/api/predict-digit/", json.dumps({"image": whole}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        full = json.loads(response.read())
    assert full["prediction"] == "7" and abs(full["confidence"] * 100 - app_answer) < 2.0
    assert len(sent[-1]) < len(json.dumps({"image": whole})) / 2  # and a seventh of the pixels to decode


def test_the_docs_pages_load_nothing_from_outside_the_machine(browser, servers):
    _, api = servers
    context = browser.new_context()
    outside = []
    page = context.new_page()
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None,
    )
    for path in ("/api/docs/", "/api/redoc/"):
        page.goto(f"{api}{path}")
        page.wait_for_load_state("networkidle")
        assert page.title()
    icon = page.request.get(f"{api}/favicon.ico")
    context.close()
    assert not outside, outside
    assert icon.ok and "svg" in icon.headers["content-type"]


def test_a_star_is_answered_that_it_does_not_look_like_a_digit(open_app):
    from playwright.sync_api import expect

    page = open_app()
    angles = [math.pi / 2 + 4 * math.pi * k / 5 for k in range(6)]
    points = [(0.5 + 0.35 * math.cos(a), 0.5 - 0.35 * math.sin(a)) for a in angles]
    draw_with_mouse(page, [points])
    expect(page.locator("#announce")).to_contain_text("doesn't look like a digit", timeout=10_000)
    expect(page.locator("#announce")).to_contain_text("best guess")
    expect(page.locator("#guess")).to_be_visible()
    expect(page.locator("#prediction")).to_have_class(re.compile(r"\bnot-digit\b"))
    page.get_by_role("button", name="It is not a digit").click()
    expect(page.locator("#feedback-status")).to_contain_text("Saved as not a digit")
