"""Take the screenshots in docs/screenshots/ again from a fresh build of the site.

    .venv/bin/python scripts/screenshots.py        (or: make screenshots)

Builds the site into a temporary folder, serves it under /factsheet/ on 127.0.0.1 and
photographs pages in headless Chromium (Debian's, or CHROMIUM_PATH): phone (390 px) and
desktop (1280 px), light and dark, the two pictures alone, a citation's target passage, a
search, the print view.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "site_src"))

from factsheet.pipeline import build_project  # noqa: E402

OUT = REPO / "docs" / "screenshots"
PREFIX = "/factsheet/"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
DEVICE = "devices/xiaomi-12s-ultra/"
# name: (page below the prefix, width, colour scheme)
SHOTS = {
    "home-desktop-light": ("", 1280, "light"),
    "home-desktop-dark": ("", 1280, "dark"),
    "home-phone-light": ("", 390, "light"),
    "home-phone-dark": ("", 390, "dark"),
    "device-desktop-light": (DEVICE, 1280, "light"),
    "device-desktop-dark": (DEVICE, 1280, "dark"),
    "device-phone-light": (DEVICE, 390, "light"),
    "device-phone-dark": (DEVICE, 390, "dark"),
    "history-desktop-light": ("history/", 1280, "light"),
    # The German edition.
    "de-home-desktop-light": ("de/", 1280, "light"),
    "de-home-phone-dark": ("de/", 390, "dark"),
    "de-device-desktop-dark": ("de/" + DEVICE, 1280, "dark"),
    "de-device-phone-light": ("de/" + DEVICE, 390, "light"),
}
# The two pictures alone (name: page, the picture's figure), each on a phone and a desktop, light and dark.
PICTURES = {
    "timeline": ("history/", ".picture-timeline"),
    "timeline-home": ("", ".picture-timeline-small"),
    "lineup": ("", ".picture-lineup"),
}


class SubPathHandler(SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path[len(PREFIX) :] if path.startswith(PREFIX) else path)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print(f"screenshots: {CHROMIUM} is missing; run scripts/system-deps.sh or set CHROMIUM_PATH", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "_site"
        build_project(REPO, site)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPathHandler, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

                def page_at(width: int, scheme: str):
                    height = 844 if width < 600 else 900  # a phone's screen, or a laptop's
                    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                    return context.new_page()

                for name, (path, width, scheme) in SHOTS.items():
                    page = page_at(width, scheme)
                    page.goto(base + path)
                    page.screenshot(path=OUT / f"{name}.png")
                for name, (path, selector) in PICTURES.items():
                    for device, width in (("phone", 390), ("desktop", 1280)):
                        for scheme in ("light", "dark"):
                            page = page_at(width, scheme)
                            page.goto(base + path)
                            page.locator(selector).screenshot(path=OUT / f"{name}-{device}-{scheme}.png")
                # A citation followed: the source page scrolled to its marked passage.
                page = page_at(390, "dark")
                page.goto(base + DEVICE)
                page.locator("a.cite").first.click()
                page.wait_for_url("**/sources/**#p-*")
                page.wait_for_timeout(1500)  # the smooth scroll to the marked passage
                page.screenshot(path=OUT / "source-target-phone-dark.png")
                # A search, as the header's search box sends it.
                for name, width, scheme in [("search-desktop-light", 1280, "light"), ("search-phone-dark", 390, "dark")]:
                    page = page_at(width, scheme)
                    page.goto(base + "search/?q=12S+Ultra")
                    page.locator("#search-results li").first.wait_for(timeout=10_000)
                    page.screenshot(path=OUT / f"{name}.png")
                # The print stylesheet: citations as readable references.
                page = page_at(800, "light")
                page.set_viewport_size({"width": 800, "height": 1100})  # about a sheet of paper
                page.emulate_media(media="print")
                page.goto(base + DEVICE)
                page.screenshot(path=OUT / "device-print.png")
                browser.close()
        finally:
            server.shutdown()
    print(f"screenshots: {len(SHOTS) + len(PICTURES) * 4 + 4} files in {OUT.relative_to(REPO)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
