"""The map page in real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Every non-local request is aborted and recorded. One browser per session, a new page per test.
"""

from __future__ import annotations

import json
import re

import pytest

import mapkit
from mapkit.filters import filter_frame, normalize_filters
from mapkit.render import save_map
from tests.browser import launch, open_page, require_browser, sample_collection
from tests.conftest import GEODATA, OPERATORS, SHIPPED, collection, site

pytestmark = pytest.mark.browser

PAYLOAD = (
    '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>'
    "<!-- ' \" \\ \\\" &amp; <b>bold</b> \u2028\u2029\x85 {{ 7 * 7 }}"
)


@pytest.fixture(scope="session")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_map(browser):
    """open_map(path, hash="", viewport=(w, h)) -> Opened; closes its pages after the test."""
    opened = []

    def go(path, **kwargs):
        page = open_page(browser, path, **kwargs)
        opened.append(page)
        return page

    yield go
    for page in opened:
        page.page.context.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The sample sites with operators and country outlines beside them (as conftest's write_data)."""
    folder = tmp_path_factory.mktemp("sample")
    path = folder / "contact_points.geojson"
    path.write_text(json.dumps(sample_collection(), ensure_ascii=False), encoding="utf-8")
    (folder / "operators.geojson").write_text(json.dumps(OPERATORS), encoding="utf-8")
    (folder / "countries.geojson").symlink_to(GEODATA / "countries.geojson")
    return path


@pytest.fixture(scope="module")
def frame(data):
    return mapkit.load(data)


@pytest.fixture(scope="module")
def html(data):
    """The sample page (tiles none), built once for the module; every test opens its own page."""
    return save_map(mapkit.load(data), data.parent / "map.html", tiles="none")


def located(frame) -> int:
    return int(frame.geometry.notna().sum())


# --------------------------------------------------------------------------- loading


def test_loads_without_errors_or_requests(open_map, html, frame):
    m = open_map(html)
    assert m.errors == []
    assert m.remote == [], "with tiles none, no request leaves the page"
    assert m.showing() == "Showing 8 of 8 sites (1 not on the map)"
    assert m.markers_drawn() == located(frame) == 7
    header = m.page.locator("#mk-header").inner_text()
    assert "Test sites" in header and "Fixture" in header and "0.0.1" in header and "2026-11-23" in header
    assert "8 sites (1 not on the map)" in header
    assert m.page.locator(".leaflet-container canvas").count() >= 1, "country outlines drawn"
    assert "Natural Earth" in m.page.locator(".leaflet-control-attribution").inner_text()


def test_default_tiles_are_the_only_requests(open_map, data, tmp_path):
    path = save_map(mapkit.load(data), tmp_path / "tiles.html")
    m = open_map(path)
    m.page.wait_for_timeout(200)
    assert m.remote, "the default basemap asks for tiles"
    assert all(re.match(r"https://[a-d]\.basemaps\.cartocdn\.com/light_all/\d+/\d+/\d+(@2x)?\.png$", u) for u in m.remote)
    assert [e for e in m.errors if "Failed to load resource" not in e] == []
    assert "CARTO" in m.page.locator(".leaflet-control-attribution").inner_text()
    assert m.markers_drawn() == 7


# --------------------------------------------------------------------------- filters


def click_option(m, facet, label):
    m.page.locator(f".mk-facet-{facet} label.mk-option", has_text=label).locator("input").click()


def expect_counts(m, frame, **filters):
    expected = filter_frame(frame, **filters)
    n = len(expected)
    m.page.wait_for_function(f"document.body.getAttribute('data-mk-shown') === '{n}'", timeout=3000)
    assert m.shown() == n, filters
    assert m.markers_drawn() == located(expected), filters
    return expected


def test_each_filter_and_their_combination_match_python(open_map, html, frame):
    m = open_map(html)
    click_option(m, "status", "Active")
    expect_counts(m, frame, status=["active"])
    click_option(m, "status", "Reported")
    expect_counts(m, frame, status=["active", "reported"])
    click_option(m, "country", "Australia")
    expect_counts(m, frame, status=["active", "reported"], country=["AU"])
    m.page.get_by_role("button", name="Reset filters").click()
    expect_counts(m, frame)

    click_option(m, "mode", "Online only")
    expect_counts(m, frame, mode=["cloud"])
    click_option(m, "mode", "Unknown")
    expect_counts(m, frame, mode=["cloud", "unknown"])
    m.page.get_by_role("button", name="Reset filters").click()

    click_option(m, "operator", "Wenzhou")
    expect_counts(m, frame, operator=["wenzhou-psb"])
    click_option(m, "operator", "No bureau named")
    expect_counts(m, frame, operator=["wenzhou-psb", ""])
    m.page.get_by_role("button", name="Reset filters").click()

    m.page.fill("#mk-from", "2018")
    m.page.press("#mk-from", "Enter")
    expect_counts(m, frame, opened_from=2018)
    m.page.fill("#mk-to", "2019")
    m.page.press("#mk-to", "Enter")
    expect_counts(m, frame, opened_from=2018, opened_to=2019)
    m.page.get_by_role("button", name="Reset filters").click()

    m.page.fill("#mk-text", "montreal")  # accents folded as in Python
    expect_counts(m, frame, text="montreal")
    m.page.fill("#mk-text", "WENZHOU-psb paris")  # matches the operator id, every word must match
    expect_counts(m, frame, text="WENZHOU-psb paris")
    m.page.fill("#mk-text", "sydney")
    expect_counts(m, frame, text="sydney")
    click_option(m, "status", "Closed")
    expect_counts(m, frame, text="sydney", status=["closed"])
    assert m.errors == []


@pytest.mark.parametrize(
    "hash, filters",
    [
        ("#status=active&status=under_investigation&country=NL&country=GB",
         dict(status=["active", "under_investigation"], country=["NL", "GB"])),
        ("#operator=-&mode=physical", dict(operator=[""], mode=["physical"])),
        ("#from=2019&q=office", dict(opened_from=2019, text="office")),
        ("#to=2018&status=reported&status=closed", dict(opened_to=2018, status=["reported", "closed"])),
        ("#country=FR&country=US&status=reported&status=under_investigation",
         dict(country=["FR", "US"], status=["reported", "under_investigation"])),
    ],
)
def test_combinations_from_the_url(open_map, html, frame, hash, filters):
    m = open_map(html, hash=hash)
    expect_counts(m, frame, **filters)
    assert m.errors == []


def test_facet_counts_follow_the_other_filters(open_map, html, frame):
    m = open_map(html, hash="#country=NL")
    counts = {
        row.locator(".mk-option-label").inner_text(): int(row.locator(".mk-count").inner_text())
        for row in m.page.locator(".mk-facet-status label.mk-option").all()
    }
    nl = frame[frame["country"] == "NL"]
    assert counts == {
        "Active": int((nl["status"] == "active").sum()),
        "Reported": int((nl["status"] == "reported").sum()),
        "Under investigation": int((nl["status"] == "under_investigation").sum()),
        "Closed": int((nl["status"] == "closed").sum()),
    }
    australia = m.page.locator(".mk-facet-country label.mk-option", has_text="Australia")
    assert australia.locator(".mk-count").inner_text() == "2", "a facet's own selection does not narrow its counts"


def test_legend_filters_on_click(open_map, html, frame):
    m = open_map(html)
    m.page.locator(".mk-legend-item", has_text="Closed").click()
    expect_counts(m, frame, status=["closed"])
    assert m.page.locator(".mk-legend-item", has_text="Closed").get_attribute("aria-pressed") == "true"
    assert m.page.locator(".mk-facet-status label.mk-option", has_text="Closed").locator("input").is_checked()
    assert "status=closed" in m.page.evaluate("location.hash")


def test_country_search_narrows_the_options(open_map, html):
    m = open_map(html)
    m.page.fill("#mk-country-search", "nether")
    visible = [o.inner_text() for o in m.page.locator(".mk-facet-country label.mk-option").all() if o.is_visible()]
    assert len(visible) == 1 and "Netherlands" in visible[0]


# --------------------------------------------------------------------------- URL state


def test_hash_round_trips_through_reload_and_back(open_map, html, frame):
    m = open_map(html)
    click_option(m, "status", "Active")
    expect_counts(m, frame, status=["active"])
    click_option(m, "country", "Australia")
    expect_counts(m, frame, status=["active"], country=["AU"])
    hash = m.page.evaluate("location.hash")
    assert hash == "#status=active&country=AU"
    m.page.reload()
    m.ready()
    expect_counts(m, frame, status=["active"], country=["AU"])
    assert m.page.locator(".mk-facet-country label.mk-option", has_text="Australia").locator("input").is_checked()
    m.page.go_back()
    expect_counts(m, frame, status=["active"])
    assert not m.page.locator(".mk-facet-country label.mk-option", has_text="Australia").locator("input").is_checked()
    m.page.go_back()
    expect_counts(m, frame)
    m.page.go_forward()
    expect_counts(m, frame, status=["active"])
    assert m.errors == []


def test_link_to_a_site_reopens_the_map_on_it(open_map, html):
    m = open_map(html, hash="#site=nl-rotterdam-harbour")
    popup = m.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator(".mk-pop-title").inner_text() == "Harbour contact point, Rotterdam"
    m.settle()
    assert m.page.locator('.mk-marker[data-id="nl-rotterdam-harbour"]').is_visible(), "zoomed in to the site itself"
    link = popup.get_by_role("link", name="Link to this site")
    assert link.get_attribute("href") == "#site=nl-rotterdam-harbour"


def test_map_knows_its_real_size_and_popups_open_inside_it(open_map, html):
    """The header and panel are built after Leaflet measures its container; a stale size once
    left popups opened from the list partly under the bottom edge (and clicks on them missed)."""
    m = open_map(html, hash="#status=active")
    size = m.page.evaluate(
        "(() => { const c = mapkitPage.map.getContainer(), s = mapkitPage.map.getSize();"
        " return [s.x, s.y, c.clientWidth, c.clientHeight]; })()"
    )
    assert size[:2] == size[2:]
    m.page.locator(".mk-row", has_text="Box Hill").click()
    m.popup_at_rest()  # once the auto-pan is over, the whole popup is in view
    assert m.page.evaluate("mapkitPage.map.getContainer().scrollTop") == 0
    m.page.set_viewport_size({"width": 900, "height": 600})
    m.page.wait_for_function(
        "(() => { const c = mapkitPage.map.getContainer(), s = mapkitPage.map.getSize();"
        " return s.x === c.clientWidth && s.y === c.clientHeight; })()",
        timeout=3000,
    )


def test_link_in_a_popup_clears_the_filters_and_shows_the_site(open_map, html, frame):
    m = open_map(html, hash="#status=active")
    m.page.locator(".mk-row", has_text="Box Hill").click()
    m.popup_at_rest()
    m.page.locator(".leaflet-popup-content").get_by_role("link", name="Link to this site").click()
    expect_counts(m, frame)
    assert m.page.evaluate("location.hash") == "#site=au-melbourne-box-hill"
    assert m.page.locator(".leaflet-popup-content .mk-pop-title").inner_text() == "Box Hill office, Melbourne"
    m.page.go_back()
    expect_counts(m, frame, status=["active"])


# --------------------------------------------------------------------------- sites


def test_popup_shows_events_and_sources_as_links(open_map, html, frame):
    m = open_map(html)
    m.page.locator(".mk-row", has_text="Harbour contact point").click()
    popup = m.page.locator(".leaflet-popup-content")
    popup.wait_for()
    props = frame.set_index("id").loc["nl-rotterdam-harbour"]
    text = popup.inner_text()
    for needle in ("Closed (as of 2022-12)", "Rotterdam, Netherlands", "Wijnhaven 3", "Office or venue",
                   "Wenzhou Municipal Public Security Bureau", "2018-03", "Closed on government order."):
        assert needle in text
    assert popup.locator(".mk-events li").count() == len(props["events"])
    links = popup.locator(".mk-sources a")
    assert links.count() == len(props["sources"])
    for i, source in enumerate(props["sources"]):
        a = links.nth(i)
        assert a.get_attribute("href") == source["url"]
        assert a.get_attribute("target") == "_blank"
        assert a.get_attribute("rel") == "noopener noreferrer"
        assert a.inner_text() == source["title"]
    refs = popup.locator(".mk-events a.mk-ref")
    assert refs.count() == 3 and all(r.get_attribute("rel") == "noopener noreferrer" for r in refs.all())
    focused = m.page.evaluate("document.activeElement.className")
    assert "mk-pop-title" in focused, "opening from the list moves focus into the popup"


def test_marker_click_opens_popup(open_map, html):
    m = open_map(html)
    m.page.evaluate("void mapkitPage.map.setView([-37.81893, 145.12167], 12, {animate: false})")
    m.settle()
    m.page.locator('.mk-marker[data-id="au-melbourne-box-hill"]').click()
    assert m.page.locator(".leaflet-popup-content .mk-pop-title").inner_text() == "Box Hill office, Melbourne"
    m.page.keyboard.press("Escape")  # the clicked marker has the focus: Escape on it closes its popup
    m.page.locator(".leaflet-popup").wait_for(state="detached", timeout=3000)
    assert m.focused()["id"] == "au-melbourne-box-hill"


def test_markers_drawn_by_status_mode_and_precision(open_map, html):
    m = open_map(html)
    m.page.evaluate("void mapkitPage.map.setView([52.1, 4.7], 9, {animate: false})")
    m.settle()
    harbour = m.page.locator('.mk-marker[data-id="nl-rotterdam-harbour"]')
    online = m.page.locator('.mk-marker[data-id="nl-amsterdam-online"]')
    assert "mk-s-closed" in harbour.get_attribute("class") and "mk-approx" not in harbour.get_attribute("class")
    assert {"mk-cloud", "mk-approx", "mk-s-under_investigation"} <= set(online.get_attribute("class").split())
    style = online.evaluate("e => [getComputedStyle(e).borderTopStyle, getComputedStyle(e).backgroundColor]")
    assert style[0] == "dashed" and style[1].startswith("rgba(255, 255, 255")
    fill = harbour.evaluate("e => getComputedStyle(e).backgroundColor")
    assert fill == "rgb(102, 102, 102)"


def test_hostile_text_is_shown_as_text_and_runs_nothing(open_map, write_data, tmp_path):
    text_fields = dict(name=PAYLOAD, city=PAYLOAD, address=PAYLOAD, host_organization=PAYLOAD, notes=PAYLOAD,
                       reported_by=PAYLOAD, status_date=PAYLOAD, opened=PAYLOAD, closed=PAYLOAD)
    hostile = site(
        id="au-hostile", **text_fields, location_precision="address",
        events=[{"date": PAYLOAD, "type": PAYLOAD, "summary": PAYLOAD, "sources": ["s1", "s2", PAYLOAD]}],
        sources=[
            {"id": "s1", "publisher": PAYLOAD, "title": PAYLOAD, "url": "javascript:window.__pwned=3",
             "published": PAYLOAD, "archive_url": "JaVaScRiPt:window.__pwned=4"},
            {"id": "s2", "publisher": "P", "title": "data link", "url": "data:text/html,<script>window.__pwned=5</script>"},
        ],
    )
    operators = json.loads(json.dumps(OPERATORS))
    operators["features"][0]["properties"]["name"] = PAYLOAD
    (tmp_path / "ops.geojson").write_text(json.dumps(operators), encoding="utf-8")
    path = write_data(collection(hostile, title=PAYLOAD, description=PAYLOAD, version=PAYLOAD, license=PAYLOAD,
                                 citation=PAYLOAD))
    out = save_map(mapkit.load(path), tmp_path / "hostile.html", tiles="none", operators=tmp_path / "ops.geojson")
    m = open_map(out)
    m.page.locator(".mk-row").first.click()
    popup = m.page.locator(".leaflet-popup-content")
    popup.wait_for()
    m.page.locator(".mk-about summary").click()
    m.page.check("#mk-lines")
    m.page.wait_for_timeout(100)
    assert m.page.evaluate("window.__pwned") is None
    assert m.errors == []
    assert m.page.locator("h1.mk-title").text_content() == PAYLOAD
    assert popup.locator(".mk-pop-title").text_content() == PAYLOAD
    assert PAYLOAD in popup.text_content()
    assert m.page.locator("img").count() == 0, "no element was made from the data"
    assert m.page.locator("b").count() == 0
    hrefs = m.page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if not re.match(r"^(https?://|#)", h)], hrefs
    assert "link not shown" in popup.text_content(), "a javascript: URL is shown as text, not as a link"
    assert m.page.title() == PAYLOAD


