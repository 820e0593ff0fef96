"""Benchmark harness for issue 7: mapkit's map against geopandas.explore() and a plain folium layer.

    python benchmarks/run.py                  # full run: N = 100, 1,000, 10,000, 100,000 + shipped data
    python benchmarks/run.py --quick          # N = 100 and 1,000, one repeat (well under a minute)
    python benchmarks/run.py --sizes 100,1000 --tools mapkit,explore --out /tmp/res

For each dataset and tool, side by side in the same run:

1. build: the tool's command in a FRESH process (``mapkit build DATA -o OUT --tiles none --no-validate``;
   ``benchmarks/baseline.py explore|folium DATA OUT``), wall time (median of the repeats) and peak
   resident memory of that process (``ru_maxrss`` from ``os.wait4``);
2. the HTML file's size in bytes;
3. page ready time in headless Chromium (Debian's /usr/bin/chromium through Playwright, every
   non-local request aborted), from navigation start: mapkit until the page sets
   ``window.__mapkitReady`` (markers drawn, filters usable), the baselines until the end of folium's
   script; both plus one requestAnimationFrame + setTimeout(0), i.e. after the next paint;
4. mapkit only: filter click -> redrawn map and updated counts, measured in the page with
   ``performance.now()`` around ``checkbox.click()`` on a status checkbox, until the shown count
   (``body[data-mk-shown]``) has changed plus one requestAnimationFrame + setTimeout(0).

Each step has a time limit (``--timeout``, 120 s); a step over it is recorded as ">120 s".
Results: ``OUT/latest.md`` (Markdown table + targets), ``OUT/latest.json`` and ``OUT/latest.png``
(log-log plot, drawn by benchmarks/plot.py with a python that has matplotlib).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import datagen  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_PREFIXES = ("file://", "data:", "blob:", "http://127.0.0.1", "http://localhost")

FULL_SIZES = [100, 1_000, 10_000, 100_000]
QUICK_SIZES = [100, 1_000]
TOOLS = ["mapkit", "explore", "folium"]
TOOL_LABELS = {
    "mapkit": "mapkit build",
    "explore": "geopandas explore()",
    "folium": "folium GeoJson (default markers)",
}

#: The status checkbox clicked for the filter measurement, and what must change after the click.
FILTER_SELECTOR = ".mk-facet-status input[type=checkbox]"
SHOWN_ATTRIBUTE = "data-mk-shown"

# Records readiness in the page itself (no polling error): mapkit sets window.__mapkitReady = true;
# the baselines call __benchMark() from a script appended after folium's own.
INIT_SCRIPT = """
(() => {
  const painted = () => requestAnimationFrame(() => setTimeout(() => {
    window.__benchPaintedAt = performance.now();
  }, 0));
  window.__benchMark = () => {
    if (window.__benchReadyAt !== undefined) return;
    window.__benchReadyAt = performance.now();
    painted();
  };
  let ready;
  Object.defineProperty(window, '__mapkitReady', {
    configurable: true,
    get() { return ready; },
    set(v) { ready = v; if (v) window.__benchMark(); },
  });
})();
"""

PAGE_FACTS = """
() => {
  const nav = performance.getEntriesByType('navigation')[0] || {};
  return {
    ready_ms: window.__benchReadyAt,
    painted_ms: window.__benchPaintedAt,
    script_start_ms: window.__benchScriptStart === undefined ? null : window.__benchScriptStart,
    dom_interactive_ms: nav.domInteractive || null,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd || null,
    dom_nodes: document.getElementsByTagName('*').length,
    leaflet_icons: document.querySelectorAll('.leaflet-marker-icon').length,
    svg_paths: document.querySelectorAll('path.leaflet-interactive').length,
    canvases: document.querySelectorAll('canvas').length,
    js_heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
    marks: performance.getEntriesByType('mark').map(m => [m.name, m.startTime]),
    measures: performance.getEntriesByType('measure').map(m => [m.name, m.startTime, m.duration]),
  };
}
"""

FILTER_CLICK = """
async ([selector, attr, limitMs]) => {
  const boxes = document.querySelectorAll(selector);
  if (!boxes.length) return { error: 'no element matches ' + selector };
  const box = boxes[0];
  const before = document.body.getAttribute(attr);
  const t0 = performance.now();
  box.click();
  const changed = await new Promise((resolve) => {
    const check = () => {
      if (document.body.getAttribute(attr) !== before) resolve(true);
      else if (performance.now() - t0 > limitMs) resolve(false);
      else requestAnimationFrame(check);
    };
    check();
  });
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const t1 = performance.now();
  return { ms: t1 - t0, changed, before, after: document.body.getAttribute(attr), checked: box.checked };
}
"""


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception:  # noqa: BLE001
        try:
            return "load average: " + Path("/proc/loadavg").read_text().strip()
        except OSError:
            return "unknown"


def python_has(python: str, *modules: str) -> bool:
    code = "import importlib.util, sys; sys.exit(0 if all(importlib.util.find_spec(m) for m in sys.argv[1:]) else 1)"
    try:
        return subprocess.run([python, "-c", code, *modules], timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def python_version(python: str) -> str:
    try:
        out = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, timeout=60)
        return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def package_versions(python: str, names) -> dict:
    code = ("import json, sys\nfrom importlib import metadata\nout = {}\n"
            "for n in sys.argv[1:]:\n    try: out[n] = metadata.version(n)\n    except Exception: pass\n"
            "print(json.dumps(out))")
    try:
        out = subprocess.run([python, "-c", code, *names], capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}


def machine_record() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "os": os_name,
        "python": platform.python_version(),
        "mapkit_commit": commit + (" (src/ has uncommitted changes)" if dirty else ""),
    }


# --------------------------------------------------------------------------- build


def run_process(cmd, *, cwd, timeout: float, log_path: Path) -> dict:
    """Run ``cmd`` in a fresh process: wall seconds, peak RSS (MB) of that process, exit status.

    Started through benchmarks/_spawn.py, a small fresh python, so that ru_maxrss is the command's own.
    """
    spawn = [sys.executable, "-S", str(HERE / "_spawn.py"), str(timeout), str(log_path), "--", *cmd]
    try:
        done = subprocess.run(spawn, cwd=cwd, capture_output=True, text=True, timeout=timeout + 60)
        result = json.loads(done.stdout)
    except (subprocess.TimeoutExpired, ValueError) as exc:
        return {"wall_s": timeout, "peak_mb": 0.0, "exit": None, "status": "error", "error": f"spawn failed: {exc}"}
    if result.pop("timed_out"):
        result["status"] = "timeout"
    elif result["exit"] != 0:
        result["status"] = "error"
        result["error"] = log_path.read_text(errors="replace")[-2000:]
    else:
        result["status"] = "ok"
    return result


class Tools:
    """How to build each tool's page, and which tools this run can measure."""

    def __init__(self, args):
        self.mapkit_python = args.mapkit_python
        self.bench_python = args.bench_python
        self.available = {}
        self.why = {}
        mapkit_ok = python_has(self.mapkit_python, "mapkit", "mapkit.cli.build_cmd", "mapkit.render")
        self.available["mapkit"] = mapkit_ok
        if not mapkit_ok:
            self.why["mapkit"] = "`mapkit build` is not available"
        folium_ok = python_has(self.bench_python, "folium", "geopandas")
        self.available["folium"] = folium_ok
        if not folium_ok:
            self.why["folium"] = f"{self.bench_python} has no folium/geopandas"
        explore_ok = folium_ok and python_has(self.bench_python, "matplotlib", "mapclassify")
        self.available["explore"] = explore_ok
        if not explore_ok:
            self.why["explore"] = "needs matplotlib and mapclassify (run benchmarks/setup)"

    def command(self, tool: str, data: Path, out: Path) -> list[str]:
        if tool == "mapkit":
            # --no-validate: the build itself (read, page, write), as the baselines do; mapkit build
            # validates the data first by default, which is mapkit validate's cost, not the map's
            return [self.mapkit_python, "-m", "mapkit", "build", str(data), "-o", str(out), "--tiles", "none",
                    "--no-validate"]
        return [self.bench_python, str(HERE / "baseline.py"), tool, str(data), str(out)]

    def validate_command(self, data: Path) -> list[str]:
        """``mapkit validate`` on its own: what the default build (without --no-validate) adds."""
        return [self.mapkit_python, "-m", "mapkit", "validate", "--quiet", str(data)]


