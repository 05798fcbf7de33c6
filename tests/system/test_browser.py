"""The SPA in a real browser: Debian's Chromium driven by Playwright, against gunicorn, and
through the nginx that `make run` puts in front of both."""

import base64
import contextlib
import io
import json
import os
import re
import urllib.request

import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from devtools.browser import CHROMIUM, DIGITS, LETTERS, STAR, draw_with_mouse, draw_with_touch, launch, pad_box
from devtools.servers import NGINX, ROOT, api_server, free_port, stack, static_server
from model_core import available_models
from model_core.saved import read_card

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def servers():
    with static_server() as web, api_server({"CORS_ALLOWED_ORIGINS": web}) as api:
        yield web, api


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
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
    assert "True label" not in page.locator("#announce").inner_text()  # said once, not twice
    page.select_option("#sample-label", "4")
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
    page.select_option("#model-choice", "mlp")
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
    expect(page.locator("#model-choice option")).to_have_text(["Digits (waiting for the API…)"])  # never empty


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


DIGIT_MODELS = [name for name in available_models() if read_card(name)["labels"] == [str(d) for d in range(10)]]
# What "Read as" offers one by one: every model that reads one character (a line network reads lines only).
CHOOSABLE = [name for name in available_models() if read_card(name).get("reader") != "line"]


@pytest.mark.parametrize("model", DIGIT_MODELS)
def test_a_star_is_not_a_digit_under_every_digit_model(open_app, model):
    from playwright.sync_api import expect

    page = open_app()
    # Every model, and "Numbers & words".
    expect(page.locator("#model-choice option")).to_have_count(len(CHOOSABLE) + 1, timeout=10_000)
    page.select_option("#model-choice", model)
    expect(page.locator("#model-facts")).to_contain_text(model)
    draw_with_mouse(page, STAR)
    expect(page.locator("#latency")).to_contain_text(model, timeout=10_000)
    # One statement, not the best guess twice; no bar drawn as the winner.
    expect(page.locator("#announce")).to_contain_text("doesn't look like a digit")
    expect(page.locator("#announce")).to_contain_text("best guess")
    expect(page.locator("#prediction")).to_have_class(re.compile(r"\bnot-digit\b"))
    expect(page.locator("#bars")).to_have_class(re.compile(r"\bmuted-bars\b"))
    expect(page.locator("#bars .bar-row.top")).to_have_count(0)
    page.get_by_role("button", name="It is not a digit").click()
    expect(page.locator("#feedback-status")).to_contain_text("Saved as not a digit")