def test_unlocated_site_is_listed(open_map, html):
    m = open_map(html)
    heading = m.page.locator("#mk-off-heading")
    assert heading.inner_text() == "Not on the map: 1"
    row = m.page.locator(".mk-off .mk-row")
    assert row.count() == 1 and "United States" in row.inner_text()
    row.click()
    detail = m.page.locator(".mk-detail")
    detail.wait_for(state="visible", timeout=3000)
    assert "Reported station (place not stated)" in detail.inner_text()
    m.page.locator(".mk-facet-status label.mk-option", has_text="Active").locator("input").click()
    m.page.wait_for_function("document.querySelector('#mk-off-heading').textContent === 'Not on the map: 0'")


def test_list_sorts_and_clicking_a_row_zooms(open_map, html, frame):
    m = open_map(html)
    listed = m.page.locator("section.mk-section").first.locator(".mk-row-name").all_inner_texts()
    located_names = sorted(frame[frame.geometry.notna()]["name"], key=lambda s: mapkit.filters.fold(s))
    assert listed == located_names
    m.page.select_option("#mk-sort", "status")
    statuses = [m.page.evaluate(f"mapkitPage.val(mapkitPage.byId[{json.dumps(i)}], 'status')")
                for i in m.page.locator("section.mk-section").first.locator(".mk-row").evaluate_all(
                    "els => els.map(e => e.dataset.id)")]
    order = ["active", "reported", "under_investigation", "closed"]
    assert statuses == sorted(statuses, key=order.index)
    m.page.select_option("#mk-sort", "date")
    assert "sort=date" in m.page.evaluate("location.hash")
    m.page.select_option("#mk-sort", "country")
    first = m.page.locator("section.mk-section").first.locator(".mk-row").first
    assert "Australia" in first.inner_text()
    zoom = m.page.evaluate("mapkitPage.map.getZoom()")
    first.click()
    m.page.locator(".leaflet-popup-content").wait_for()
    assert m.page.evaluate("mapkitPage.map.getZoom()") > zoom


