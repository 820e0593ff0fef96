"""Where mapkit's time goes for one dataset: the Python build, the HTML, the page load and a filter click.

    .venv/bin/python benchmarks/profile_mapkit.py benchmarks/data/synthetic-v2-100000.geojson --out benchmarks/profile

Writes to --out (default benchmarks/profile/, not committed):
  build.prof / build.txt   cProfile of `mapkit build DATA -o page.html --tiles none` (top functions by
                           cumulative and own time)
  html.txt                 what the bytes of the page are: scripts, styles, the embedded JSON by key and,
                           for the sites, by property
  page.txt                 navigation timing, JSON.parse of the embedded data, performance marks, the
                           V8 CPU profile of the load and of one filter click (own time per function),
                           and Chromium trace events on the main thread by total duration
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from run import CHROMIUM, CHROMIUM_ARGS, FILTER_CLICK, FILTER_SELECTOR, INIT_SCRIPT, LOCAL_PREFIXES, SHOWN_ATTRIBUTE  # noqa: E402


def profile_build(python: str, data: Path, out: Path) -> str:
    prof = out / "build.prof"
    html = out / "page.html"
    t0 = time.perf_counter()
    subprocess.run([python, "-m", "cProfile", "-o", str(prof), "-m", "mapkit", "build", str(data), "-o", str(html),
                    "--tiles", "none", "--no-validate"], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    buf = io.StringIO()
    buf.write(f"mapkit build under cProfile: {wall:.2f} s wall (cProfile adds overhead)\n\n")
    stats = pstats.Stats(str(prof), stream=buf)
    stats.strip_dirs()
    buf.write("== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(45)
    buf.write("== by own time ==\n")
    stats.sort_stats("tottime").print_stats(30)
    text = buf.getvalue()
    (out / "build.txt").write_text(text, encoding="utf-8")
    return text


def _size(obj) -> int:
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())


def html_breakdown(html: Path, out: Path) -> str:
    text = html.read_text(encoding="utf-8")
    total = len(text.encode())
    lines = [f"{html.name}: {total:,} bytes"]
    blocks = []
    for m in re.finditer(r"<(script|style)\b([^>]*)>(.*?)</\1>", text, re.S):
        blocks.append((len(m.group(3).encode()), m.group(1), m.group(2).strip()[:60]))
    blocks.sort(reverse=True)
    for size, kind, attrs in blocks[:10]:
        lines.append(f"  {size:>12,}  <{kind} {attrs}>")
    m = re.search(r'<script type="application/json" id="mapkit-data">(.*?)</script>', text, re.S)
    if m:
        cfg = json.loads(m.group(1))
        lines.append(f"\nembedded JSON: {len(m.group(1).encode()):,} bytes; by key:")
        for key, value in sorted(cfg.items(), key=lambda kv: -_size(kv[1])):
            lines.append(f"  {_size(value):>12,}  {key}")
        sites = cfg.get("sites", {}).get("features", [])
        packed = cfg.get("data")
        if isinstance(packed, dict) and "blob" in packed:
            from mapkit.render import page_data

            offsets = packed["chunks"]
            light = offsets[1] - offsets[0]
            heavy = offsets[-1] - offsets[1]
            lines.append(f"\npacked sites (base64 {len(packed['blob']):,} chars): light part {light:,} bytes deflated "
                         f"({packed['rawBytes'] - packed['heavyBytes']:,} of JSON); heavy part {heavy:,} bytes deflated "
                         f"({packed['heavyBytes']:,} of JSON) in {len(offsets) - 2} chunks of {packed['chunkRows']} rows")
            lines.append(f"  light columns: {', '.join(packed['light'])}")
            lines.append(f"  heavy columns: {', '.join(packed['heavy'])}")
            sites = page_data(text)["sites"]["features"]
            lines.append("  (the breakdown below is of the unpacked sites, as compact JSON)")
        if sites:
            per = collections.Counter()
            for f in sites:
                per["(feature wrapper, id, geometry)"] += _size({k: v for k, v in f.items() if k != "properties"})
                for k, v in (f.get("properties") or {}).items():
                    per[k] += _size(v) + len(k) + 4
            lines.append(f"\nsites: {len(sites):,} features, {sum(per.values()) / len(sites):.0f} bytes each; by property:")
            for k, v in per.most_common():
                lines.append(f"  {v:>12,}  {v / len(sites):>7.0f}/site  {k}")
            keys = sum(len(k) + 3 for f in sites for k in (f.get("properties") or {}))
            keys += sum(len(k) + 3 for f in sites for p in [f.get("properties") or {}]
                        for lst in ("events", "sources") for item in (p.get(lst) or []) if isinstance(item, dict)
                        for k in item)
            lines.append(f"  object keys alone (repeated per site, event and source): {keys:,} bytes")
    report = "\n".join(lines) + "\n"
    (out / "html.txt").write_text(report, encoding="utf-8")
    return report


def asset_lines(html: Path) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each inlined asset in the page, to name profile locations."""
    text = html.read_text(encoding="utf-8")
    found = []
    candidates = sorted((REPO / "src" / "mapkit" / "assets").glob("*.js"))
    try:
        import xstatic.pkg.leaflet as xl
        import xstatic.pkg.leaflet_markercluster as xm

        candidates += [Path(xl.BASE_DIR) / "leaflet.js", *sorted(Path(xm.BASE_DIR).glob("*.js"))]
    except ImportError:
        pass
    for path in candidates:
        body = path.read_text(encoding="utf-8", errors="replace")
        probe = body.strip()[:300]
        at = text.find(probe)
        if at < 0 or not probe:
            continue
        start = text.count("\n", 0, at)
        found.append((start, start + body.count("\n"), path.name))
    return found


