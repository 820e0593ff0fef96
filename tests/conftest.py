"""Shared fixtures: small, valid site collections written to real files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GEODATA = REPO / "geodata"
SHIPPED = GEODATA / "contact_points.geojson"

OPERATORS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "wenzhou-psb",
            "geometry": {"type": "Point", "coordinates": [120.699, 27.994]},
            "properties": {
                "id": "wenzhou-psb",
                "name": "Wenzhou Municipal Public Security Bureau",
                "city": "Wenzhou",
                "province": "Zhejiang",
                "sources": [
                    {"id": "s1", "publisher": "ABC", "title": "A report", "url": "https://example.org/a",
                     "published": "2022-10"}
                ],
                "notes": None,
            },
        }
    ],
}


def site(**overrides) -> dict:
    """A valid site Feature; keyword arguments override properties (geometry=... the geometry)."""
    props = {
        "id": "au-sydney-test",
        "name": "Test police contact point, Sydney",
        "country": "AU",
        "city": "Sydney",
        "address": None,
        "location_precision": "city",
        "mode": "physical",
        "status": "reported",
        "status_date": "2022-10",
        "opened": "2018",
        "closed": None,
        "operator": "wenzhou-psb",
        "host_organization": None,
        "reported_by": "ABC",
        "events": [
            {"date": "2022-10", "type": "reported", "summary": "ABC reports the site.", "sources": ["s1"]},
            {"date": "2022-11-08", "type": "statement", "summary": "Police comment.", "sources": ["s2"]},
        ],
        "sources": [
            {"id": "s1", "publisher": "ABC", "title": "A report", "url": "https://example.org/a",
             "published": "2022-10", "accessed": "2026-11", "archive_url": None},
            {"id": "s2", "publisher": "SBS", "title": "Another report", "url": "https://example.org/b",
             "published": "2022-11-08", "accessed": "2026-11", "archive_url": None},
        ],
        "notes": None,
    }
    geometry = overrides.pop("geometry", {"type": "Point", "coordinates": [151.209, -33.869]})
    props.update(overrides)
    return {"type": "Feature", "id": props["id"], "geometry": geometry, "properties": props}


def collection(*features, **meta) -> dict:
    """A FeatureCollection with collection metadata."""
    head = {
        "type": "FeatureCollection",
        "title": "Test sites",
        "description": "Fixture",
        "version": "0.0.1",
        "updated": "2026-11-23",
        "license": "CC-BY-4.0",
        "citation": "Test",
    }
    head.update(meta)
    return {**head, "features": [copy.deepcopy(f) for f in features]}


@pytest.fixture
def write_data(tmp_path):
    """Write a collection (plus operators and countries beside it) and return its path."""

    def write(data: dict, name: str = "contact_points.geojson") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (tmp_path / "operators.geojson").write_text(json.dumps(OPERATORS), encoding="utf-8")
        countries = tmp_path / "countries.geojson"
        if not countries.exists():
            countries.symlink_to(GEODATA / "countries.geojson")
        return path

    return write
