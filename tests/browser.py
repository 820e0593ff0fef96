"""Helpers for the page tests: Debian's Chromium driven by Playwright, nothing leaves the machine.

Never run ``playwright install``: the tests use the system browser (``/usr/bin/chromium``, or
``$MAPKIT_CHROMIUM``); install it with ``apt-get install chromium``.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MAPKIT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL = ("file:", "data:", "blob:", "about:")


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def require_browser(chromium: str | None = None, module: str = "playwright") -> None:
    """Skip the calling test when Chromium or Playwright is missing; under CI (the environment
    variable CI set, as .ci/run does) fail instead, so a CI run never passes without them."""
    chromium = chromium or CHROMIUM
    missing = []
    if not Path(chromium).exists():
        missing.append(f"Chromium at {chromium} (apt-get install -y chromium, or set MAPKIT_CHROMIUM)")
    if importlib.util.find_spec(module) is None:
        missing.append(f"the Python package {module} (scripts/setup --test)")
    if not missing:
        return
    reason = "the page tests need " + " and ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(reason + "; .ci/run must install it", pytrace=False)
    pytest.skip(reason)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


@dataclass
class Opened:
    """A page with everything it tried to do recorded."""

    page: object
    errors: list = field(default_factory=list)  # page errors and console errors
    requests: list = field(default_factory=list)  # every request
    blocked: list = field(default_factory=list)  # non-local requests (all aborted)

    @property
    def remote(self) -> list:
        return [url for url in self.requests if not url.startswith(LOCAL)]

    def ready(self, timeout: float = 5000):
        self.page.wait_for_function("window.__mapkitReady === true", timeout=timeout)
        return self

    def showing(self) -> str:
        return self.page.locator(".mk-showing").inner_text()

    def shown(self) -> int:
        return int(self.page.locator("body").get_attribute("data-mk-shown"))

    def settle(self, pause: float = 50):
        """Wait until marker-cluster animations are over."""
        if pause:
            self.page.wait_for_timeout(pause)
        self.page.wait_for_function(
            "!document.querySelector('.leaflet-cluster-anim') && !document.querySelector('.leaflet-zoom-anim')",
            timeout=3000,
        )
        return self

    def popup_at_rest(self, timeout: float = 3000):
        """Wait until a popup is open, wholly inside the map and the map no longer pans to it
        (a person clicks in a popup once it stops moving; a click sent mid-pan can miss)."""
        self.page.wait_for_function(
            """(() => {
                const map = mapkitPage.map, wrapper = document.querySelector('.leaflet-popup-content-wrapper');
                if (!wrapper || (map._panAnim && map._panAnim._inProgress)) return false;
                const c = map.getContainer().getBoundingClientRect(), p = wrapper.getBoundingClientRect();
                return p.top >= c.top && p.left >= c.left && p.bottom <= c.bottom && p.right <= c.right;
            })()""",
            timeout=timeout,
        )
        return self

    def focused(self) -> dict:
        """What has the keyboard focus: tag, classes, data-id, text, and where it is."""
        return self.page.evaluate(
            """(() => {
                const e = document.activeElement;
                if (!e || e === document.body) return {tag: 'body', cls: '', id: null, text: '', where: ''};
                return {tag: e.tagName.toLowerCase(), cls: String(e.className), id: e.getAttribute('data-id'),
                        text: (e.textContent || '').trim().slice(0, 80), label: e.getAttribute('aria-label'),
                        where: e.closest('.leaflet-popup') ? 'popup' : e.closest('.leaflet-marker-pane') ? 'markers'
                             : e.closest('#mk-panel') ? 'panel' : e.closest('#mk-header') ? 'header' : 'other'};
            })()"""
        )

    def tab_to(self, predicate: str, limit: int = 300, key: str = "Tab") -> dict:
        """Press Tab (as a person does) until the focused element ``e`` satisfies the JavaScript
        expression ``predicate``; the focused element's description."""
        for _ in range(limit):
            self.page.keyboard.press(key)
            if self.page.evaluate(f"(e => !!(e && ({predicate})))(document.activeElement)"):
                return self.focused()
        raise AssertionError(f"Tab never reached {predicate}")

    def markers_drawn(self) -> int:
        """Sites drawn on the map: single markers plus the sites counted in cluster bubbles.

        The view is first fitted to the shown sites if some are outside it (the map keeps its view
        when filters change).
        """
        refit = self.page.evaluate(
            """() => {
                const p = mapkitPage, view = p.map.getBounds();
                const inside = p.result.shown.every(i => !p.located[i] || view.contains([p.lat[i], p.lon[i]]));
                if (!inside) p.fitToShown();
                return !inside;
            }"""
        )
        self.settle(50 if refit else 0)
        return self.page.evaluate(
            """() => {
                const singles = document.querySelectorAll('.leaflet-marker-icon.mk-marker').length;
                let clustered = 0;
                for (const c of document.querySelectorAll('.leaflet-marker-icon.mk-cluster')) {
                    clustered += parseInt(c.getAttribute('data-count'), 10);
                }
                return singles + clustered;
            }"""
        )