# --------------------------------------------------------------------------- baseline pages

_CDN_REWRITES = [
    (re.compile(r'https?://[^"\']*/leaflet@[0-9.]+/dist/leaflet\.js'), "vendor/leaflet/leaflet.js"),
    (re.compile(r'https?://[^"\']*/leaflet@[0-9.]+/dist/leaflet\.css'), "vendor/leaflet/leaflet.css"),
    (re.compile(r'https?://code\.jquery\.com/jquery-[0-9.]+(?:\.min)?\.js'), "vendor/jquery/jquery.min.js"),
]


def prepare_vendor(work: Path) -> bool:
    """Leaflet and jQuery from the XStatic packages (mapkit's own dependencies), for the baselines."""
    try:
        import xstatic.pkg.jquery as xjquery
        import xstatic.pkg.leaflet as xleaflet
    except ImportError:
        return False
    vendor = work / "pages" / "vendor"
    if not (vendor / "leaflet" / "leaflet.js").exists():
        shutil.copytree(xleaflet.BASE_DIR, vendor / "leaflet", dirs_exist_ok=True)
        shutil.copytree(xjquery.BASE_DIR, vendor / "jquery", dirs_exist_ok=True)
    return True


def instrument_baseline(html_path: Path) -> None:
    """Point folium's CDN links for Leaflet and jQuery at vendor/ (offline), mark its script's start and end.

    Done after the build (not timed; the HTML size is taken before). Other CDN assets (bootstrap,
    awesome-markers, fonts) are left as they are and aborted by the browser, as a user offline would see.
    """
    text = html_path.read_text(encoding="utf-8")
    for pattern, local in _CDN_REWRITES:
        text = pattern.sub(local, text)
    start = text.rfind("<script>")
    if start >= 0:
        at = start + len("<script>")
        text = text[:at] + "\nwindow.__benchScriptStart = performance.now();\n" + text[at:]
    end = text.rfind("</html>")
    marker = "<script>window.__benchMark && window.__benchMark();</script>\n"
    text = text[:end] + marker + text[end:] if end >= 0 else text + marker
    html_path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- browser


