"""Validation: every rule of the data model, every problem at once, each with its fix.

``validate(path_or_frame)`` never modifies what it reads. It returns a :class:`ValidationReport`;
errors make data unfit to publish, warnings point at weaker spots (a single source, an undated
source, a point less precise than its stated precision).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pycountry
import shapely
from shapely.ops import nearest_points

from mapkit import io, schema
from mapkit.errors import DataFileError

#: Points may lie this far outside their country's outline (coarse 1:110m coastlines, islands).
COUNTRY_TOLERANCE_KM = 25.0
#: Codes in use for places that ISO 3166-1 does not list (Kosovo).
EXTRA_COUNTRY_CODES = {"XK": "Kosovo"}

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (file, feature, field), the bad value, what is wrong, the fix."""

    severity: str
    file: str
    feature: str | None
    field: str
    value: Any
    message: str
    fix: str
    rule: str

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.file, self.feature, self.field) if p)
        value = "" if self.value is _NO_VALUE else f" (got {_short(self.value)})"
        return f"{where}: {self.severity}: {self.message}{value}; fix: {self.fix}"

    def to_dict(self) -> dict:
        out = asdict(self)
        if self.value is _NO_VALUE:
            out["value"] = None
        return out


class _NoValue:
    def __repr__(self) -> str:
        return "<no value>"


_NO_VALUE = _NoValue()


def _short(value, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, _NoValue) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ValidationReport:
    """Every problem found, plus what was checked (for the summary line)."""

    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sites: int = 0
    countries: set = field(default_factory=set)
    sources: int = 0
    events: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def __bool__(self) -> bool:
        return self.ok

    def summary(self) -> str:
        """One line: what was checked and how many errors and warnings."""
        return (
            f"checked {self.sites} sites in {len(self.countries)} countries, {self.sources} sources, "
            f"{self.events} events in {len(self.files)} file(s): "
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "files": self.files,
            "sites": self.sites,
            "countries": len(self.countries),
            "sources": self.sources,
            "events": self.events,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }

    def merge(self, other: "ValidationReport") -> None:
        self.problems.extend(other.problems)
        self.files.extend(other.files)
        self.sites += other.sites
        self.countries |= other.countries
        self.sources += other.sources
        self.events += other.events


# --------------------------------------------------------------------------- helpers


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, severity, feature, field_path, value, message, fix, rule):
        self.problems.append(Problem(severity, self.file, feature, field_path, value, message, fix, rule))

    def error(self, feature, field_path, value, message, fix, rule):
        self.add(ERROR, feature, field_path, value, message, fix, rule)

    def warning(self, feature, field_path, value, message, fix, rule):
        self.add(WARNING, feature, field_path, value, message, fix, rule)


def _country_known(code) -> bool:
    if not isinstance(code, str) or len(code) != 2:
        return False
    if code in EXTRA_COUNTRY_CODES:
        return True
    try:
        return pycountry.countries.get(alpha_2=code) is not None
    except LookupError:
        return False