# --------------------------------------------------------------------------- taking data away


def test_download_is_exactly_the_filtered_set(open_map, html, frame):
    m = open_map(html, hash="#status=reported&status=under_investigation&q=a")
    filters = dict(status=["reported", "under_investigation"], text="a")
    expected = filter_frame(frame, **filters)
    with m.page.expect_download() as info:
        m.page.get_by_role("button", name="Download shown sites").click()
    download = info.value
    assert download.suggested_filename.endswith(".geojson")
    got = json.loads(open(download.path(), encoding="utf-8").read())
    want = mapkit.to_feature_collection(expected)
    assert got["type"] == "FeatureCollection"
    assert got["features"] == want["features"]
    assert len(got["features"]) == len(expected) >= 2
    for key in ("title", "description", "version", "updated", "license", "citation"):
        assert got[key] == frame.attrs["collection"][key]
    assert got["filter"] == normalize_filters(**filters)
    assert any(f["geometry"] is None for f in got["features"]), "unlocated sites are downloaded too"


# --------------------------------------------------------------------------- phone and keyboard


def test_phone_screen_collapses_the_panel(open_map, html):
    m = open_map(html, viewport=(375, 667))
    overflow = "document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth"
    assert m.page.evaluate(overflow)
    assert not m.page.locator("#mk-panel").is_visible()
    toggle = m.page.locator(".mk-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert m.page.locator("#mk-panel").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert m.page.evaluate(overflow)
    wide = m.page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1"
        " && e.offsetParent !== null && !e.closest('.leaflet-container')).map(e => e.className)"
    )
    assert wide == []
    m.page.locator(".mk-row", has_text="Box Hill").click()
    m.page.locator(".leaflet-popup-content").wait_for()
    assert not m.page.locator("#mk-panel").is_visible(), "choosing a site shows it on the map"
    assert m.page.evaluate(overflow)
    assert m.errors == []