def open_page(browser, path, *, hash: str = "", viewport=(1200, 800), wait: bool = True) -> Opened:
    """Open ``path`` (an HTML file) from file:// in a new page; abort every non-local request."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
    page = context.new_page()
    opened = Opened(page)

    def route(route):
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            opened.blocked.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("pageerror", lambda exc: opened.errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: opened.errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.goto(Path(path).resolve().as_uri() + hash)
    if wait:
        opened.ready()
    return opened


# --------------------------------------------------------------------------- fixture data


def sample_collection():
    """Eight sites covering every status, mode and precision, one without a location."""
    from tests.conftest import collection, site

    def pt(lon, lat):
        return {"type": "Point", "coordinates": [lon, lat]}

    sites = [
        site(),  # au-sydney-test: reported, physical, city precision, wenzhou-psb, opened 2018
        site(id="au-melbourne-box-hill", name="Box Hill office, Melbourne", city="Melbourne",
             address="1 Station St, Box Hill", location_precision="address", status="active",
             status_date="2023-02", opened="2019-05", operator=None, geometry=pt(145.12167, -37.81893)),
        site(id="nl-rotterdam-harbour", name="Harbour contact point, Rotterdam", country="NL", city="Rotterdam",
             address="Wijnhaven 3", location_precision="address", status="closed", status_date="2022-12",
             opened="2018-03", closed="2022-12", operator="wenzhou-psb", geometry=pt(4.48462, 51.91767),
             events=[{"date": "2018-03", "type": "opened", "summary": "Opened.", "sources": ["s1"]},
                     {"date": "2022-12", "type": "closed", "summary": "Closed on government order.",
                      "sources": ["s1", "s2"]}]),
        site(id="nl-amsterdam-online", name="Online service desk, Amsterdam", country="NL", city="Amsterdam",
             location_precision="city", mode="cloud", status="under_investigation", status_date="2022-11",
             opened=None, operator="fuzhou-psb", geometry=pt(4.9, 52.37)),
        site(id="ca-montreal-cafe", name="Centre communautaire Café, Montréal", country="CA", city="Montréal",
             location_precision="city", mode="unknown", status="reported", status_date="2022-12-01",
             opened="2021", host_organization="Association des Qingtian", geometry=pt(-73.567, 45.502)),
        site(id="gb-london-croydon", name="Croydon station, London", country="GB", city="London",
             address="Croydon", location_precision="district", status="active", status_date="2023-01",
             opened="2020-07-01", operator=None, geometry=pt(-0.099, 51.376)),
        site(id="us-unlocated", name="Reported station (place not stated), United States", country="US",
             city=None, location_precision="none", status="reported", status_date="2022-09", opened="2016",
             operator="wenzhou-psb", geometry=None),
        site(id="fr-paris-belleville", name="Belleville association, Paris", country="FR", city="Paris",
             location_precision="country", status="under_investigation", status_date="2023-03", opened="2018-11",
             operator=None, geometry=pt(2.35, 46.6)),
    ]
    return collection(*sites)
