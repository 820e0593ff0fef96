"""Draw benchmarks/results/latest.png from latest.json (log-log: build time, page ready, HTML size, memory).

    benchmarks/.venv/bin/python benchmarks/plot.py benchmarks/results/latest.json benchmarks/results/latest.png

Needs matplotlib (in the benchmark venv, not a mapkit dependency). Steps over the time limit are
drawn as open markers at the limit.
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"mapkit": "#0072B2", "explore": "#D55E00", "folium": "#009E73"}
LABELS = {"mapkit": "mapkit build", "explore": "geopandas explore()", "folium": "folium GeoJson"}


def series(results, tool, getter):
    ok, over = [], []
    for r in results:
        if r["tool"] != tool or not r["dataset"].startswith("synthetic"):
            continue
        value, state = getter(r)
        if state == "ok" and value is not None:
            ok.append((r["n"], value))
        elif state == "timeout":
            over.append((r["n"], value))
    return sorted(ok), sorted(over)


def main(src, dst):
    report = json.load(open(src, encoding="utf-8"))
    results = report["results"]
    limit = report["config"]["timeout_s"]
    panels = [
        ("build time (fresh process), s", lambda r: (r["build"]["wall_s"] if r["build"]["status"] == "ok" else limit,
                                                     r["build"]["status"]), 5.0),
        ("page ready in Chromium, s", lambda r: ((r["page"].get("ready_ms") or 0) / 1000
                                                if r.get("page", {}).get("status") == "ok" else limit,
                                                r.get("page", {}).get("status")), 2.0),
        ("HTML size, MB", lambda r: ((r.get("html_bytes") or 0) / 1e6, "ok" if r.get("html_bytes") else None), 25.0),
        ("build peak memory, MB", lambda r: (r["build"].get("peak_mb"), r["build"]["status"]), 500.0),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (title, getter, target) in zip(axes.flat, panels):
        for tool in ("mapkit", "explore", "folium"):
            ok, over = series(results, tool, getter)
            if ok:
                ax.plot(*zip(*ok), "o-", color=COLORS[tool], label=LABELS[tool])
            if over:
                ax.plot(*zip(*over), "o", mfc="none", color=COLORS[tool], ms=10,
                        label=f"{LABELS[tool]}: over {limit:.0f} s")
            for r in results:
                if r["tool"] == tool and r["dataset"] == "shipped":
                    value, state = getter(r)
                    if state == "ok" and value is not None:
                        ax.plot([r["n"]], [value], "*", color=COLORS[tool], ms=12,
                                label=f"{LABELS[tool]}: shipped data")
        ax.axhline(target, color="grey", ls=":", lw=1)
        ax.annotate(f"100k target {target:g}", xy=(1, target), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=8, color="grey")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sites (N)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=8)
    m = report["machine"]
    fig.suptitle(f"mapkit benchmarks, {report['started'][:10]}: {m['cpu']}, {m['cores']} cores, "
                 f"Chromium {m.get('chromium')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=90)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