def test_keyboard_reaches_every_control(open_map, html, frame):
    m = open_map(html)
    m.page.check("#mk-lines")
    m.page.locator(".mk-legend summary").focus()
    m.page.evaluate("document.activeElement.blur()")
    m.page.evaluate("window.scrollTo(0, 0)")
    controls = m.page.evaluate(
        """() => [...document.querySelectorAll('#mk-panel input, #mk-panel button, #mk-panel select, #mk-panel summary,'
              + ' .mk-legend button, .mk-legend summary, .leaflet-control-zoom a, .leaflet-marker-icon')]
              .filter(e => e.offsetParent !== null || e.closest('.leaflet-marker-pane'))
              .map((e, i) => (e.dataset.mkTab = String(i), i))"""
    )
    reached = set()
    m.page.locator("body").focus()
    for _ in range(len(controls) * 2 + 20):
        m.page.keyboard.press("Tab")
        tab = m.page.evaluate("document.activeElement && document.activeElement.dataset.mkTab")
        if tab is not None:
            reached.add(int(tab))
        if len(reached) == len(controls):
            break
    missing = m.page.evaluate(
        "(ids) => ids.map(i => document.querySelector(`[data-mk-tab='${i}']`).outerHTML.slice(0, 80))",
        sorted(set(controls) - reached),
    )
    assert missing == []
    labels = m.page.evaluate(
        "[...document.querySelectorAll('.leaflet-marker-icon')].map(e => [e.getAttribute('aria-label'), e.tabIndex, e.getAttribute('role')])"
    )
    assert labels and all(label and tab == 0 and role == "button" for label, tab, role in labels), labels
    names = dict(zip(frame["id"], frame["name"]))
    for marker in m.page.locator(".mk-marker").all():
        label = marker.get_attribute("aria-label")
        assert label.startswith(names[marker.get_attribute("data-id")] + ";"), label
    marker = m.page.locator(".mk-marker").first
    rows = m.page.evaluate("[...document.querySelectorAll('.mk-row')].map(e => e.getAttribute('aria-label'))")
    assert rows and all(rows)
    marker.focus()
    m.page.keyboard.press("Enter")
    m.page.locator(".leaflet-popup-content").wait_for()


