"""The benchmark harness (benchmarks/run.py) in --quick mode on N=100, so that it never rots.

Runs with the test environment's own python for every tool, so it needs neither the benchmark venv
nor matplotlib/mapclassify: explore() and the plot are skipped when those are absent.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import require_browser

REPO = Path(__file__).resolve().parents[1]
RUN = REPO / "benchmarks" / "run.py"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    require_browser("/usr/bin/chromium")  # the path benchmarks/run.py uses; fails under CI
    out = tmp_path_factory.mktemp("bench")
    cmd = [sys.executable, str(RUN), "--quick", "--sizes", "100", "--no-shipped", "--tools", "mapkit,folium,explore",
           "--filter-clicks", "2", "--timeout", "60", "--out", str(out), "--data-dir", str(out / "data"),
           "--mapkit-python", sys.executable, "--bench-python", sys.executable]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def test_quick_run_writes_markdown_and_json(quick_run):
    out, proc = quick_run
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    md = (out / "latest.md").read_text(encoding="utf-8")
    assert report["config"]["mode"] == "quick"
    assert report["machine"]["cores"] >= 1 and report["machine"]["chromium"]
    assert "load average" in report["load_before"]
    assert [d["n"] for d in report["datasets"]] == [100]
    assert "| synthetic-100 | 100 | mapkit build |" in md
    tools = {r["tool"]: r for r in report["results"]}
    assert {"mapkit", "folium"} <= set(tools)
    if importlib.util.find_spec("mapclassify") and importlib.util.find_spec("matplotlib"):
        assert "explore" in tools
    else:
        assert "explore" in report["config"]["missing"]


def test_quick_run_measures_every_step_for_mapkit(quick_run):
    out, _ = quick_run
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    mk = next(r for r in report["results"] if r["tool"] == "mapkit")
    assert mk["build"]["status"] == "ok", mk["build"]
    assert 0 < mk["build"]["wall_s"] < 60 and mk["build"]["peak_mb"] > 10
    assert mk["html_bytes"] > 1000
    assert mk["page"]["status"] == "ok", mk["page"]
    assert 0 < mk["page"]["ready_ms"] < 60_000
    assert mk["page"]["errors"] == []
    assert mk["filter"]["status"] == "ok", mk["filter"]
    assert all(0 < ms < 60_000 for ms in mk["filter"]["runs_ms"])


def test_quick_run_baseline_page_draws_offline(quick_run):
    out, _ = quick_run
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    fo = next(r for r in report["results"] if r["tool"] == "folium")
    assert fo["build"]["status"] == "ok", fo["build"]
    assert fo["page"]["status"] == "ok" and fo["page"]["errors"] == [], fo["page"]
    assert fo["page"]["leaflet_icons"] == 100  # default markers, drawn from the vendored Leaflet


def test_quick_run_plot_only_with_matplotlib(quick_run):
    out, _ = quick_run
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    if importlib.util.find_spec("matplotlib"):
        assert (out / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "plot" in report and not (out / "latest.png").exists()
