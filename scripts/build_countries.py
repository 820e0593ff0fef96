"""Build geodata/countries.geojson: country outlines with ISO 3166-1 alpha-2 codes.

Source: the npm package world-atlas 2.0.2 (ISC licence), TopoJSON made from Natural Earth
(public domain). Outlines come from its 1:110m file; countries too small to appear at 1:110m
(Malta, Singapore, Bahrain, ...) and islands missing from it (Madeira, the Canaries, ...) are
taken from its 1:50m file, so every place a site can be has an outline for the point-in-country
check. GDAL's TopoJSON reader (through pyogrio)
does the conversion.

Usage: python scripts/build_countries.py [WORLD_ATLAS_DIR] [-o geodata/countries.geojson]
Without WORLD_ATLAS_DIR the package is fetched with `npm pack world-atlas@2.0.2`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import pycountry
import shapely

from mapkit.io import write_text_atomic

WORLD_ATLAS = "world-atlas@2.0.2"
DECIMALS = 3  # about 100 m: finer than 1:50m generalisation, so nothing is lost
MIN_ISLAND_AREA = 0.02  # square degrees (~200 km²): Madeira and Lanzarote are in, rocks are not
#: Natural Earth units with no ISO numeric code in world-atlas, and the code used for them.
NO_NUMERIC_CODE = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}


def fetch_world_atlas(workdir: Path) -> Path:
    subprocess.run(["npm", "pack", WORLD_ATLAS, "--silent"], cwd=workdir, check=True, capture_output=True)
    archive = next(workdir.glob("world-atlas-*.tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def read_countries(path: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path, layer="countries", engine="pyogrio").set_crs("EPSG:4326", allow_override=True)
    codes = []
    for numeric, name in zip(frame["id"], frame["name"]):
        if isinstance(numeric, str):
            codes.append(pycountry.countries.get(numeric=numeric).alpha_2)
        else:
            # None for areas that are no country of their own (Siachen Glacier, ...): dropped
            codes.append(NO_NUMERIC_CODE.get(name))
    # before anything else touches them: make_valid on a ring that jumps across the
    # antimeridian reshapes it into long bands
    frame["geometry"] = [shapely.make_valid(split_at_antimeridian(g)) for g in frame.geometry]
    frame["iso_a2"] = codes
    frame["iso_n3"] = frame["id"].where(frame["id"].map(lambda v: isinstance(v, str)), None)
    return frame[frame["iso_a2"].notna()]


def _unwrap(ring: list) -> list:
    """Longitudes made continuous (each within 180 degrees of the one before)."""
    out = [tuple(ring[0])]
    for lon, lat in ring[1:]:
        prev = out[-1][0]
        while lon - prev > 180:
            lon -= 360
        while prev - lon > 180:
            lon += 360
        out.append((lon, lat))
    return out


def split_at_antimeridian(geom):
    """Cut polygons whose edges jump across the 180th meridian into parts on either side.

    GDAL's TopoJSON reader gives Russia, Fiji and Antarctica rings that jump from -180 to 180;
    drawn as they are, they smear bands across the whole map.
    """
    pieces = []
    for polygon in shapely.get_parts(geom):
        exterior = list(polygon.exterior.coords)
        if not any(abs(a[0] - b[0]) > 180 for a, b in zip(exterior, exterior[1:])):
            pieces.append(polygon)
            continue
        ring = _unwrap(exterior)
        if abs(ring[-1][0] - ring[0][0]) > 180:  # goes round a pole: close it along the pole
            pole = -90.0 if sum(lat for _, lat in ring) < 0 else 90.0
            ring = ring + [(ring[-1][0], pole), (ring[0][0], pole), ring[0]]
        holes = [_unwrap(list(h.coords)) for h in polygon.interiors]
        unwrapped = shapely.make_valid(shapely.Polygon(ring, holes))
        for offset in (-360, 0, 360):
            window = shapely.box(-180 - offset, -90, 180 - offset, 90)
            part = shapely.intersection(unwrapped, window)
            if not part.is_empty:
                pieces.extend(
                    p for p in shapely.get_parts(shapely.transform(part, lambda xy: xy + [offset, 0]))
                    if p.geom_type == "Polygon"
                )
    return shapely.MultiPolygon(pieces) if len(pieces) > 1 else pieces[0]


def polygons_only(geom):
    """Drop the stray lines and points that make_valid can leave beside the polygons."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    merged = shapely.union_all(parts)
    return merged