# the sites (ids) drawn by the focused marker or cluster
FOCUSED_SITES = """(() => {
    const p = mapkitPage, a = document.activeElement, out = [];
    p.markers.forEach((m, i) => {
        if (!m || !p.cluster.hasLayer(m)) return;
        const shown = p.cluster.getVisibleParent(m);
        if (shown && shown._icon === a) out.push(p.val(i, 'id'));
    });
    return out.sort();
})()"""
NO_SCROLL = ("window.scrollY === 0 && document.scrollingElement.scrollTop === 0"
             " && mapkitPage.map.getContainer().scrollTop === 0 && mapkitPage.map.getContainer().scrollLeft === 0")


@pytest.mark.parametrize("key", ["Enter", "Space"])
def test_enter_or_space_on_a_cluster_zooms_in_to_it(open_map, html, key):
    m = open_map(html)
    m.settle()
    cluster = m.tab_to("e.classList.contains('mk-cluster')")
    assert "press Enter to zoom in" in cluster["label"]
    inside = m.page.evaluate(FOCUSED_SITES)
    assert len(inside) == int(m.page.evaluate("document.activeElement.dataset.count")) >= 2
    zoom = m.page.evaluate("mapkitPage.map.getZoom()")
    m.page.keyboard.press(key)
    m.page.wait_for_function(
        f"mapkitPage.map.getZoom() > {zoom} && !mapkitPage.cluster._inZoomAnimation"
        " && document.activeElement.closest('.leaflet-marker-pane') !== null", timeout=5000)
    m.settle()
    now = m.page.evaluate(FOCUSED_SITES)
    assert now and set(now) < set(inside), "focus moves to one of the sites (or smaller clusters) it held"
    assert m.page.evaluate(NO_SCROLL)
    assert m.errors == []