@pytest.mark.parametrize("letter", sorted(LETTERS))
def test_letters_and_digits_reads_a_drawn_letter(open_app, letter):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page = open_app()
    # Every model, and "Numbers & words".
    expect(page.locator("#model-choice option")).to_have_count(len(CHOOSABLE) + 1, timeout=10_000)
    page.select_option("#model-choice", "characters")
    expect(page.locator("#draw-title")).to_have_text("Draw a letter or a digit")
    expect(page.locator("#samples-title")).to_contain_text("EMNIST")
    expect(page.locator("#gallery .sample")).to_have_count(12, timeout=10_000)
    draw_with_mouse(page, LETTERS[letter])
    expect(page.locator("#latency")).to_contain_text("characters", timeout=10_000)
    expect(page.locator("#bars .bar-row")).to_have_count(5)  # its top 5, not 47 bars
    # The pad answers as it is drawn: an A's two legs alone read as n. Wait for the answer to
    # the whole drawing (the network quiet), then for its bars.
    page.wait_for_load_state("networkidle")
    with contextlib.suppress(PlaywrightTimeout):  # the assertion below says what was shown instead
        page.wait_for_function(
            "letter => [...document.querySelectorAll('#bars .bar-label')].slice(0, 3)"
            ".some(e => e.textContent === letter)",
            arg=letter,
            timeout=5_000,
        )
    shown = page.locator("#bars .bar-label").all_text_contents()
    assert letter in shown[:3], shown
    # A correction offers the 47 characters and no "not a digit".
    expect(page.locator("#feedback .label-buttons button")).to_have_count(47)
    expect(page.locator("#not-a-digit")).to_be_hidden()
    page.get_by_role("button", name=f"It was the character {letter}", exact=True).click()
    expect(page.locator("#feedback-status")).to_contain_text(f"Saved as {letter}")
    assert not open_app.errors, open_app.errors


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_the_letters_panel_reads_true_at_47_classes(open_app, viewport):
    from playwright.sync_api import expect

    page = open_app(viewport=viewport)
    # Every model, and "Numbers & words".
    expect(page.locator("#model-choice option")).to_have_count(len(CHOOSABLE) + 1, timeout=10_000)
    page.select_option("#model-choice", "characters")
    expect(page.locator("#per-class .bar-row")).to_have_count(47, timeout=10_000)
    expect(page.locator("#per-class-note")).to_contain_text("0%–100%")
    # A bar is as long as its recall on the whole track: 40% looks like 40%, not like nothing.
    for row in page.locator("#per-class .bar-row").all()[:47:9]:
        value = float(row.locator(".bar-value").inner_text().rstrip("%")) / 100
        fill = row.locator(".bar-fill").bounding_box()["width"]
        track = row.locator(".bar-track").bounding_box()["width"]
        assert abs(fill / track - value) < 0.02, (row.inner_text(), fill, track)
    # The matrix's labels at least 11 CSS px high, on a phone too; its worst pairs listed beside it.
    heights = page.evaluate(
        "[...document.querySelectorAll('#confusion svg > text:not(.axis)')].map(t => t.getBoundingClientRect().height)"
    )
    assert len(heights) == 94 and min(heights) >= 11, min(heights)
    expect(page.locator("#confused-pairs li")).to_have_count(8)
    expect(page.locator("#weakest li").first).to_contain_text("look alike")
    assert not open_app.errors, open_app.errors


def test_a_close_runner_up_is_shown_beside_the_answer(open_app):
    from playwright.sync_api import expect

    page = open_app()
    # Every model, and "Numbers & words".
    expect(page.locator("#model-choice option")).to_have_count(len(CHOOSABLE) + 1, timeout=10_000)
    page.select_option("#model-choice", "characters")
    expect(page.locator("#draw-title")).to_have_text("Draw a letter or a digit")
    draw_with_mouse(page, DIGITS["0"])  # a ring: 0 or O, as handwriting has it
    expect(page.locator("#latency")).to_contain_text("characters", timeout=10_000)
    first, second = (float(page.locator("#bars .bar-value").nth(i).text_content().rstrip("%")) for i in range(2))
    announce, quick = page.locator("#announce"), page.locator("#quick-answer")
    second_label = page.locator("#bars .bar-label").nth(1).text_content()
    if second >= first / 3:  # said once, in the answer's sentence (and in the phone's line under the pad)
        expect(announce).to_contain_text(f"could also be {second_label}")
        expect(quick).to_contain_text(f"(or {second_label})")
    else:
        expect(announce).not_to_contain_text("could also be")


