#!/usr/bin/env python3
"""Screenshot the real map page for the README: build it, open it in headless Chromium, save a PNG.

    python scripts/screenshot.py                      # geodata/contact_points.geojson -> docs/map.png
    python scripts/screenshot.py --hash '#status=active&status=under_investigation' -o docs/active.png

The page is built with ``tiles="none"`` (country outlines only), so the picture needs no network and
is the same on every machine. Uses Debian's Chromium (``/usr/bin/chromium`` or ``$MAPKIT_CHROMIUM``);
never ``playwright install``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(REPO / "geodata" / "contact_points.geojson"))
    parser.add_argument("-o", "--output", default=str(REPO / "docs" / "map.png"))
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=750)
    parser.add_argument("--hash", default="", help="URL hash to open the page with (a filter state)")
    args = parser.parse_args(argv)

    import mapkit
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("MAPKIT_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        print(f"no Chromium at {chromium}: apt-get install -y chromium (or set MAPKIT_CHROMIUM)", file=sys.stderr)
        return 1
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        page_path = mapkit.save_map(mapkit.load(args.data), Path(tmp) / "map.html", tiles="none")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(page_path.resolve().as_uri() + args.hash)
            page.wait_for_function("window.__mapkitReady === true", timeout=10000)
            page.wait_for_timeout(400)  # let cluster animations finish
            page.screenshot(path=str(output))
            browser.close()
    if errors:
        print("page errors: " + "; ".join(errors), file=sys.stderr)
        return 1
    print(f"wrote {output} ({output.stat().st_size // 1024} KB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