def add_missing_islands(coarse: gpd.GeoDataFrame, fine: gpd.GeoDataFrame) -> None:
    """Add to each 1:110m outline the 1:50m islands it lacks (Madeira, the Canaries, ...).

    Sites on such islands would otherwise fail the point-in-country check.
    """
    fine_parts: dict[str, list] = {}
    for code, geom in zip(fine["iso_a2"], fine.geometry):
        fine_parts.setdefault(code, []).extend(shapely.get_parts(shapely.make_valid(geom)))
    for index, code in coarse["iso_a2"].items():
        outline = shapely.make_valid(coarse.at[index, "geometry"])
        missing = [part for part in fine_parts.get(code, [])
                   if part.geom_type == "Polygon" and part.area >= MIN_ISLAND_AREA
                   and not part.intersects(outline)]
        if missing:
            coarse.at[index, "geometry"] = shapely.union_all([outline, *missing])
            coarse.at[index, "scale"] = "110m+50m islands"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world_atlas", nargs="?", type=Path, help="an unpacked world-atlas package")
    parser.add_argument("-o", "--output", type=Path, default=Path("geodata/countries.geojson"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = args.world_atlas or fetch_world_atlas(Path(tmp))
        coarse = read_countries(source / "countries-110m.json")
        fine = read_countries(source / "countries-50m.json")
    have = set(coarse["iso_a2"])
    extra = fine[~fine["iso_a2"].isin(have)].copy()
    coarse["scale"] = "110m"
    add_missing_islands(coarse, fine)
    extra["scale"] = "50m"
    frame = gpd.pd.concat([coarse, extra], ignore_index=True)
    geoms = shapely.make_valid(frame.geometry.to_numpy())
    geoms = shapely.make_valid(shapely.set_precision(geoms, 10**-DECIMALS))
    frame["geometry"] = [polygons_only(g) for g in geoms]
    frame = frame.sort_values(["iso_a2", "name"], kind="stable")
    features = []
    for row in frame.itertuples():
        geometry = json.loads(shapely.to_geojson(row.geometry))
        # pandas fills a missing numeric code with NaN, which is not JSON: null
        iso_n3 = row.iso_n3 if isinstance(row.iso_n3, str) else None
        features.append(
            {
                "type": "Feature",
                "id": f"{row.iso_a2}-{iso_n3 or row.name}".lower().replace(" ", "-").replace(".", ""),
                "geometry": geometry,
                "properties": {"iso_a2": row.iso_a2, "iso_n3": iso_n3, "name": row.name, "scale": row.scale},
            }
        )
    collection = {
        "type": "FeatureCollection",
        "title": "Country outlines (Natural Earth, via world-atlas 2.0.2)",
        "source": "world-atlas 2.0.2 countries-110m.json, plus countries-50m.json for countries absent at 1:110m",
        "license": "Natural Earth: public domain; world-atlas: ISC",
        "features": features,
    }
    # one feature per line: compact, yet a change to one country is a one-line diff
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":"), allow_nan=False) for f in features]
    head = json.dumps({k: v for k, v in collection.items() if k != "features"}, ensure_ascii=False, allow_nan=False)[:-1]
    write_text_atomic(args.output, head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n")
    print(f"wrote {args.output}: {len(features)} countries ({len(extra)} from 1:50m)")


if __name__ == "__main__":
    main()