def _where(url_line: int, assets) -> str:
    for start, end, name in assets:
        if start <= url_line - 1 <= end:
            return f"{name}:{url_line - start}"
    return f"page:{url_line}"


ASSETS: list = []


def _self_times(profile: dict, top: int = 30) -> list[str]:
    nodes = {n["id"]: n for n in profile["nodes"]}
    samples = profile.get("samples") or []
    deltas = profile.get("timeDeltas") or []
    own = collections.Counter()
    for node_id, delta in zip(samples, deltas):
        own[node_id] += delta
    by_fn = collections.Counter()
    for node_id, us in own.items():
        cf = nodes[node_id]["callFrame"]
        url = cf.get("url") or ""
        url = url.rsplit("/", 1)[-1][:40] if not url.startswith("data:") else "data:"
        name = cf.get("functionName") or "(anonymous)"
        line = cf.get("lineNumber", -1) + 1
        where = _where(line, ASSETS) if url.endswith(".html") else f"{url}:{line}"
        by_fn[f"{name} {where}" if url else name] += us
    total = sum(by_fn.values()) or 1
    return [f"  {us / 1000:>9.1f} ms  {100 * us / total:5.1f} %  {fn}" for fn, us in by_fn.most_common(top)]


def _trace_summary(trace: bytes, top: int = 25) -> list[str]:
    events = json.loads(trace)
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name"
            and e.get("args", {}).get("name") == "CrRendererMain"}
    dur = collections.Counter()
    count = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and (e.get("pid"), e.get("tid")) in main:
            dur[e["name"]] += e.get("dur", 0)
            count[e["name"]] += 1
    return [f"  {us / 1000:>9.1f} ms  x{count[name]:<6} {name}" for name, us in dur.most_common(top)]


def profile_page(html: Path, out: Path, timeout_s: float = 120) -> str:
    from playwright.sync_api import sync_playwright

    lines = []
    ASSETS[:] = asset_lines(html)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        lines.append(f"Chromium {browser.version}")
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(INIT_SCRIPT)
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL_PREFIXES) else r.abort())
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        browser.start_tracing(page=page, categories=["devtools.timeline", "v8.execute", "blink"])
        cdp.send("Profiler.start")
        page.goto(html.resolve().as_uri(), wait_until="commit", timeout=timeout_s * 1000)
        page.wait_for_function("() => window.__benchPaintedAt !== undefined", timeout=timeout_s * 1000, polling=50)
        load_profile = cdp.send("Profiler.stop")["profile"]
        trace = browser.stop_tracing()
        facts = page.evaluate("""() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const node = document.getElementById('mapkit-data');
          const t0 = performance.now();
          const text = node ? node.textContent : '';
          const t1 = performance.now();
          if (node) JSON.parse(text);
          const t2 = performance.now();
          return {ready: window.__benchReadyAt, painted: window.__benchPaintedAt,
                  responseEnd: nav.responseEnd, domInteractive: nav.domInteractive,
                  domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                  textContentMs: t1 - t0, jsonParseMs: t2 - t1, jsonChars: text.length,
                  nodes: document.getElementsByTagName('*').length,
                  heapMB: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
                  marks: performance.getEntriesByType('mark').map(m => [m.name, Math.round(m.startTime)]),
                  measures: performance.getEntriesByType('measure').map(m => [m.name, Math.round(m.duration)])};
        }""")
        lines.append("navigation timing (ms from navigation start): " + ", ".join(
            f"{k} {facts[k]:.0f}" for k in ("responseEnd", "domInteractive", "domContentLoaded", "load", "ready", "painted")
            if facts.get(k) is not None))
        lines.append(f"re-run in the loaded page: textContent of the data {facts['textContentMs']:.0f} ms, "
                     f"JSON.parse {facts['jsonParseMs']:.0f} ms ({facts['jsonChars']:,} chars)")
        lines.append(f"DOM nodes {facts['nodes']:,}; JS heap {facts['heapMB']:.0f} MB")
        if facts["marks"] or facts["measures"]:
            lines.append(f"performance marks: {facts['marks']}; measures: {facts['measures']}")
        lines.append("\n== V8 CPU profile of the load (own time per function) ==")
        lines += _self_times(load_profile)
        lines.append("\n== Chromium trace, renderer main thread, total duration by event (nested events overlap) ==")
        lines += _trace_summary(trace)

        for k in range(2):
            browser.start_tracing(page=page, categories=["devtools.timeline", "v8.execute", "blink"])
            cdp.send("Profiler.start")
            click = page.evaluate(FILTER_CLICK, [FILTER_SELECTOR, SHOWN_ATTRIBUTE, timeout_s * 1000])
            click_profile = cdp.send("Profiler.stop")["profile"]
            click_trace = browser.stop_tracing()
            lines.append(f"\n== filter click {k + 1}: {click} ==")
            lines += _self_times(click_profile, 20)
            lines.append("  -- trace, main thread --")
            lines += _trace_summary(click_trace, 15)
        browser.close()
    report = "\n".join(lines) + "\n"
    (out / "page.txt").write_text(report, encoding="utf-8")
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Profile mapkit build and the page for one dataset.")
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=HERE / "profile")
    default_py = REPO / ".venv" / "bin" / "python"
    ap.add_argument("--python", default=str(default_py if default_py.exists() else sys.executable))
    ap.add_argument("--skip-build", action="store_true", help="reuse OUT/page.html")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_build:
        print(profile_build(args.python, args.data.resolve(), args.out)[:6000])
    print(html_breakdown(args.out / "page.html", args.out))
    print(profile_page(args.out / "page.html", args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