def test_enter_on_a_cluster_at_the_last_zoom_spreads_it_out(open_map, write_data, tmp_path):
    """Two sites at one point never come apart by zooming: Enter spiderfies them."""
    here = {"type": "Point", "coordinates": [4.48462, 51.91767]}
    path = write_data(collection(
        site(id="nl-one", name="First office, Rotterdam", country="NL", city="Rotterdam", address="Wijnhaven 3",
             location_precision="address", geometry=here),
        site(id="nl-two", name="Second office, Rotterdam", country="NL", city="Rotterdam", address="Wijnhaven 3",
             location_precision="address", geometry=here),
    ))
    m = open_map(save_map(mapkit.load(path), tmp_path / "same.html", tiles="none"))
    m.settle()
    m.tab_to("e.classList.contains('mk-cluster')")
    m.page.keyboard.press("Enter")
    m.page.wait_for_function("document.activeElement.classList.contains('mk-marker')", timeout=5000)
    assert m.page.locator(".leaflet-marker-icon.mk-marker").count() == 2
    first = m.focused()
    assert first["id"] in ("nl-one", "nl-two")
    m.page.keyboard.press("Enter")
    m.page.wait_for_function("document.activeElement.classList.contains('mk-pop-title')", timeout=3000)
    name = {"nl-one": "First office, Rotterdam", "nl-two": "Second office, Rotterdam"}[first["id"]]
    assert m.focused()["text"] == name
    assert m.errors == []


def test_popup_opened_by_keyboard_takes_the_focus_and_escape_gives_it_back(open_map, html):
    m = open_map(html)
    m.page.evaluate("void mapkitPage.map.setView([-37.81893, 145.12167], 12, {animate: false})")
    m.settle()
    m.tab_to("e.dataset.id === 'au-melbourne-box-hill'")
    m.page.keyboard.press("Enter")
    m.page.wait_for_function("document.activeElement.classList.contains('mk-pop-title')", timeout=3000)
    m.popup_at_rest()
    assert m.focused()["text"] == "Box Hill office, Melbourne"
    links = m.page.evaluate("[...document.querySelectorAll('.leaflet-popup a[href]')].map(a => a.textContent)")
    assert links[:2] == ["[1]", "[2]"] and "Link to this site" in links and len(links) >= 5
    stops = []
    for _ in links:
        m.page.keyboard.press("Tab")
        stops.append(m.focused())
    assert [s["text"] for s in stops] == links, "the popup's links (then its close button) are the next Tab stops"
    assert {s["where"] for s in stops} == {"popup"}
    m.page.keyboard.press("Shift+Tab")
    m.page.keyboard.press("Escape")  # Escape inside the popup
    m.page.locator(".leaflet-popup").wait_for(state="detached", timeout=3000)
    assert m.focused()["id"] == "au-melbourne-box-hill"

    m.page.keyboard.press("Space")  # Space opens it too
    m.page.wait_for_function("document.activeElement.classList.contains('mk-pop-title')", timeout=3000)
    back = m.tab_to("e.dataset.id === 'au-melbourne-box-hill'", limit=5, key="Shift+Tab")
    assert back["where"] == "markers" and m.page.locator(".leaflet-popup").count() == 1
    m.page.keyboard.press("Escape")  # Escape on the marker
    m.page.locator(".leaflet-popup").wait_for(state="detached", timeout=3000)
    assert m.focused()["id"] == "au-melbourne-box-hill"
    assert m.page.evaluate(NO_SCROLL)
    assert m.errors == []


@pytest.mark.parametrize("grid", [False, True], ids=["clusters", "grid"])
def test_popup_from_the_list_by_keyboard_and_back(open_map, data, html, tmp_path, grid):
    """The canvas grid (above the cluster threshold) draws no focusable markers; the list is the
    keyboard's way to the sites there, and Escape goes back to the row."""
    path = save_map(mapkit.load(data), tmp_path / "grid.html", tiles="none", cluster_threshold=1) if grid else html
    m = open_map(path)
    assert m.page.locator("body").get_attribute("data-mk-mode") == ("grid" if grid else "cluster")
    if grid:
        assert m.page.locator(".leaflet-marker-pane [tabindex]").count() == 0
        assert m.page.locator("canvas.mk-grid").get_attribute("aria-hidden") == "true"
    m.tab_to("e.classList.contains('mk-row') && e.dataset.id === 'nl-rotterdam-harbour'")
    m.page.keyboard.press("Enter")
    m.page.wait_for_function("document.activeElement.classList.contains('mk-pop-title')", timeout=5000)
    assert m.focused()["text"] == "Harbour contact point, Rotterdam"
    m.popup_at_rest()
    m.page.keyboard.press("Tab")
    assert m.focused()["where"] == "popup" and m.focused()["tag"] == "a"
    m.page.keyboard.press("Escape")
    m.page.locator(".leaflet-popup").wait_for(state="detached", timeout=3000)
    back = m.focused()
    assert back["id"] == "nl-rotterdam-harbour" and "mk-row" in back["cls"] and back["where"] == "panel"
    assert m.errors == []


