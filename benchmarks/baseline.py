"""The baselines, as a user would write them: read the GeoJSON with geopandas, make a folium map, save.

    python benchmarks/baseline.py explore DATA OUT.html     # gdf.explore(tiles=None)
    python benchmarks/baseline.py folium DATA OUT.html      # folium.GeoJson(gdf), default markers

Run in a fresh process by benchmarks/run.py (with the benchmark venv's python: explore() needs
matplotlib and mapclassify, which are not mapkit dependencies). The only change to the data is
the one folium needs: datetime columns (GDAL turns all-full-date columns into dates) become ISO
text, because folium cannot serialise Timestamps.
"""

import sys


def main(mode: str, data: str, out: str) -> None:
    import folium
    import geopandas as gpd

    gdf = gpd.read_file(data)
    for col in gdf.columns:
        if col != gdf.geometry.name and str(gdf[col].dtype).startswith("datetime"):
            gdf[col] = gdf[col].astype(str)
    located = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if mode == "explore":
        m = located.explore(tiles=None)
    elif mode == "folium":
        m = folium.Map(tiles=None)
        folium.GeoJson(located).add_to(m)
        x0, y0, x1, y1 = located.total_bounds
        m.fit_bounds([[y0, x0], [y1, x1]])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    m.save(out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