class Browser:
    def __init__(self, timeout: float):
        from playwright.sync_api import sync_playwright

        self.timeout = timeout
        self.pw = sync_playwright().start()
        self.browser = None
        self.version = None

    def launch(self):
        if self.browser is None:
            self.browser = self.pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            self.version = self.browser.version
        return self.browser

    def relaunch(self):
        if self.browser is not None:
            try:
                self.browser.close()
            except Exception:  # noqa: BLE001
                pass
        self.browser = None
        return self.launch()

    def close(self):
        if self.browser is not None:
            try:
                self.browser.close()
            except Exception:  # noqa: BLE001
                pass
        self.pw.stop()

    def measure(self, html: Path, *, filter_clicks: int = 0) -> dict:
        """Open ``html`` in a fresh context; page ready facts and (optionally) filter-click timings."""
        browser = self.launch()
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(INIT_SCRIPT)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOCAL_PREFIXES)
                      else route.abort("internetdisconnected"))
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)[:300]))
        limit_ms = self.timeout * 1000
        result: dict = {"errors": errors}
        t0 = time.perf_counter()
        try:
            page.goto(html.resolve().as_uri(), wait_until="commit", timeout=limit_ms)
            page.wait_for_function("() => window.__benchPaintedAt !== undefined", timeout=limit_ms, polling=50)
            result["wall_s"] = time.perf_counter() - t0
            result.update(page.evaluate(PAGE_FACTS))
            result["status"] = "ok"
        except Exception as exc:  # noqa: BLE001  (Playwright's TimeoutError and page crashes)
            result["wall_s"] = time.perf_counter() - t0
            timeout = "Timeout" in type(exc).__name__ or "Timeout" in str(exc)[:200]
            result["status"] = "timeout" if timeout and not errors else "error"
            result["error"] = str(exc).splitlines()[0][:300]
            self.relaunch()  # a page stuck in a long task can hold the browser: start clean
            return result
        if filter_clicks:
            clicks = []
            for _ in range(filter_clicks):
                try:
                    page.set_default_timeout(limit_ms)
                    r = page.evaluate(FILTER_CLICK, [FILTER_SELECTOR, SHOWN_ATTRIBUTE, limit_ms])
                except Exception as exc:  # noqa: BLE001
                    r = {"error": str(exc).splitlines()[0][:300]}
                clicks.append(r)
                if r.get("error") or not r.get("changed"):
                    break
            result["filter"] = clicks
        try:
            context.close()
        except Exception:  # noqa: BLE001
            self.relaunch()
        return result


# --------------------------------------------------------------------------- one measurement


def _repeat(cmd, repeats: int, *, cwd, timeout: float, log_path: Path, what: str, before=None) -> list[dict]:
    """Run ``cmd`` in a fresh process up to ``repeats`` times (stopping at the first failure)."""
    runs = []
    for k in range(repeats):
        if before is not None:
            before()
        r = run_process(cmd, cwd=cwd, timeout=timeout, log_path=log_path)
        runs.append(r)
        log(f"  {what} #{k + 1}: {r['status']} {r['wall_s']:.2f} s, {r['peak_mb']:.0f} MB")
        if r["status"] != "ok":
            break
    return runs