def _country_name(code: str) -> str:
    if code in EXTRA_COUNTRY_CODES:
        return EXTRA_COUNTRY_CODES[code]
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def _decimals(number) -> int:
    text = repr(float(number))
    if "e" in text or "E" in text:
        return 15
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _haversine_km(lon1, lat1, lon2, lat2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class _Outlines:
    codes: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree
    by_code: dict


@lru_cache(maxsize=4)
def _load_outlines(path: str, mtime: float) -> _Outlines:
    collection = io.read_json(path)
    codes, geoms = [], []
    for feature in collection.get("features", []):
        code = (feature.get("properties") or {}).get("iso_a2")
        if code and feature.get("geometry"):
            codes.append(code)
            geoms.append(shapely.from_geojson(json.dumps(feature["geometry"])))
    geoms_arr = np.array(geoms, dtype=object)
    by_code: dict = {}
    for code, geom in zip(codes, geoms):
        by_code[code] = geom if code not in by_code else shapely.union(by_code[code], geom)
    return _Outlines(np.array(codes, dtype=object), geoms_arr, shapely.STRtree(geoms_arr), by_code)


def outlines(path) -> _Outlines:
    """Country outlines from a countries GeoJSON (cached per file and modification time)."""
    path = os.fspath(path)
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise io.unreadable(Path(path), exc) from None
    return _load_outlines(path, mtime)


def _find_beside(data_path: str | None, name: str, default: Path) -> Path | None:
    candidates = []
    if data_path:
        candidates.append(Path(data_path).parent / name)
    candidates.append(default)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------- JSON Schema


_FIXES = {
    "status": f"use one of: {', '.join(schema.STATUSES)}",
    "mode": f"use one of: {', '.join(schema.MODES)}",
    "location_precision": f"use one of: {', '.join(schema.PRECISIONS)}",
    "type": f"use one of: {', '.join(schema.EVENT_TYPES)}",
    "country": "use the upper-case ISO 3166-1 alpha-2 code, e.g. AU",
    "id": "use a lower-case slug of a-z, 0-9 and hyphens that starts with the country code, e.g. au-sydney-wenzhou",
    "url": "use the full http:// or https:// address of the source",
    "archive_url": "use the full http:// or https:// address of the archived copy, or null",
    "date": "write the date at the precision the source gives: 2022, 2022-05 or 2022-05-14",
}
_DATE_FIELDS = {"status_date", "opened", "closed", "published", "accessed", "date", "updated"}


def _path_text(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _anyof_detail(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For "not valid under any of the given schemas": the branch error that says most."""
    if error.validator == "anyOf" and error.context:
        # prefer a branch that got past the type check (a string that is not a URL, say)
        typed = [e for e in error.context if e.validator != "type"]
        return jsonschema.exceptions.best_match(typed or error.context)
    return error


def _schema_problem(error: jsonschema.ValidationError, feature: str | None, out: _Collector) -> None:
    """One schema error as a problem; ``error``'s path is relative to the feature when
    ``feature`` is given, else to the collection."""
    path = list(error.absolute_path)
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    where = _path_text(path) or ("(feature)" if feature else "(file)")
    value = error.instance
    if path[:1] == ["geometry"] and feature is not None:
        kind = value.get("type") if isinstance(value, Mapping) else value
        if kind == "Point":
            out.error(feature, "geometry.coordinates", value.get("coordinates", _NO_VALUE),
                      "a Point needs coordinates [longitude, latitude] (two or three numbers)",
                      "write the coordinates as numbers, [longitude, latitude] in WGS 84 degrees", "coordinates")
        else:
            out.error(feature, "geometry", kind, "geometry must be a Point or null",
                      "give the site's location as a Point [longitude, latitude], or null if it has none", "geometry")
        return
    detail = _anyof_detail(error)
    validator = detail.validator
    if validator == "required":
        missing = detail.message.split("'")[1] if "'" in detail.message else detail.message
        out.error(feature, _path_text([*path, missing]) if path else missing, _NO_VALUE,
                  f"required field {missing!r} is missing", f"add {missing!r}"
                  + (" (at least one source object with publisher, title and http(s) url)" if missing == "sources" else ""),
                  "required")
    elif validator == "enum":
        out.error(feature, where, value, f"unknown {name or 'value'}",
                  _FIXES.get(name, f"use one of: {', '.join(map(str, detail.validator_value))}"), f"unknown-{name}")
    elif validator == "const":
        out.error(feature, where, value, f"{name} must be {detail.validator_value!r}", f"set it to {detail.validator_value!r}", "const")
    elif validator == "pattern" and name in _DATE_FIELDS:
        out.error(feature, where, value, "malformed partial date", _FIXES["date"], "date")
    elif validator == "pattern" and name in ("url", "archive_url"):
        out.error(feature, where, value, "not an http(s) URL", _FIXES[name], "url")
    elif validator == "pattern":
        out.error(feature, where, value, f"malformed {name}", _FIXES.get(name, f"match {detail.validator_value}"), f"malformed-{name}")
    elif validator == "minItems" and name == "sources":
        out.error(feature, where, value, "no source: every site and event needs at least one",
                  "add the report that names this site to sources", "no-source")
    elif validator in ("type", "anyOf") and name in _DATE_FIELDS:
        out.error(feature, where, value, "malformed partial date", _FIXES["date"] + ", or null", "date")
    elif validator == "type":
        wanted = detail.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        wanted = {"string": "text", "array": "a list", "object": "an object", "number": "a number",
                  "integer": "a whole number", "null": "null"}.get(wanted, wanted)
        out.error(feature, where, value, f"{name or 'value'} must be {wanted}",
                  _FIXES.get(name, f"give {name or 'it'} as {wanted} (see the data model)"), "type")
    else:
        out.error(feature, where, value, detail.message.split("\n")[0], "see the data model in the README", validator)


@lru_cache(maxsize=2)
def _validator(name: str):
    return jsonschema.Draft202012Validator(schema.json_schema(name))


def _feature_schema(name: str) -> dict:
    """The schema of one feature of a ``name`` collection (its definitions kept beside it)."""
    root = schema.json_schema(name)
    return {"$defs": root.get("$defs", {}), **root["properties"]["features"]["items"]}


@lru_cache(maxsize=2)
def _feature_validator(name: str):
    return jsonschema.Draft202012Validator(_feature_schema(name))


@lru_cache(maxsize=2)
def _fast_feature_check(name: str):
    """A compiled check of one feature: raises on the first problem, in microseconds.

    The schemas use only keywords that mean the same in draft 7, which fastjsonschema compiles
    to Python; jsonschema (the reference) runs only on features that fail it, to list every
    problem with its path.
    """
    import fastjsonschema

    definition = {"$schema": "http://json-schema.org/draft-07/schema#", **_feature_schema(name)}
    # no remote references: a reference that is not in the schema itself fails to compile
    return fastjsonschema.compile(definition, handlers={})


def _feature_schema_errors(feature, name: str) -> list:
    """Every schema error of one feature (an empty list for a valid one), sorted by path."""
    try:
        _fast_feature_check(name)(feature)
        return []
    except Exception:  # noqa: BLE001 (JsonSchemaException and anything odd: ask jsonschema)
        pass
    return sorted(_feature_validator(name).iter_errors(feature), key=lambda e: list(map(str, e.absolute_path)))


def _collection_schema_errors(members: Mapping, name: str) -> list:
    """Schema errors of the collection's own members (its features are checked one by one, so
    a features list stands here as ``[]``)."""
    return list(_validator(name).iter_errors(members))


# --------------------------------------------------------------------------- sites


def _unnamed(index: int) -> str:
    """How a feature without an id is named in problems: by its place, counted from 1."""
    return f"feature {index + 1}"


_UNNAMED = re.compile(r"feature \d+$")


class _SiteChecker:
    """Checks sites one feature at a time (memory holds ids and points, not the features)."""

    def __init__(self, out: _Collector, report: ValidationReport, operator_ids: set | None,
                 outline_data: _Outlines | None):
        self.out = out
        self.report = report
        self.operator_ids = operator_ids
        self.outline_data = outline_data
        self.raw_ids: list[str] = []
        self.points: list = []  # (feature label, lon, lat, country)
        self._owner: list[int] = [-1] * len(out.problems)  # feature index of each problem (-1: none)
        self._point_index: list[int] = []  # feature index of each point

    def _mark(self, index: int) -> None:
        self._owner.extend([index] * (len(self.out.problems) - len(self._owner)))

    def add(self, i: int, feature) -> None:
        out = self.out
        fid = feature.get("id") if isinstance(feature, Mapping) else None
        if fid is None and isinstance(feature, Mapping) and isinstance(feature.get("properties"), Mapping):
            fid = feature["properties"].get("id")
        fid = str(fid) if fid is not None else _unnamed(i)
        self.raw_ids.append(fid)
        for error in _feature_schema_errors(feature, "contact_points"):
            _schema_problem(error, fid, out)
        if isinstance(feature, Mapping):
            located = len(self.points)
            self._check_feature(feature, fid)
            if len(self.points) > located:
                self._point_index.append(i)
        self._mark(i)

    def _check_feature(self, feature: Mapping, fid: str) -> None:
        out, report = self.out, self.report
        props = feature.get("properties") if isinstance(feature.get("properties"), Mapping) else {}
        report.sites += 1
        country = props.get("country")
        if isinstance(country, str):
            report.countries.add(country)
            if len(country) == 2 and country.isupper() and not _country_known(country):
                out.error(fid, "properties.country", country, "unknown country code",
                          _FIXES["country"], "unknown-country")
        pid = props.get("id")
        if feature.get("id") is not None and pid is not None and feature.get("id") != pid:
            out.error(fid, "properties.id", pid, f"properties.id differs from the Feature id {feature.get('id')!r}",
                      "use the same slug for both", "id-mismatch")
        if isinstance(pid, str) and isinstance(country, str) and schema.SLUG_RE.match(pid) \
                and not pid.startswith(country.lower() + "-"):
            out.error(fid, "properties.id", pid, f"id does not start with the country code {country.lower()!r}",
                      f"rename it {country.lower()}-…", "id-country")
        _check_geometry(feature.get("geometry"), props, fid, out, self.points)
        _check_dates(props, fid, out)
        _check_sources_and_events(props, fid, out, report)
        operator = props.get("operator")
        if self.operator_ids is not None and isinstance(operator, str) and operator not in self.operator_ids:
            out.error(fid, "properties.operator", operator, "operator not defined in operators.geojson",
                      f"use one of: {', '.join(sorted(self.operator_ids)) or '(none defined)'}, or add the bureau to operators.geojson",
                      "unknown-operator")

    def finish(self) -> None:
        """The checks across features (duplicate ids, points in their countries); label each
        problem of a repeated id with the feature's position too, so it points at one feature."""
        out = self.out
        self._mark(-1)  # problems added after the last feature (the collection's own) have none
        seen = Counter(self.raw_ids)
        repeated = {fid for fid, count in seen.items() if count > 1}

        def label(fid: str, index: int) -> str:
            return f"{fid} ({_unnamed(index)})" if fid in repeated else fid

        if repeated:
            out.problems = [replace(p, feature=label(p.feature, index)) if index >= 0 and p.feature in repeated else p
                            for p, index in zip(out.problems, self._owner)]
        if self.outline_data is not None and self.points:
            points = [(label(fid, index), lon, lat, country)
                      for (fid, lon, lat, country), index in zip(self.points, self._point_index)]
            _check_countries(points, self.outline_data, out)
        for fid, count in seen.items():
            if count > 1 and not _UNNAMED.match(fid):
                out.error(fid, "id", fid, f"duplicate id: {count} features use it",
                          "give each site its own id (ids are never reused)", "duplicate-id")


def _check_geometry(geometry, props, fid, out: _Collector, points: list) -> None:
    precision = props.get("location_precision")
    if geometry is None:
        if precision not in (None, "none") and precision in schema.PRECISIONS:
            out.error(fid, "properties.location_precision", precision,
                      "the site has no geometry, so its precision must be 'none'",
                      "set location_precision to 'none', or give a Point", "precision-null-geometry")
        return
    if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
        return  # reported by the schema
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2 or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords):
        return
    lon, lat = coords[0], coords[1]
    bad = False
    if not -180 <= lon <= 180:
        out.error(fid, "geometry.coordinates[0]", lon, "longitude outside [-180, 180]",
                  "write coordinates as [longitude, latitude] in WGS 84 degrees", "longitude")
        bad = True
    if not -90 <= lat <= 90:
        hint = " (the pair looks like [latitude, longitude])" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        out.error(fid, "geometry.coordinates[1]", lat, f"latitude outside [-90, 90]{hint}",
                  "write coordinates as [longitude, latitude] in WGS 84 degrees", "latitude")
        bad = True
    if precision == "none":
        out.error(fid, "properties.location_precision", precision,
                  "precision 'none' but the site has a point",
                  "state the precision the point has (e.g. city or country), or set geometry to null", "precision-none-point")
    if precision in schema.MAX_DECIMALS and not bad:
        places = max(_decimals(lon), _decimals(lat))
        allowed = schema.MAX_DECIMALS[precision]
        if places > allowed:
            out.warning(fid, "geometry.coordinates", coords,
                        f"{places} decimals imply more precision than {precision!r} (at most {allowed})",
                        "run 'mapkit fmt' to round them", "too-many-decimals")
        elif precision in ("address", "street") and places < allowed - 1:
            out.warning(fid, "properties.location_precision", precision,
                        f"precision {precision!r} is finer than coordinates with {places} decimals support",
                        "give the coordinates to more decimals, or state a coarser precision", "precision-too-fine")
    if not bad and isinstance(props.get("country"), str):
        points.append((fid, float(lon), float(lat), props["country"]))


def _check_dates(props, fid, out: _Collector) -> None:
    for key in ("status_date", "opened", "closed"):
        value = props.get(key)
        if isinstance(value, str) and schema.PARTIAL_DATE_RE.match(value) and not schema.is_partial_date(value):
            try:
                schema.parse_partial_date(value)
            except ValueError as exc:
                out.error(fid, f"properties.{key}", value, str(exc), _FIXES["date"], "date")
    opened, closed = props.get("opened"), props.get("closed")
    if schema.is_partial_date(opened) and schema.is_partial_date(closed):
        if schema.latest_day(closed) < schema.earliest_day(opened):
            out.error(fid, "properties.closed", closed, f"closed before it opened ({opened})",
                      "check both dates against their sources", "closed-before-opened")
    if props.get("status") == "closed":
        events = props.get("events") if isinstance(props.get("events"), list) else []
        has_closed_event = any(isinstance(e, Mapping) and e.get("type") == "closed" for e in events)
        if not closed and not has_closed_event:
            out.error(fid, "properties.closed", closed, "status is 'closed' but there is no closed date and no 'closed' event",
                      "add the closed date at the precision the source gives, or a sourced 'closed' event", "closed-undated")


def _check_sources_and_events(props, fid, out: _Collector, report: ValidationReport) -> None:
    sources = props.get("sources") if isinstance(props.get("sources"), list) else []
    ids: Counter = Counter()
    urls: Counter = Counter()
    for i, source in enumerate(sources):
        if not isinstance(source, Mapping):
            continue
        report.sources += 1
        sid = source.get("id")
        ids[sid] += 1
        url = source.get("url")
        if isinstance(url, str):
            urls[url] += 1
        for key in ("published", "accessed"):
            value = source.get(key)
            if isinstance(value, str) and schema.PARTIAL_DATE_RE.match(value) and not schema.is_partial_date(value):
                out.error(fid, f"properties.sources[{i}].{key}", value, "not a real calendar date", _FIXES["date"], "date")
        if source.get("published") is None:
            out.warning(fid, f"properties.sources[{i}].published", None, "source has no publication date",
                        "add the date the source shows, at its precision", "source-undated")
    for sid, count in ids.items():
        if count > 1:
            out.error(fid, "properties.sources", sid, f"source id used {count} times",
                      "number sources s1, s2, ... without repeats", "duplicate-source-id")
    for url, count in urls.items():
        if count > 1:
            out.error(fid, "properties.sources", url, f"the same URL is cited as {count} sources",
                      "keep one source entry and point every event at it", "duplicate-source-url")
    reported_by = props.get("reported_by")
    if isinstance(reported_by, str) and reported_by.strip() and sources:
        if not any(_names_publisher(reported_by, s) for s in sources if isinstance(s, Mapping)):
            out.error(fid, "properties.reported_by", reported_by, "reported_by names no source of this site",
                      "add the report that first made the site public to sources, or name its publisher "
                      "as it appears there", "reported-by-unsourced")
    if len(sources) == 1:
        out.warning(fid, "properties.sources", _NO_VALUE, "the site rests on a single source",
                    "add a second, independent source where one exists", "single-source")
    events = props.get("events") if isinstance(props.get("events"), list) else []
    previous = None
    for i, event in enumerate(events):
        if not isinstance(event, Mapping):
            continue
        report.events += 1
        for ref in event.get("sources") or []:
            if ref not in ids:
                out.error(fid, f"properties.events[{i}].sources", ref,
                          "event cites a source id the feature does not have",
                          f"cite one of: {', '.join(map(str, ids)) or '(no sources)'}, or add the source", "event-source")
        date = event.get("date")
        if isinstance(date, str) and schema.PARTIAL_DATE_RE.match(date):
            if not schema.is_partial_date(date):
                out.error(fid, f"properties.events[{i}].date", date, "not a real calendar date", _FIXES["date"], "date")
                continue
            day = schema.earliest_day(date)
            if previous is not None and day < previous:
                out.warning(fid, f"properties.events[{i}].date", date, "events are not in date order",
                            "run 'mapkit fmt' to sort them", "events-order")
            previous = day


def _publisher_names(source: Mapping) -> list[str]:
    """The publisher of a source and, for "X (via Y)" or "X / Y", each part of its name."""
    publisher = str(source.get("publisher") or "")
    names = [publisher]
    head = publisher.split(" (", 1)[0]
    names.append(head)
    names.extend(part.strip() for part in head.replace(";", "/").split("/"))
    return [n.casefold() for n in names if len(n.strip()) >= 2]


def _names_publisher(reported_by: str, source: Mapping) -> bool:
    text = reported_by.casefold()
    return any(name in text for name in _publisher_names(source))


def _check_countries(points: list, data: _Outlines, out: _Collector) -> None:
    located = shapely.points([(lon, lat) for _, lon, lat, _ in points])
    hits = data.tree.query(located, predicate="intersects")
    inside: dict[int, set] = {}
    for point_index, outline_index in zip(*hits):
        inside.setdefault(int(point_index), set()).add(data.codes[outline_index])
    for i, (fid, lon, lat, country) in enumerate(points):
        if country in inside.get(i, ()):
            continue
        outline = data.by_code.get(country)
        if outline is None:
            continue  # unknown code: reported elsewhere; no outline for some territories
        near = nearest_points(outline, shapely.Point(lon, lat))[0]
        distance = _haversine_km(lon, lat, near.x, near.y)
        if distance <= COUNTRY_TOLERANCE_KM:
            continue
        swapped = shapely.Point(lat, lon)
        hint = ""
        if -180 <= lat <= 180 and -90 <= lon <= 90 and outline.intersects(swapped):
            hint = " (swapped, the point falls inside it: the coordinates look like [latitude, longitude])"
        elsewhere = sorted(inside.get(i, ()))
        where = f"; it falls in {', '.join(elsewhere)}" if elsewhere else ""
        out.error(fid, "geometry.coordinates", [lon, lat],
                  f"point is {distance:.0f} km outside its country {country} ({_country_name(country)}){where}{hint}",
                  "write coordinates as [longitude, latitude] and check the country code", "point-outside-country")


def _check_operators(collection: Mapping, out: _Collector, report: ValidationReport) -> set:
    features = collection.get("features") if isinstance(collection.get("features"), list) else []
    ids = [str(f.get("id")) if isinstance(f, Mapping) else _unnamed(i) for i, f in enumerate(features)]
    head = {**collection, "features": []} if isinstance(collection.get("features"), list) else dict(collection)
    for error in _collection_schema_errors(head, "operators"):
        _schema_problem(error, None, out)
    for fid, feature in zip(ids, features):
        for error in _feature_schema_errors(feature, "operators"):
            _schema_problem(error, fid, out)
    for fid, count in Counter(ids).items():
        if count > 1:
            out.error(fid, "id", fid, f"duplicate operator id: {count} features use it", "give each bureau its own id", "duplicate-id")
    for feature in features:
        if isinstance(feature, Mapping):
            props = feature.get("properties") or {}
            sources = props.get("sources") if isinstance(props, Mapping) and isinstance(props.get("sources"), list) else []
            report.sources += len(sources)
            if isinstance(props, Mapping) and props.get("id") not in (None, feature.get("id")):
                out.error(str(feature.get("id")), "properties.id", props.get("id"), "properties.id differs from the Feature id",
                          "use the same id for both", "id-mismatch")
    return {i for i in ids if not _UNNAMED.match(i)}


# --------------------------------------------------------------------------- entry point

def detect_kind(collection: Mapping) -> str:
    """'sites', 'operators' or 'countries', from what the first features are (see
    :func:`mapkit.io.features_kind`)."""
    return io.collection_kind(collection)


def _source(data):
    """(label, data path or None, members or None, feature iterator) for a path, dict or frame.

    For a path the features are read one at a time; members are complete once they are read.
    """
    import geopandas as gpd

    if isinstance(data, gpd.GeoDataFrame):
        collection = io.to_feature_collection(data)
        members = {**collection, "features": []}
        return data.attrs.get("source", "<frame>"), data.attrs.get("source"), members, iter(collection["features"])
    if isinstance(data, Mapping):
        features = data.get("features")
        members = dict(data)
        if isinstance(features, list):
            members["features"] = []
        else:
            features = []
        return "<data>", None, members, iter(features)
    path = os.fspath(data)
    return path, path, None, _Reading(io.FeatureStream(path, strict=True))


class _Reading:
    """An iterator over a stream's features that gives the stream's members once read."""

    def __init__(self, stream: io.FeatureStream):
        self.stream = stream
        self._features = iter(stream)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._features)

    @property
    def members(self) -> dict:
        """The top-level members, with ``"features": []`` standing for a features list."""
        members = dict(self.stream.members)
        if self.stream.has_features:
            members["features"] = []
        return members