LONG = ("Sites reported as overseas police stations. Every entry is an allegation or an official statement, "
        "attributed to its source; denials are recorded as events. Points at city, region or country "
        "precision are centres, not addresses. This last sentence only makes the text long enough to need "
        "more than one line on any screen.")


def test_the_description_can_be_read_in_full(open_map, html, write_data, tmp_path):
    short = open_map(html)  # "Fixture" fits on its line: nothing to expand
    assert short.page.locator(".mk-description").inner_text() == "Fixture"
    assert short.page.locator(".mk-desc-more").is_hidden()

    path = save_map(mapkit.load(write_data(collection(site(), description=LONG))), tmp_path / "long.html", tiles="none")
    clamped = "e => e.scrollHeight > e.clientHeight + 1"
    m = open_map(path)
    desc = m.page.locator(".mk-description")
    assert desc.is_visible() and desc.evaluate(clamped), "one line in the header"
    more = m.tab_to("e.classList.contains('mk-desc-more')")
    assert more["text"] == "Read more"
    assert m.page.locator(".mk-desc-more").get_attribute("aria-expanded") == "false"
    m.page.keyboard.press("Enter")
    assert not desc.evaluate(clamped) and desc.text_content() == LONG
    assert m.page.locator(".mk-desc-more").get_attribute("aria-expanded") == "true"
    assert m.focused()["text"] == "Show less"
    m.page.wait_for_function(  # the taller header leaves the map less room, and the map knows it
        "(() => { const c = mapkitPage.map.getContainer(), s = mapkitPage.map.getSize();"
        " return s.x === c.clientWidth && s.y === c.clientHeight; })()", timeout=3000)
    m.page.keyboard.press("Enter")
    assert desc.evaluate(clamped)
    m.page.locator(".mk-about summary").click()
    assert m.page.locator(".mk-about-description").text_content() == LONG

    phone = open_map(path, viewport=(375, 667))
    desc = phone.page.locator(".mk-description")
    assert desc.is_visible() and desc.evaluate(clamped)
    lines = desc.evaluate("e => Math.round(e.clientHeight / parseFloat(getComputedStyle(e).lineHeight))")
    assert lines == 2
    phone.page.get_by_role("button", name="Read more").click()
    assert desc.evaluate("e => getComputedStyle(e).webkitLineClamp") == "none"
    assert desc.evaluate("e => e.scrollHeight <= e.clientHeight + 1 || getComputedStyle(e).overflowY === 'auto'")
    assert phone.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert m.errors == [] and phone.errors == []


def test_legend_says_which_precisions_are_drawn_filled(open_map, html, frame):
    from mapkit import schema

    def either(words):
        return ", ".join(words[:-1]) + " or " + words[-1]

    exact = [p for p in schema.PRECISIONS if p not in schema.APPROXIMATE_PRECISIONS]
    approx = [p for p in schema.APPROXIMATE_PRECISIONS if p != "none"]
    m = open_map(html)
    shapes = m.page.locator(".mk-legend-shapes li").all_inner_texts()
    assert shapes[:2] == [f"filled: at its {either(exact)}", f"hollow: at a {either(approx)} centre"]
    assert exact == ["address", "street", "district"]
    m.page.evaluate("void mapkitPage.map.setView([51.376, -0.099], 12, {animate: false})")
    m.settle()
    croydon = m.page.locator('.mk-marker[data-id="gb-london-croydon"]')  # district precision: filled
    assert "mk-approx" not in croydon.get_attribute("class")
    assert "location precision: district" in croydon.get_attribute("aria-label")
    m.page.locator(".mk-about summary").click()
    assert f"Filled markers are placed at the {either(exact)}" in m.page.locator(".mk-about").inner_text()


def test_missing_browser_fails_under_ci_and_skips_elsewhere(monkeypatch, tmp_path):
    from tests import browser as helpers

    nowhere = str(tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium at"):
        helpers.require_browser(nowhere)
    with pytest.raises(pytest.fail.Exception, match="mapkit_no_such_module"):
        helpers.require_browser(helpers.CHROMIUM if helpers.chromium_available() else nowhere,
                                module="mapkit_no_such_module")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="Chromium at"):
        helpers.require_browser(nowhere)


def test_operator_lines_follow_the_filters(open_map, html, frame):
    m = open_map(html, hash="#lines=1")
    count = "mapkitPage.linesLayer.getLayers().filter(l => l instanceof L.Polyline).length"
    with_operator = frame[frame.geometry.notna() & (frame["operator"] == "wenzhou-psb")]
    assert m.page.evaluate(count) == len(with_operator)
    assert m.page.locator(".mk-bureau").get_attribute("aria-label") == "Police bureau: Wenzhou Municipal Public Security Bureau"
    click_option(m, "country", "Australia")
    assert m.page.evaluate(count) == len(with_operator[with_operator["country"] == "AU"])
    m.page.uncheck("#mk-lines")
    assert m.page.evaluate("mapkitPage.map.hasLayer(mapkitPage.linesLayer)") is False
    assert "lines=1" not in m.page.evaluate("location.hash")