def _summary(runs: list[dict]) -> dict:
    """Status, every wall time, the median and the peak memory of repeated runs."""
    ok = [r for r in runs if r["status"] == "ok"]
    return {
        "status": "ok" if len(ok) == len(runs) else runs[-1]["status"],
        "runs_s": [round(r["wall_s"], 3) for r in runs],
        "wall_s": median([r["wall_s"] for r in ok]) if ok else runs[-1]["wall_s"],
        "peak_mb": max(r["peak_mb"] for r in ok) if ok else None,
    }


def measure_tool(tool: str, dataset: dict, *, tools: Tools, browser: Browser | None, work: Path,
                 repeats: int, timeout: float, filter_clicks: int) -> dict:
    data = Path(dataset["path"])
    out_dir = work / "pages"
    out_dir.mkdir(parents=True, exist_ok=True)
    html = out_dir / f"{dataset['name']}.{tool}.html"
    entry = {"dataset": dataset["name"], "n": dataset["n"], "tool": tool}

    builds = _repeat(tools.command(tool, data, html), repeats, cwd=work, timeout=timeout,
                     log_path=work / f"{dataset['name']}.{tool}.build.log", what=f"build {tool} {dataset['name']}",
                     before=lambda: html.unlink(missing_ok=True))
    ok = [b for b in builds if b["status"] == "ok"]
    entry["build"] = _summary(builds)
    if len(ok) < len(builds) or not html.exists():
        entry["build"]["status"] = builds[-1]["status"] if builds[-1]["status"] != "ok" else "error"
        entry["build"]["error"] = builds[-1].get("error", "no HTML written")[-600:]
        entry["page"] = {"status": "skipped"}
        return entry
    entry["html_bytes"] = html.stat().st_size
    if tool != "mapkit":
        instrument_baseline(html)
    else:
        entry["validate"] = _summary(_repeat(tools.validate_command(data), repeats, cwd=work, timeout=timeout,
                                             log_path=work / f"{dataset['name']}.validate.log",
                                             what=f"validate {dataset['name']}"))

    if browser is None:
        entry["page"] = {"status": "skipped"}
        return entry
    pages = []
    for k in range(repeats):
        r = browser.measure(html, filter_clicks=filter_clicks if tool == "mapkit" else 0)
        pages.append(r)
        shown = f"{r['painted_ms'] / 1000:.2f} s" if r["status"] == "ok" else r.get("error", "")
        log(f"  page  {tool} {dataset['name']} #{k + 1}: {r['status']} {shown}")
        if r["status"] != "ok":
            break
    okp = [p for p in pages if p["status"] == "ok"]
    page = {
        "status": "ok" if len(okp) == len(pages) else pages[-1]["status"],
        "runs_ms": [round(p["painted_ms"], 1) for p in okp],
        "ready_ms": median([p["painted_ms"] for p in okp]),
        "script_ready_ms": median([p["ready_ms"] for p in okp]),
        "script_start_ms": median([p.get("script_start_ms") for p in okp]),
        "dom_interactive_ms": median([p.get("dom_interactive_ms") for p in okp]),
        "dom_nodes": okp[-1]["dom_nodes"] if okp else None,
        "js_heap_mb": okp[-1]["js_heap_mb"] if okp else None,
        "leaflet_icons": okp[-1]["leaflet_icons"] if okp else None,
        "svg_paths": okp[-1]["svg_paths"] if okp else None,
        "canvases": okp[-1]["canvases"] if okp else None,
        "marks": okp[-1]["marks"] if okp else [],
        "measures": okp[-1]["measures"] if okp else [],
        "errors": sorted({e for p in pages for e in p["errors"]})[:5],
    }
    if not okp:
        page["error"] = pages[-1].get("error")
        page["wall_s"] = pages[-1]["wall_s"]
    entry["page"] = page
    if tool == "mapkit" and okp:
        clicks = [c for p in okp for c in p.get("filter", [])]
        good = [c["ms"] for c in clicks if "ms" in c and c.get("changed")]
        bad = [c for c in clicks if c.get("error") or not c.get("changed")]
        entry["filter"] = {
            "status": "ok" if good and not bad else ("error" if bad else "skipped"),
            "runs_ms": [round(x, 1) for x in good],
            "ms": median(good),
            "max_ms": max(good) if good else None,
        }
        if bad:
            entry["filter"]["error"] = bad[0].get("error") or f"shown count did not change ({bad[0]})"
    return entry


# --------------------------------------------------------------------------- targets

def _ratio(a, b):
    return a / b if a is not None and b else None


