"""Take the README's screenshot (docs/screenshot.png) of the app as it is now: the API and
the app served on loopback, Debian's Chromium driven by Playwright, a 7 drawn with the mouse;
and docs/screenshot-phone-letters.png: an A drawn in letters mode on a phone-sized page.

    python scripts/screenshot.py [--out docs/screenshot.png]      (or: make screenshot)
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from devtools.browser import DIGITS, LETTERS, draw_with_mouse, launch  # noqa: E402
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
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.goto(f"{web}/index.html?api={api}")
        expect(phone.locator("#model-choice option[value=characters]")).to_have_count(1, timeout=15_000)
        phone.select_option("#model-choice", "characters")
        expect(phone.locator("#draw-title")).to_have_text("Draw a letter or a digit")
        draw_with_mouse(phone, LETTERS["A"])
        expect(phone.locator("#latency")).to_contain_text("characters", timeout=10_000)
        phone.locator("#result").scroll_into_view_if_needed()
        phone_png = phone.screenshot(full_page=False)
        browser.close()
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(args.out, optimize=True)
    letters = Path(args.out).with_name("screenshot-phone-letters.png")
    Image.open(io.BytesIO(phone_png)).convert("RGB").quantize(256).save(letters, optimize=True)
    print(f"wrote {args.out} and {letters}")


if __name__ == "__main__":
    main()