def validate(
    data=io.DEFAULT_DATA,
    *,
    operators=None,
    countries=None,
) -> ValidationReport:
    """Check a sites file (path), a FeatureCollection dict or a frame against the data model.

    ``operators`` and ``countries`` are the operators and country-outline GeoJSON paths; by
    default the files of those names beside the data, else under ``geodata/``. Without an
    operators file the operator check is skipped with a warning; likewise the country check;
    one that cannot be read is reported under its own name and its check skipped. Returns a
    report of every problem and never raises for bad data. A file is read one feature at a time,
    so memory stays small however many sites it has.
    """
    report = ValidationReport()
    label, data_path, members, features = _source(data)
    report.files.append(label)
    out = _Collector(label)
    try:
        first = list(itertools.islice(features, io.KIND_SAMPLE))
        kind = io.features_kind(first)
        if kind == "countries":
            for _feature in features:  # read to the end: bad JSON is still an error
                pass
        elif kind == "operators":
            listed = first + list(features)
            collection = dict(features.members if members is None else members)
            if isinstance(collection.get("features"), list):
                collection["features"] = listed
            if _is_collection(collection, out):
                _check_operators(collection, out, report)
            report.problems.extend(out.problems)
            return report
        else:
            checker = _site_checker(data_path, operators, countries, out, report)
            for i, feature in enumerate(itertools.chain(first, features)):
                checker.add(i, feature)
        members = features.members if members is None else members
    except DataFileError as exc:
        return _file_report(label, _file_problem(label, exc))
    if not _is_collection(members, out):
        return _file_report(label, out.problems[-1])
    if kind == "countries":
        return report
    for error in _collection_schema_errors(members, "contact_points"):
        _schema_problem(error, None, out)
    checker.finish()
    if report.sites == 0 and isinstance(members.get("features"), list):
        out.warning(None, "features", _NO_VALUE, "the file has no sites", "add sites, or check that this is the sites file",
                    "no-sites")
    report.problems.extend(out.problems)
    return report