def targets(results: list[dict], timeout: float) -> list[dict]:
    """Issue 7's targets, each with the measured value and met / missed / not measured."""
    by = {(r["dataset"], r["tool"]): r for r in results}

    def get(ds, tool, *path):
        r = by.get((ds, tool))
        for p in path:
            if r is None:
                return None
            r = r.get(p)
        return r

    def ok(ds, tool, part):
        return get(ds, tool, part, "status") == "ok"

    big = next((r["dataset"] for r in results if r["n"] == 100_000 and r["dataset"].startswith("synthetic")), None)
    out = []

    def add(name, value, limit, unit, measured=True, note=""):
        if not measured or value is None:
            verdict = "not measured"
        else:
            verdict = "met" if value <= limit else "missed"
        out.append({"target": name, "value": value, "limit": limit, "unit": unit, "verdict": verdict,
                    "note": note})

    def explore_value(ds, part, key):
        """explore's figure, or the time limit as a lower bound when explore timed out."""
        if ok(ds, "explore", part):
            return get(ds, "explore", part, key), ""
        if get(ds, "explore", part, "status") == "timeout":
            return (timeout if part == "build" else timeout * 1000), "explore timed out: ratio is an upper bound"
        return None, ""

    if big:
        mk_build = get(big, "mapkit", "build", "wall_s") if ok(big, "mapkit", "build") else None
        mk_html = get(big, "mapkit", "html_bytes")
        mk_ready = get(big, "mapkit", "page", "ready_ms") if ok(big, "mapkit", "page") else None
        ex_build, note_b = explore_value(big, "build", "wall_s")
        ex_html = get(big, "explore", "html_bytes")
        ex_ready, note_r = explore_value(big, "page", "ready_ms")
        add("100k: build time", mk_build, 5.0, "s")
        add("100k: build vs explore", _ratio(mk_build, ex_build), 0.35, "x", note=note_b)
        add("100k: HTML size", None if mk_html is None else mk_html / 1e6, 25.0, "MB")
        add("100k: HTML vs explore", _ratio(mk_html, ex_html), 0.4, "x")
        add("100k: page ready", None if mk_ready is None else mk_ready / 1000, 2.0, "s")
        add("100k: page ready vs explore", _ratio(mk_ready, ex_ready), 0.15, "x", note=note_r)
        fl = get(big, "mapkit", "filter")
        add("100k: filter click -> redrawn", fl.get("ms") if fl and fl.get("status") == "ok" else None, 150.0, "ms",
            note="" if not fl or fl.get("max_ms") is None else f"worst click {fl['max_ms']:.0f} ms")
        add("100k: build peak memory", get(big, "mapkit", "build", "peak_mb") if ok(big, "mapkit", "build") else None,
            500.0, "MB")
    shipped = "shipped"
    if (shipped, "mapkit") in by:
        mk_build = get(shipped, "mapkit", "build", "wall_s") if ok(shipped, "mapkit", "build") else None
        ex_build, note_b = explore_value(shipped, "build", "wall_s")
        mk_ready = get(shipped, "mapkit", "page", "ready_ms") if ok(shipped, "mapkit", "page") else None
        add("shipped: build time", mk_build, 1.5, "s")
        add("shipped: build vs explore", _ratio(mk_build, ex_build), 0.5, "x", note=note_b)
        add("shipped: page ready", None if mk_ready is None else mk_ready / 1000, 0.5, "s")
    return out


# --------------------------------------------------------------------------- report


def fmt_s(value, status, timeout):
    if status == "timeout":
        return f">{timeout:.0f} s"
    if status == "skipped":
        return "–"
    if status not in (None, "ok") or value is None:
        return "error"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_ratio(value):
    return "–" if value is None else f"{value:.2f}x"


