"""Take the README's screenshot (docs/screenshot.png) of the app as it is now: the API and
the app served on loopback, Debian's Chromium driven by Playwright, a 7 drawn with the mouse;
and docs/screenshot-phone-letters.png: an A drawn in letters mode on a phone (a touch screen:
its "Take a photo" button shows); and docs/screenshot-numbers-words.png: a word written in
"Numbers & words", read with its characters boxed; and docs/screenshot-numbers-amount.png: an
amount (2.500,50) read whole by the line network, shown as written beside its digits. Each PNG
says in a text chunk ("model") which model and version answered in it, so a test can tell a
screenshot that lags the shipped models.

    python scripts/screenshot.py [--out docs/screenshot.png]      (or: make screenshot)
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, PngImagePlugin  # noqa: E402

from devtools.browser import DIGITS, LETTERS, draw_amount, draw_line, draw_with_mouse, launch  # noqa: E402
from devtools.servers import api_server, static_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    with static_server() as web, api_server({"CORS_ALLOWED_ORIGINS": web}) as api, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{web}/index.html?api={api}")
        expect(page.locator("#gallery .sample")).to_have_count(12, timeout=15_000)
        expect(page.locator("#confusion svg")).to_be_visible()
        draw_with_mouse(page, DIGITS["7"])
        expect(page.locator("#prediction")).to_have_text("7", timeout=10_000)
        page.evaluate("window.scrollTo(0, 0)")
        png = page.screenshot(full_page=False)
        desktop_model = page.locator("#latency").inner_text().split(" ")[:2]
        phone = browser.new_page(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True, is_mobile=True
        )
        phone.goto(f"{web}/index.html?api={api}")
        expect(phone.locator("#model-choice option[value=characters]")).to_have_count(1, timeout=15_000)
        phone.select_option("#model-choice", "characters")
        expect(phone.locator("#draw-title")).to_have_text("Draw a letter or a digit")
        draw_with_mouse(phone, LETTERS["A"])
        expect(phone.locator("#latency")).to_contain_text("characters", timeout=10_000)
        phone.locator("#result").scroll_into_view_if_needed()
        phone_png = phone.screenshot(full_page=False)
        phone_model = phone.locator("#latency").inner_text().split(" ")[:2]
        line = browser.new_page(viewport={"width": 1280, "height": 900})
        line.goto(f"{web}/index.html?api={api}")
        line.wait_for_selector("#model-choice option[value='@text']", state="attached", timeout=15_000)
        line.select_option("#model-choice", "@text")
        line.check("input[name='text-kind'][value='characters']")
        draw_line(line, [LETTERS["H"], LETTERS["A"], LETTERS["T"]])
        expect(line.locator("#prediction")).to_have_text("HAT", timeout=10_000)
        line.evaluate("window.scrollTo(0, 0)")
        line_png = line.screenshot(full_page=False)
        line_model = line.locator("#latency").inner_text().split(" ")[:2]
        # An amount read whole by the line network, shown as written beside its digits.
        line.check("input[name='text-kind'][value='digits']")
        line.click("#clear")
        draw_amount(line, "2.500,50")
        expect(line.locator("#written")).to_contain_text("2.500,50", timeout=10_000)
        line.evaluate("window.scrollTo(0, 0)")
        amount_png = line.screenshot(full_page=False)
        amount_model = line.locator("#latency").inner_text().split(" ")[:2]
        browser.close()
    save(png, args.out, desktop_model)
    letters = Path(args.out).with_name("screenshot-phone-letters.png")
    save(phone_png, letters, phone_model)
    words = Path(args.out).with_name("screenshot-numbers-words.png")
    save(line_png, words, line_model)
    amount = Path(args.out).with_name("screenshot-numbers-amount.png")
    save(amount_png, amount, amount_model)
    print(f"wrote {args.out}, {letters}, {words} and {amount}")


def save(png: bytes, path: str | Path, model: list[str]) -> None:
    """The screenshot as a 256-colour PNG, the answering model's "name version" in its text."""
    info = PngImagePlugin.PngInfo()
    info.add_text("model", " ".join(model))
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(path, optimize=True, pnginfo=info)


if __name__ == "__main__":
    main()
