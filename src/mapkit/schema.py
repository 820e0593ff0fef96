"""The data model in code: enums, field order, partial dates and the packaged JSON Schema."""

from __future__ import annotations

import calendar
import datetime as _dt
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

#: Where the shipped data lives, relative to the repository root (the CLI's defaults). Kept
#: here, not in mapkit.io, so that the command line can name them without importing geopandas.
DEFAULT_DATA = Path("geodata") / "contact_points.geojson"
DEFAULT_OPERATORS = Path("geodata") / "operators.geojson"
DEFAULT_COUNTRIES = Path("geodata") / "countries.geojson"

#: What an import does when a row's value differs from the one held (see mapkit.importer).
ON_CONFLICT = ("update", "keep", "fail")

STATUSES = ("active", "reported", "under_investigation", "closed")
MODES = ("physical", "cloud", "unknown")
PRECISIONS = ("address", "street", "district", "city", "region", "country", "none")
EVENT_TYPES = (
    "opened",
    "reported",
    "confirmed",
    "investigation",
    "closure_ordered",
    "closed",
    "arrest",
    "charge",
    "conviction",
    "denial",
    "statement",
)

#: Properties the data model names, in the canonical order written to files.
PROPERTY_ORDER = (
    "id",
    "name",
    "country",
    "city",
    "address",
    "location_precision",
    "mode",
    "status",
    "status_date",
    "opened",
    "closed",
    "operator",
    "host_organization",
    "reported_by",
    "events",
    "sources",
    "notes",
)
SOURCE_ORDER = ("id", "publisher", "title", "url", "published", "accessed", "archive_url")
EVENT_ORDER = ("date", "type", "summary", "sources")
COLLECTION_ORDER = ("type", "title", "description", "version", "updated", "license", "citation")
OPERATOR_ORDER = ("id", "name", "city", "province", "sources", "notes")

#: The most decimals a coordinate may carry at each location precision
#: (a city centre to ~100 m, an address to ~1 m).
MAX_DECIMALS = {
    "address": 5,
    "street": 4,
    "district": 3,
    "city": 3,
    "region": 2,
    "country": 2,
    "none": 2,
}

#: Precisions drawn as uncertain on the map (the point is a centre, not a place).
APPROXIMATE_PRECISIONS = ("city", "region", "country", "none")

SLUG_RE = re.compile(r"^[a-z]{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(value: str) -> tuple[int, int | None, int | None]:
    """Split an EDTF level-0 partial date into (year, month, day); raise ValueError if malformed."""
    if not isinstance(value, str):
        raise ValueError(f"expected a string like 2022, 2022-05 or 2022-05-14, got {value!r}")
    return _parse_date_text(value)


@lru_cache(maxsize=1 << 16)  # the same few thousand dates recur across a large dataset
def _parse_date_text(value: str) -> tuple[int, int | None, int | None]:
    match = PARTIAL_DATE_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a partial date (use 2022, 2022-05 or 2022-05-14)")
    year, month, day = (int(part) if part else None for part in match.groups())
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"{value!r} has month {month}; months run 01 to 12")
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ValueError(f"{value!r} has no day {day} in that month")
    return year, month, day


def is_partial_date(value) -> bool:
    """True if ``value`` is a well-formed partial date."""
    try:
        parse_partial_date(value)
    except ValueError:
        return False
    return True


def earliest_day(value: str) -> _dt.date:
    """The earliest day a partial date allows: ``2022-05`` -> 2022-05-01 (used to sort)."""
    year, month, day = parse_partial_date(value)
    return _dt.date(year, month or 1, day or 1)


def latest_day(value: str) -> _dt.date:
    """The latest day a partial date allows: ``2022-05`` -> 2022-05-31."""
    year, month, day = parse_partial_date(value)
    if month is None:
        return _dt.date(year, 12, 31)
    return _dt.date(year, month, day or calendar.monthrange(year, month)[1])


def partial_year(value) -> int | None:
    """The year of a partial date, or None for a missing or malformed value."""
    if isinstance(value, str) and PARTIAL_DATE_RE.match(value):
        return int(value[:4])
    return None


@lru_cache(maxsize=None)
def json_schema(name: str = "contact_points") -> dict:
    """The packaged JSON Schema (``contact_points`` or ``operators``) as a dict."""
    text = resources.files("mapkit").joinpath("data", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def schema_path(name: str = "contact_points"):
    """Path-like handle to a packaged JSON Schema file, for other tools to use."""
    return resources.files("mapkit").joinpath("data", f"{name}.schema.json")