def markdown(report: dict) -> str:
    m = report["machine"]
    timeout = report["config"]["timeout_s"]
    lines = [
        "# mapkit benchmark results",
        "",
        f"Run {report['started']} to {report['finished']} ({report['config']['mode']} mode, "
        f"{report['config']['repeats']} repeat(s) for N <= 10,000, 1 for 100,000; medians).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']} (mapkit) / {m.get('bench_python', '?')} (baselines); "
        f"Chromium {m.get('chromium', '?')}; mapkit commit {m['mapkit_commit']}.",
        f"Load before: `{report['load_before']}`; after: `{report['load_after']}`.",
        "",
    ]
    merged = {}
    for r in report["results"]:
        if r.get("from_run"):
            names = merged.setdefault(r["from_run"]["started"], (r["from_run"], []))[1]
            if r["dataset"] not in names:
                names.append(r["dataset"])
    for origin, names in merged.values():
        lines += [f"Rows for {', '.join(names)} come from the earlier run started {origin['started']} (mapkit commit "
                  f"{origin.get('mapkit_commit')}; load before: `{origin['load_before']}`; after: "
                  f"`{origin['load_after']}`).", ""]
    if report["config"].get("missing"):
        lines += ["Not measured: " + "; ".join(f"{t}: {w}" for t, w in report["config"]["missing"].items()), ""]
    lines += [
        "| dataset | N | tool | build s | build peak MB | HTML MB | page ready s | filter click ms "
        "| build ×explore | HTML ×explore | ready ×explore |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by = {(r["dataset"], r["tool"]): r for r in report["results"]}
    for r in report["results"]:
        b, p = r["build"], r.get("page", {})
        ex = by.get((r["dataset"], "explore"))
        ratio_b = ratio_h = ratio_p = None
        if ex and r["tool"] != "explore":
            if b["status"] == "ok" and ex["build"]["status"] == "ok":
                ratio_b = _ratio(b["wall_s"], ex["build"]["wall_s"])
            ratio_h = _ratio(r.get("html_bytes"), ex.get("html_bytes"))
            if p.get("status") == "ok" and ex.get("page", {}).get("status") == "ok":
                ratio_p = _ratio(p["ready_ms"], ex["page"]["ready_ms"])
        fl = r.get("filter")
        if fl is None:
            fl_s = "–"
        elif fl["status"] == "ok":
            fl_s = f"{fl['ms']:.0f}"
        else:
            fl_s = fl["status"]
        peak = f"{b['peak_mb']:.0f}" if b.get("peak_mb") else "–"
        html_mb = f"{r['html_bytes'] / 1e6:.2f}" if r.get("html_bytes") else "–"
        ready = fmt_s(None if p.get("ready_ms") is None else p["ready_ms"] / 1000, p.get("status"), timeout)
        label = TOOL_LABELS[r["tool"]]
        lines.append(
            f"| {r['dataset']} | {r['n']:,} | {label} | {fmt_s(b['wall_s'], b['status'], timeout)} | {peak} "
            f"| {html_mb} | {ready} | {fl_s} | {fmt_ratio(ratio_b)} | {fmt_ratio(ratio_h)} | {fmt_ratio(ratio_p)} |"
        )
    lines += [
        "",
        "build: fresh process, read the GeoJSON + build + write the HTML (wall clock; peak RSS of that process); "
        "mapkit as `mapkit build DATA -o OUT --tiles none --no-validate` (by default the build first runs the "
        "data checks of `mapkit validate`, which the baselines do not have). "
        "page ready: navigation start to ready + next paint in headless Chromium, every non-local request aborted. "
        "filter click: status checkbox click to updated counts + next paint, in the page. "
        "The baselines' Leaflet/jQuery come from a vendor/ folder beside the HTML (not counted in HTML MB); "
        "mapkit's page is self-contained.",
        "",
    ]
    checks = [r for r in report["results"] if r.get("validate")]
    if checks:
        lines += ["## Validation", "",
                  "`mapkit validate --quiet DATA` in a fresh process: what `mapkit build` adds when run without "
                  "`--no-validate` (it validates the file first, then builds).", "",
                  "| dataset | N | validate s | validate peak MB |", "|---|---:|---:|---:|"]
        for r in checks:
            v = r["validate"]
            peak = f"{v['peak_mb']:.0f}" if v.get("peak_mb") else "–"
            lines.append(f"| {r['dataset']} | {r['n']:,} | {fmt_s(v['wall_s'], v['status'], timeout)} | {peak} |")
        lines.append("")
    if report["targets"]:
        lines += ["## Targets (issue 7)", "", "| target | measured | limit | verdict | note |", "|---|---:|---:|---|---|"]
        for t in report["targets"]:
            val = "–" if t["value"] is None else (f"{t['value']:.2f}" if t["unit"] == "x" else f"{t['value']:.2f}")
            lines.append(f"| {t['target']} | {val} {t['unit']} | {t['limit']} {t['unit']} | {t['verdict']} | {t['note']} |")
        lines.append("")
    errors = [(r["dataset"], r["tool"], e) for r in report["results"] for e in r.get("page", {}).get("errors", [])]
    errors += [(r["dataset"], r["tool"], r["build"].get("error", "")[-300:]) for r in report["results"]
               if r["build"]["status"] == "error"]
    errors += [(r["dataset"], r["tool"], r["page"].get("error")) for r in report["results"]
               if r.get("page", {}).get("status") == "error"]
    if errors:
        lines += ["## Errors", ""] + [f"- {d} / {t}: `{' '.join(str(e).split())[:300]}`" for d, t, e in errors] + [""]
    if report.get("datasets"):
        lines += ["## Datasets", "", "| dataset | N | located | GeoJSON MB | compact JSON bytes / site |",
                  "|---|---:|---:|---:|---:|"]
        for d in report["datasets"]:
            lines.append(f"| {d['name']} | {d['n']:,} | {d['located']:,} | {d['bytes'] / 1e6:.1f} "
                         f"| {d['compact_bytes_per_site']:.0f} |")
        lines.append("")
    return "\n".join(lines)


def plot(report_json: Path, png: Path, python: str) -> str | None:
    """Draw the PNG with a python that has matplotlib; return why not if none has."""
    for py in dict.fromkeys([python, sys.executable]):
        if python_has(py, "matplotlib"):
            r = subprocess.run([py, str(HERE / "plot.py"), str(report_json), str(png)], capture_output=True, text=True)
            if r.returncode == 0:
                return None
            return f"plot failed: {r.stderr[-500:]}"
    return "no matplotlib (run benchmarks/setup for the benchmark venv)"


# --------------------------------------------------------------------------- main


def dataset_facts(name: str, n: int, path: Path) -> dict:
    """Counts and sizes of a dataset (computed in a child process: run.py itself stays small)."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import run; "
            "print(json.dumps(run._dataset_facts(sys.argv[2], int(sys.argv[3]), run.Path(sys.argv[4]))))")
    out = subprocess.run([sys.executable, "-c", code, str(HERE), name, str(n), str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _dataset_facts(name: str, n: int, path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data["features"]
    compact = len(json.dumps(features, ensure_ascii=False, separators=(",", ":")).encode())
    return {
        "name": name, "n": len(features), "path": str(path), "bytes": path.stat().st_size,
        "located": sum(1 for f in features if f.get("geometry")),
        "compact_bytes_per_site": compact / max(1, len(features)),
    }


README_BEGIN = "<!-- latest results: written by run.py -->"
README_END = "<!-- end of latest results -->"


def quote_in_readme(md: str) -> None:
    """Quote the latest table (without its title) between the markers in benchmarks/README.md."""
    readme = HERE / "README.md"
    if not readme.exists():
        return
    text = readme.read_text(encoding="utf-8")
    if README_BEGIN not in text or README_END not in text:
        return
    body = md.split("\n", 2)[2].strip() if md.startswith("# ") else md.strip()
    body = body.replace("\n## ", "\n### ")
    head, rest = text.split(README_BEGIN, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(f"{head}{README_BEGIN}\n\n{body}\n\n{README_END}{tail}", encoding="utf-8")


def merge_earlier(report: dict, path: Path) -> None:
    """Add the datasets of an earlier report that this run did not measure (all of their tools).

    Every tool of one dataset still comes from one run, so the ratios stay side by side; each merged
    row keeps the start time and load of its own run.
    """
    old = json.loads(path.read_text(encoding="utf-8"))
    mine = {d["name"] for d in report["datasets"]}
    origin = {"started": old["started"], "load_before": old["load_before"], "load_after": old["load_after"],
              "mapkit_commit": old["machine"].get("mapkit_commit")}
    for d in old["datasets"]:
        if d["name"] in mine:
            continue
        report["datasets"].append({**d, "from_run": origin})
        report["results"] += [{**r, "from_run": origin} for r in old["results"] if r["dataset"] == d["name"]]
    order = {d["name"]: (d["name"] != "shipped", d["n"]) for d in report["datasets"]}
    report["datasets"].sort(key=lambda d: order[d["name"]])
    report["results"].sort(key=lambda r: order[r["dataset"]])  # stable: tools keep their order


def parse_args(argv=None):
    bench_venv = HERE / ".venv" / "bin" / "python"
    project_venv = REPO / ".venv" / "bin" / "python"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N up to 1,000, one repeat (for the test suite)")
    ap.add_argument("--sizes", help="comma-separated N values (default: 100,1000,10000,100000; quick: 100,1000)")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    ap.add_argument("--no-shipped", action="store_true", help="skip geodata/contact_points.geojson")
    ap.add_argument("--out", default=str(HERE / "results"), help="results folder (default: benchmarks/results)")
    ap.add_argument("--data-dir", default=str(HERE / "data"), help="where generated datasets are cached")
    ap.add_argument("--work-dir", help="where pages and logs go (default: a temporary folder)")
    ap.add_argument("--repeats", type=int, help="runs per measurement for N <= 10,000 (default 3; quick 1)")
    ap.add_argument("--timeout", type=float, default=120.0, help="time limit per step, seconds (default 120)")
    ap.add_argument("--filter-clicks", type=int, default=4, help="filter clicks per page load (default 4)")
    ap.add_argument("--merge", metavar="JSON",
                    help="keep the datasets this run does not measure from an earlier report (e.g. "
                         "benchmarks/results/latest.json, to re-measure small N without re-running 100,000)")
    ap.add_argument("--no-browser", action="store_true", help="skip the page measurements")
    ap.add_argument("--mapkit-python", default=str(project_venv if project_venv.exists() else sys.executable),
                    help="python that runs `mapkit build` (default: the project's .venv)")
    ap.add_argument("--bench-python", default=str(bench_venv if bench_venv.exists() else sys.executable),
                    help="python for the explore/folium baselines and the plot (default: benchmarks/.venv)")
    args = ap.parse_args(argv)
    if args.sizes:
        args.sizes = [int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",") if s.strip()]
    else:
        args.sizes = QUICK_SIZES if args.quick else FULL_SIZES
    if args.quick and max(args.sizes) > 1000:
        ap.error("--quick is for N up to 1,000")
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.tools = [t for t in args.tools.split(",") if t]
    for t in args.tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t!r} (choose from {', '.join(TOOLS)})")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    args.data_dir = str(Path(args.data_dir).resolve())
    work = Path(args.work_dir).resolve() if args.work_dir else Path(tempfile.mkdtemp(prefix="mapkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone()
    load_before = uptime()
    log(f"load: {load_before}")

    tools = Tools(args)
    chosen = [t for t in args.tools if tools.available.get(t)]
    missing = {t: tools.why[t] for t in args.tools if not tools.available.get(t)}
    for t, why in missing.items():
        log(f"skipping {t}: {why}")
    if "folium" in chosen or "explore" in chosen:
        if not prepare_vendor(work):
            log("no xstatic Leaflet/jQuery: the baselines' pages will not draw offline")

    datasets = []
    for n in args.sizes:
        log(f"dataset N={n:,}")
        path = datagen.dataset_path(Path(args.data_dir), n)
        if not path.exists():  # generated in a child process too (imports geopandas)
            subprocess.run([args.mapkit_python, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import datagen; "
                            "datagen.ensure_dataset(datagen.Path(sys.argv[2]), int(sys.argv[3]))",
                            str(HERE), str(args.data_dir), str(n)], check=True)
        datagen.write_support_files(Path(args.data_dir))
        datasets.append(dataset_facts(f"synthetic-{n}", n, path))
    shipped = REPO / "geodata" / "contact_points.geojson"
    if not args.no_shipped and shipped.exists():
        datasets.insert(0, dataset_facts("shipped", 0, shipped))

    browser = None
    chromium_version = None
    if not args.no_browser:
        if not Path(CHROMIUM).exists():
            log(f"{CHROMIUM} is missing: apt-get install -y chromium (page measurements skipped)")
        else:
            browser = Browser(args.timeout)
            browser.launch()
            chromium_version = browser.version

    results = []
    try:
        for ds in datasets:
            repeats = 1 if ds["n"] > 10_000 else args.repeats
            for tool in chosen:
                log(f"{ds['name']} / {tool}")
                results.append(measure_tool(
                    tool, ds, tools=tools, browser=browser, work=work, repeats=repeats,
                    timeout=args.timeout, filter_clicks=args.filter_clicks))
    finally:
        if browser is not None:
            browser.close()

    machine = machine_record()
    machine["chromium"] = chromium_version
    machine["bench_python"] = python_version(args.bench_python)
    machine["packages_mapkit_env"] = package_versions(args.mapkit_python, ["geopandas", "folium", "playwright"])
    machine["packages_bench_env"] = package_versions(
        args.bench_python, ["geopandas", "folium", "matplotlib", "mapclassify", "pyogrio"])
    report = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_before": load_before,
        "load_after": uptime(),
        "machine": machine,
        "config": {
            "mode": "quick" if args.quick else "full", "sizes": args.sizes, "tools": chosen, "missing": missing,
            "repeats": args.repeats, "timeout_s": args.timeout, "filter_clicks": args.filter_clicks,
            "filter_selector": FILTER_SELECTOR, "chromium_args": CHROMIUM_ARGS,
            "datagen_version": datagen.VERSION, "seed": datagen.SEED,
        },
        "datasets": [{k: v for k, v in d.items() if k != "path"} for d in datasets],
        "results": results,
    }
    if args.merge:
        merge_earlier(report, Path(args.merge))
    report["targets"] = targets(report["results"], args.timeout)
    (out / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    why_not = plot(out / "latest.json", out / "latest.png", args.bench_python)
    if why_not:
        log(f"no plot: {why_not}")
        report["plot"] = why_not
        (out / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md = markdown(report)
    (out / "latest.md").write_text(md, encoding="utf-8")
    if out == (HERE / "results").resolve():
        quote_in_readme(md)
    print(md)
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