def _file_report(label: str, problem: Problem) -> ValidationReport:
    """The report of a file that could not be checked at all: that one problem."""
    return ValidationReport(problems=[problem], files=[label])


def _file_problem(label: str, exc: DataFileError) -> Problem:
    """A file-level problem from a DataFileError "<file>: <what is wrong>; <fix>"."""
    text = str(exc)
    text = text[len(label) + 2:] if text.startswith(f"{label}: ") else text
    message, _, fix = text.rpartition("; ")
    if not message:
        message, fix = text, "correct the file (mapkit validate names the place)"
    return Problem(ERROR, label, None, "", _NO_VALUE, message, fix, "json")


def _is_collection(members: Mapping, out: _Collector) -> bool:
    if members.get("type") == "FeatureCollection":
        return True
    out.error(None, "type", members.get("type", _NO_VALUE), "not a GeoJSON FeatureCollection",
              'make the top level {"type": "FeatureCollection", "features": [...]}', "not-collection")
    return False


def _site_checker(data_path, operators, countries, out: _Collector, report: ValidationReport) -> _SiteChecker:
    """The checker of the sites, with the operators and outlines it checks against (a file of
    those that cannot be read is reported in its own name, and its check skipped)."""
    operator_ids = None
    operators_path = operators if operators is not None else _find_beside(data_path, "operators.geojson", io.DEFAULT_OPERATORS)
    if operators_path is not None:
        label = os.fspath(operators_path)
        try:
            op_collection = io.read_json(operators_path)
        except DataFileError as exc:
            report.problems.append(_file_problem(label, exc))
        else:
            op_out = _Collector(label)
            operator_ids = _check_operators(op_collection, op_out, ValidationReport())
            report.problems.extend(op_out.problems)
    else:
        out.warning(None, "operator", _NO_VALUE, "no operators.geojson found: operators not checked",
                    "put operators.geojson beside the data or pass operators=PATH", "no-operators-file")
    countries_path = countries if countries is not None else _find_beside(data_path, "countries.geojson", io.DEFAULT_COUNTRIES)
    outline_data = None
    if countries_path is not None:
        try:
            outline_data = outlines(countries_path)
        except DataFileError as exc:
            report.problems.append(_file_problem(os.fspath(countries_path), exc))
    else:
        out.warning(None, "geometry", _NO_VALUE, "no countries.geojson found: points not checked against countries",
                    "put countries.geojson beside the data or pass countries=PATH", "no-countries-file")
    return _SiteChecker(out, report, operator_ids, outline_data)


def validate_many(paths, **kwargs) -> ValidationReport:
    """Validate several files into one report."""
    report = ValidationReport()
    for path in paths:
        report.merge(validate(path, **kwargs))
    return report