@pytest.fixture(scope="module")
def behind_nginx():
    """The app and the API on one nginx port, as `make run` serves them."""
    if not os.path.exists(NGINX):
        pytest.skip(f"no nginx at {NGINX} (apt-get install nginx-light)")
    with stack() as front:
        yield front


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_through_make_runs_nginx_the_docs_render_and_the_app_finds_its_api(browser, behind_nginx, viewport):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport)
    errors, assets = [], []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response", lambda r: assets.append((r.url, r.headers.get("content-type", ""))) if "/static/" in r.url else None
    )
    title = settings.SPECTACULAR_SETTINGS["TITLE"]
    # Neither the app nor the docs can be framed by another site, and each says what it may load.
    for path in ("/", "/api/docs/", "/api/redoc/"):
        headers = page.request.get(f"{behind_nginx}{path}").headers
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"], path
    page.goto(f"{behind_nginx}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(title, timeout=15_000)
    page.goto(f"{behind_nginx}/api/redoc/")
    expect(page.locator("h1").first).to_contain_text(title, timeout=15_000)
    assert assets and all("html" not in kind for _, kind in assets), assets
    # The app without ?api=: its own origin serves /api/ too.
    page.goto(f"{behind_nginx}/")
    expect(page.locator("#gallery .sample")).to_have_count(12, timeout=15_000)
    for model in DIGIT_MODELS:  # whichever digit model reads it, a star is not a digit
        page.select_option("#model-choice", model)
        expect(page.locator("#model-facts")).to_contain_text(model)
        page.locator("#clear").click()
        draw_with_mouse(page, STAR)
        expect(page.locator("#latency")).to_contain_text(model, timeout=10_000)
        expect(page.locator("#announce")).to_contain_text("doesn't look like a digit")
    page.get_by_role("button", name="It is not a digit").click()  # a write, same origin through nginx
    expect(page.locator("#feedback-status")).to_contain_text("Saved as not a digit")
    expect(page.locator("#api-status")).to_be_hidden()
    context.close()
    assert not errors, errors


def test_the_app_served_apart_finds_the_api_port_it_was_started_with(browser):
    from playwright.sync_api import expect

    port = free_port()
    web = f"http://127.0.0.1:{port}"
    with api_server({"CORS_ALLOWED_ORIGINS": web}) as api, static_server(api=api, port=port):
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{web}/")  # no ?api=
        expect(page.locator("#gallery .sample")).to_have_count(12, timeout=15_000)
        expect(page.locator("#api-status")).to_be_hidden()
        context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def pad_pixels(page) -> list[int]:
    """The pad's RGB pixels as drawn (the strokes, and the boxes over them)."""
    return page.evaluate(
        "(() => { const c = document.querySelector('#pad');"
        " return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); })()"
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_numbers_and_words_reads_a_number_and_a_word_with_their_boxes(open_app, size):
    from playwright.sync_api import expect

    from devtools.browser import draw_line

    page = open_app(**(PHONE if size == "phone" else DESKTOP))
    page.wait_for_selector("#model-choice option[value='@text']", state="attached", timeout=15_000)
    page.select_option("#model-choice", "@text")
    pad = page.locator("#pad").bounding_box()
    assert pad["width"] >= 2 * pad["height"] and pad["x"] + pad["width"] <= page.viewport_size["width"]  # wider

    draw_line(page, [DIGITS["4"], DIGITS["2"]], touch=size == "phone")
    expect(page.locator("#prediction")).to_have_text("42", timeout=10_000)
    expect(page.locator("#characters .character")).to_have_count(2)
    assert page.locator("#characters .character-label").all_text_contents() == ["4", "2"]
    sources = page.eval_on_selector_all("#characters img", "images => images.map(i => i.src)")
    assert all(src.startswith("data:image/png") for src in sources)
    expect(page.locator("#announce")).to_contain_text("It reads “42”")
    # A box around each character, drawn in the pad's box colour (#4fc3f7) over the strokes.
    rgb = pad_pixels(page)
    boxed = sum(1 for i in range(0, len(rgb), 4) if (rgb[i], rgb[i + 1], rgb[i + 2]) == (0x4F, 0xC3, 0xF7))
    assert boxed > 100, boxed

    page.click("#clear")
    page.check("input[name='text-kind'][value='characters']")
    draw_line(page, [LETTERS["H"], LETTERS["A"], LETTERS["T"]], touch=size == "phone")
    expect(page.locator("#prediction")).to_have_text("HAT", timeout=10_000)
    assert page.locator("#characters .character-label").all_text_contents() == ["H", "A", "T"]
    expect(page.locator("#true-text")).to_have_value("HAT")  # the correction starts from the reading
    if size == "phone":  # the reading in view under the pad, nothing wider than the screen
        quick = page.locator("#quick-answer").bounding_box()
        assert quick["y"] + quick["height"] <= 844 and page.evaluate("document.documentElement.scrollWidth") <= 390
    # A model chosen again: one character at a time, on the square pad, the choice shown as made.
    page.select_option("#model-choice", "cnn")
    expect(page.locator("#draw-title")).to_have_text("Draw a digit", timeout=10_000)
    assert page.locator("#model-choice").input_value() == "cnn" and page.locator("#reading").is_hidden()
    square = page.locator("#pad").bounding_box()
    assert abs(square["width"] - square["height"]) <= 2, square
    assert not open_app.errors, open_app.errors


def test_a_number_drawn_in_digit_mode_offers_to_be_read_as_a_number(open_app):
    from playwright.sync_api import expect

    page = open_app(**DESKTOP)
    page.wait_for_selector("#model-choice option", state="attached", timeout=15_000)
    side = pad_box(page)[2]
    # "17" on the square pad: a 1 and a 7 side by side, each in half of it.
    halves = [[[(0.08 + 0.4 * x, y) for x, y in stroke] for stroke in DIGITS["1"]],
              [[(0.5 + 0.45 * x, y) for x, y in stroke] for stroke in DIGITS["7"]]]  # fmt: skip
    draw_with_mouse(page, [stroke for glyph in halves for stroke in glyph])
    button = page.locator("#read-as-number")
    expect(button).to_be_visible(timeout=10_000)
    expect(page.locator("#prediction")).to_have_text("✗")
    button.click()
    expect(page.locator("#prediction")).to_have_text("17", timeout=10_000)
    assert page.locator("#model-choice").input_value() == "@text"
    assert page.locator("#pad").bounding_box()["width"] > side
    assert page.locator("input[name='text-kind'][value='digits']").is_checked()
    assert not open_app.errors, open_app.errors


def test_a_reading_is_corrected_with_the_text_it_holds(open_app, servers):
    from playwright.sync_api import expect

    from devtools.browser import draw_line

    page = open_app(**DESKTOP)
    page.wait_for_selector("#model-choice option[value='@text']", state="attached", timeout=15_000)
    page.select_option("#model-choice", "@text")
    draw_line(page, [DIGITS["4"], DIGITS["2"]])
    expect(page.locator("#prediction")).to_have_text("42", timeout=10_000)
    page.fill("#true-text", "43")
    page.click("#text-feedback button[type=submit]")
    expect(page.locator("#text-feedback-status")).to_contain_text("Saved as “43”", timeout=10_000)
    assert not open_app.errors, open_app.errors


def readings_seen(page) -> list[dict]:
    """Every predict-text answer the page receives, in order (the last is the one shown)."""
    seen = []
    page.on(
        "response", lambda r: seen.append(r) if "/api/predict-text/" in r.url and r.request.method == "POST" else None
    )
    return seen


def text_mode(page, alphabet: str = "digits") -> None:
    page.wait_for_selector("#model-choice option[value='@text']", state="attached", timeout=15_000)
    page.select_option("#model-choice", "@text")
    if alphabet != "digits":
        page.check(f"input[name='text-kind'][value='{alphabet}']")


def test_switching_to_numbers_and_words_starts_a_fresh_pad(open_app):
    from playwright.sync_api import expect

    from devtools.browser import draw_line

    page = open_app(**DESKTOP)
    page.wait_for_selector("#model-choice option[value='@text']", state="attached", timeout=15_000)
    draw_with_mouse(page, DIGITS["7"])
    expect_prediction(page, "7")
    page.select_option("#model-choice", "@text")
    expect(page.locator("#draw-title")).to_have_text("Write numbers or words, one or two lines", timeout=10_000)
    rgb = pad_pixels(page)
    assert not any(rgb[i] > 128 for i in range(0, len(rgb), 4)), "the 7 is still on the pad"
    draw_line(page, [DIGITS["4"], DIGITS["2"]])
    expect(page.locator("#prediction")).to_have_text("42", timeout=10_000)  # not 742
    assert not open_app.errors, open_app.errors


def test_a_42_with_a_one_stroke_2_reads_42_in_two_boxes_that_do_not_overlap(open_app):
    from playwright.sync_api import expect

    from devtools.browser import draw_line

    page = open_app(**DESKTOP)
    seen = readings_seen(page)
    text_mode(page)
    assert len(DIGITS["2"]) == 1  # the 2 in one stroke
    draw_line(page, [DIGITS["4"], DIGITS["2"]])
    expect(page.locator("#prediction")).to_have_text("42", timeout=10_000)
    expect(page.locator("#characters .character")).to_have_count(2)
    boxes = [c["box"] for c in seen[-1].json()["characters"]]
    assert len(boxes) == 2 and boxes[0][0] + boxes[0][2] <= boxes[1][0], boxes


# A 1 with a long serif: between a 1 and a 7, as hands write it.
SERIF_ONE = [[(0.3, 0.3), (0.5, 0.15), (0.5, 0.85)]]


def test_a_close_calls_alternative_is_shown_on_the_readings_scale(open_app):
    from playwright.sync_api import expect

    from devtools.browser import draw_line

    page = open_app(**DESKTOP)
    text_mode(page)
    draw_line(page, [DIGITS["4"], SERIF_ONE, DIGITS["2"]])
    expect(page.locator("#prediction")).to_have_text(re.compile(r"^4[17]2$"), timeout=10_000)
    read = page.locator("#prediction").text_content()
    other = "412" if read == "472" else "472"
    expect(page.locator("#alternatives")).to_contain_text(other)
    shown = re.search(rf"{other} \(([\d.]+)%\)", page.locator("#alternatives").text_content())
    assert shown and float(shown.group(1)) >= 5, page.locator("#alternatives").text_content()


@pytest.mark.xfail(
    strict=True,
    reason="on the taller two-line pad an amount must be drawn 0.4 of its height to fit; the pad's brush, sized "
    "for a digit, then sets the thousands dot against the 5, which reads it as its own: 2500,50 (issue 47's note)",
)
def test_an_amount_is_shown_with_its_separators_beside_its_digits(open_app):
    from playwright.sync_api import expect

    from devtools.browser import draw_amount

    page = open_app(**DESKTOP)
    text_mode(page)
    draw_amount(page, "2.500,50")
    expect(page.locator("#prediction")).to_have_text("250050", timeout=10_000)
    expect(page.locator("#written")).to_have_text("As written: 2.500,50 (the digits 250050)")
    expect(page.locator("#announce")).to_contain_text("written 2.500,50")


def test_letters_read_as_a_number_offer_to_be_read_as_words(open_app):
    from playwright.sync_api import expect

    from devtools.browser import draw_line

    page = open_app(**DESKTOP)
    text_mode(page)
    draw_line(page, [LETTERS[c] for c in "HAT"])
    button = page.locator("#read-as-words")
    expect(button).to_be_visible(timeout=10_000)
    assert page.locator("#prediction").text_content().isdigit()
    button.click()
    expect(page.locator("#prediction")).to_have_text("HAT", timeout=10_000)  # the same drawing, read as words
    assert page.locator("input[name='text-kind'][value='characters']").is_checked() and button.is_hidden()
    assert not open_app.errors, open_app.errors


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_two_lines_on_the_taller_pad_are_read_a_line_each(open_app, size):
    from playwright.sync_api import expect

    from devtools.browser import draw_lines

    page = open_app(**(PHONE if size == "phone" else DESKTOP))
    text_mode(page)
    draw_lines(page, [[DIGITS["4"], DIGITS["2"]], [DIGITS["7"]]], touch=size == "phone")
    expect(page.locator("#lines .line")).to_have_count(2, timeout=10_000)
    assert page.locator("#prediction").text_content() == "42\n7"
    lines = page.locator("#lines .line").all_text_contents()
    assert lines[0].startswith("Line 1: 42") and lines[1].startswith("Line 2: 7")
    assert page.locator("#characters .character-label").all_text_contents() == ["4", "2", "7"]
    expect(page.locator("#true-text")).to_have_value("42\n7")  # the correction holds both lines
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not open_app.errors, open_app.errors


def test_what_may_be_written_constrains_the_reading_and_keeps_the_free_one(open_app):
    from playwright.sync_api import expect

    from devtools.browser import draw_line

    page = open_app(**DESKTOP)
    text_mode(page)
    draw_line(page, [DIGITS["1"], DIGITS["7"]])
    expect(page.locator("#prediction")).to_have_text("17", timeout=10_000)
    page.click("#constraint summary")
    page.fill("#allowed", "0123")
    expect(page.locator("#prediction")).not_to_have_text("17", timeout=10_000)
    assert set(page.locator("#prediction").text_content()) <= set("0123")
    expect(page.locator("#alternatives")).to_contain_text("17")  # the free reading, kept beside
    page.click("#clear-constraint")
    expect(page.locator("#prediction")).to_have_text("17", timeout=10_000)
    assert not open_app.errors, open_app.errors