def test_grid_drawing_for_many_sites(open_map, data, tmp_path, frame):
    path = save_map(mapkit.load(data), tmp_path / "grid.html", tiles="none", cluster_threshold=1)
    m = open_map(path)
    assert m.page.locator("body").get_attribute("data-mk-mode") == "grid"
    drawn = "mapkitPage.grid.items.reduce((s, it) => s + it.n, 0)"
    assert m.page.evaluate(drawn) == located(frame)
    click_option(m, "status", "Closed")
    expect_grid = filter_frame(frame, status=["closed"])
    m.page.wait_for_function(f"{drawn} === {located(expect_grid)}")
    m.page.locator(".mk-row").first.click()
    m.page.locator(".leaflet-popup-content").wait_for()
    assert m.errors == []


def test_deflated_data_in_many_chunks(open_map, data, tmp_path, frame, monkeypatch):
    """Large maps: the light part deflated (decoded before ready), heavy chunks decoded on demand."""
    monkeypatch.setattr(mapkit.render, "LIGHT_INLINE_BYTES", 0)
    monkeypatch.setattr(mapkit.render, "HEAVY_CHUNK_ROWS", 3)
    path = save_map(mapkit.load(data), tmp_path / "packed.html", tiles="none")
    m = open_map(path)
    assert m.showing() == "Showing 8 of 8 sites (1 not on the map)"
    assert m.page.evaluate("Object.keys(mapkitPage.chunkCache).length") <= 3
    assert m.markers_drawn() == located(frame)
    click_option(m, "status", "Under investigation")
    expect_counts(m, frame, status=["under_investigation"])
    m.page.locator(".mk-row", has_text="Belleville").click()  # the last chunk
    popup = m.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator(".mk-sources a").count() == 2 and "Police comment." in popup.inner_text()
    m.page.get_by_role("button", name="Reset filters").click()
    m.page.locator(".mk-off .mk-row").click()
    m.page.locator(".mk-detail").wait_for(state="visible", timeout=3000)
    assert "Reported station (place not stated)" in m.page.locator(".mk-detail").inner_text()
    with m.page.expect_download() as info:
        m.page.get_by_role("button", name="Download shown sites").click()
    got = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert got["features"] == mapkit.to_feature_collection(frame)["features"]
    assert m.errors == []


def test_two_builds_give_identical_pages(data, tmp_path):
    a = save_map(mapkit.load(data), tmp_path / "a.html", tiles="none").read_bytes()
    b = save_map(mapkit.load(data), tmp_path / "b.html", tiles="none").read_bytes()
    assert a == b


# --------------------------------------------------------------------------- the shipped data


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped dataset is not there yet")
def test_shipped_dataset(open_map, tmp_path):
    frame = mapkit.load(SHIPPED)
    path = save_map(frame, tmp_path / "shipped.html", tiles="none")
    m = open_map(path)
    assert m.errors == [] and m.remote == []
    assert m.shown() == len(frame)
    assert m.markers_drawn() == located(frame)
    for status in ("active", "reported", "under_investigation", "closed"):
        row = m.page.locator(".mk-facet-status label.mk-option").filter(
            has=m.page.locator(f"input[value='{status}']"))
        assert int(row.locator(".mk-count").inner_text()) == int((frame["status"] == status).sum())
    m.page.locator(f".mk-facet-status input[value='closed']").click()
    expect_counts(m, frame, status=["closed"])


def test_sparse_or_odd_data_does_not_break_the_page(open_map, write_data, tmp_path):
    odd = {"type": "Feature", "id": "xx-odd", "geometry": {"type": "Point", "coordinates": [10, 10]},
           "properties": {"id": "xx-odd", "status": "rumoured", "events": "not a list", "sources": [None, 5, {}],
                          "opened": 2019, "name": None, "extra": {"nested": [1, 2]}}}
    bare = {"type": "Feature", "geometry": None, "properties": {}}
    path = write_data(collection(odd, bare, site()))
    m = open_map(save_map(mapkit.load(path), tmp_path / "odd.html", tiles="none"))
    assert m.errors == []
    assert m.showing() == "Showing 3 of 3 sites (1 not on the map)"
    m.page.locator(".mk-row", has_text="xx-odd").click()
    m.page.locator(".leaflet-popup-content").wait_for()
    m.page.locator(".mk-off .mk-row").click()
    m.page.locator(".mk-detail").wait_for(state="visible", timeout=3000)
    assert m.errors == []


def test_no_sites(open_map, write_data, tmp_path):
    path = write_data(collection())
    m = open_map(save_map(mapkit.load(path), tmp_path / "empty.html", tiles="none"))
    assert m.errors == [] and m.showing() == "Showing 0 of 0 sites"
