"""Importing sites from a spreadsheet (CSV, XLSX, ODS) or a GeoJSON file into the dataset.

``import_sites("sites.csv")`` reads every row, turns it into a site, merges it into the target
file by ``id``, validates the merged result and only then writes it, atomically. It never loses
anything:

* **All problems at once.** Every row is read and checked before anything is decided. Each
  problem names the file, the row number (as a spreadsheet shows it: the header is row 1; for
  GeoJSON input, the feature's number), the site id, the column as the file spells it, the bad
  value and the fix. Any error means nothing is written and :class:`mapkit.errors.ImportFailed`
  is raised with the full list (and the summary of what would have happened).
* **Nothing is dropped.** Rows merge into existing sites by ``id``: an empty cell means "not
  stated here" and keeps what the site has; properties the file has no column for are kept;
  sources are matched by URL and events by date and summary, so the file's sources and events
  are added to the site's (a matched source's fields are updated like any other field; a matched
  event keeps its reviewed ``type``). Columns the data model does not name become properties,
  under the column's name.
* **Conflicts** (a stated value that differs from the site's) follow ``on_conflict``: ``update``
  takes the file's value, ``keep`` keeps the site's (and lists it in the summary), ``fail``
  reports each one as an error. Filling a value the site does not have is never a conflict.
* **No geocoding service.** A row without coordinates is placed offline: at its city's centre
  from the bundled GeoNames gazetteer (:mod:`mapkit.gazetteer`) with ``location_precision: city``
  (or the coarser precision the row states), never finer; a row with no city at a point inside
  its country (``location_precision: country``), from the ``countries.geojson`` beside the target.
  An ambiguous city (several places of that name, whatever their populations) or an unknown one
  is an error that lists the candidates; give coordinates, or a ``region`` column naming the
  state or province, and import again. A row that changes the city (or country) of a site whose
  point is finer than a city centre (address, street, district) keeps the point and its
  precision, with a warning: only coordinates move such a point.
* **Deterministic.** The file is written in canonical form (:mod:`mapkit.canonical`), only when
  something changed: importing the same file twice leaves the target byte-identical.

The spreadsheet layout is the research table's (see ``docs/curating.md``); the data model's own
names are accepted as well (``address`` for ``address_or_area``, ``operator`` for
``operating_bureau``, ``opened`` for ``date_opened``, ...). The cells that pack lists are parsed
by :mod:`mapkit.sheet`: ``sources`` as ``publisher|title|url|date`` entries separated by ``;;``,
``events`` as ``date: summary [n]`` entries separated by ``;``. A ``sources`` or ``events`` cell
that holds a JSON list (as ``mapkit export`` writes it to CSV and XLSX) is read as JSON.
"""

from __future__ import annotations

import copy
import csv
import io as _io
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit import io, schema
from mapkit.errors import DataFileError, ImportFailed, SheetError
from mapkit.schema import ON_CONFLICT  # what to do when a row's value differs from the site's

__all__ = ["ON_CONFLICT", "COLUMN_ALIASES", "REGION_COLUMNS", "ImportProblem", "ImportSummary", "import_sites", "read_table"]

#: Column names (lower case, spaces and hyphens as underscores) -> the field they give.
COLUMN_ALIASES = {
    "id": "id",
    "name": "name",
    "city": "city",
    "country": "country",
    "country_code": "country",
    "address": "address",
    "address_or_area": "address",
    "latitude": "latitude",
    "lat": "latitude",
    "longitude": "longitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "location_precision": "location_precision",
    "mode": "mode",
    "status": "status",
    "status_date": "status_date",
    "opened": "opened",
    "date_opened": "opened",
    "date_opened_precision": "opened_precision",
    "closed": "closed",
    "date_closed": "closed",
    "operator": "operator",
    "operating_bureau": "operator",
    "host_organization": "host_organization",
    "host_organisation": "host_organization",
    "reported_by": "reported_by",
    "events": "events",
    "sources": "sources",
    "notes": "notes",
    "accessed": "accessed",
}
#: Columns read as a region hint for the gazetteer (they are also kept as properties).
REGION_COLUMNS = ("region", "admin1", "state", "province")
#: Columns of ``mapkit export`` CSV/XLSX that are derived from events and sources: ignored
#: when a file has all of them (it is an export being imported back).
_DERIVED_EXPORT_COLUMNS = (
    "source_count", "first_source_url", "sources_text", "event_count", "first_event_date",
    "last_event_date", "events_text",
)

_TEXT_FIELDS = ("name", "city", "address", "host_organization", "reported_by", "notes")
_DATE_FIELDS = ("status_date", "opened", "closed")
_FINER_THAN_CITY = ("address", "street", "district")
_COARSENESS = {p: i for i, p in enumerate(schema.PRECISIONS)}  # address 0 ... none 6
_NO_CITY = re.compile(
    r"^\(\s*(not stated|not identified|unknown|none|n/?a)\b[^()]*\)$|^(not stated|not identified|unknown|none|n/?a|-)$",
    re.I,
)
_SLUG_PART = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_EXCEL_DATE = re.compile(r"^(\d{4})[-/](\d{2})[-/](\d{2})(?:[ T]00:00(?::00)?(?:\.0+)?)?$")
_SHEET_PREFIX = re.compile(r"^row(?: '[^']*')?, column '[^']*'(?::\s*|,\s*)")
_SHEET_FIX = re.compile(
    r"^(?P<message>.*?);\s+(?P<fix>(?:write|give|use|name|end|say|cite|check|make|rename|add|leave|prefix|move|separate)\b.*)$",
    re.S,
)
_UNSET = object()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ImportProblem:
    """One problem: where (file, row, site id, column), the bad value, what is wrong, the fix."""

    file: str
    row: int | None
    site: str | None
    column: str | None
    value: Any
    message: str
    fix: str
    rule: str
    severity: str = "error"
    #: for an ambiguous or unknown place: the gazetteer's candidates (mapkit.gazetteer.Place)
    candidates: tuple = ()

    @property
    def where(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}" + (f" ({self.site})" if self.site else ""))
        elif self.site:
            parts.append(self.site)
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = "" if self.value is None or self.value == "" else f" (got {_short(self.value)})"
        return f"{self.where}: {self.severity}: {self.message}{value}; fix: {self.fix}"

    def to_dict(self) -> dict:
        return {
            "severity": self.severity, "file": self.file, "row": self.row, "site": self.site,
            "column": self.column, "value": self.value, "message": self.message, "fix": self.fix,
            "rule": self.rule,
            **({"candidates": [p.to_dict() for p in self.candidates]} if self.candidates else {}),
        }


def _short(value, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run or a failed import, would have done)."""

    source: str
    target: str
    on_conflict: str
    dry_run: bool
    rows: int = 0
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    kept: dict[str, list[str]] = field(default_factory=dict)
    placed: dict[str, str] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False
    created: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def lines(self) -> list[str]:
        """The summary for people, one item a line."""
        out = [f"{self.source} -> {self.target} ({self.rows} row(s), on conflict: {self.on_conflict})"]
        out.append(f"  added: {len(self.added)}" + (f" ({', '.join(self.added)})" if self.added else ""))
        out.append(f"  updated: {len(self.updated)}")
        for site, fields in self.updated.items():
            out.append(f"    {site}: {', '.join(fields)}")
        out.append(f"  unchanged: {len(self.unchanged)}")
        if self.kept:
            out.append(f"  kept (the file differs, on conflict 'keep'): {len(self.kept)}")
            for site, fields in self.kept.items():
                out.append(f"    {site}: {', '.join(fields)}")
        out.append(f"  rejected: {len(self.rejected)}" + (f" ({', '.join(self.rejected)})" if self.rejected else ""))
        if self.placed:
            out.append(f"  placed offline (GeoNames gazetteer or country outline): {len(self.placed)}")
            for site, place in self.placed.items():
                out.append(f"    {site}: {place}")
        for note in self.notes:
            out.append(f"  note: {note}")
        if self.warnings:
            out.append(f"  warnings (not errors): {len(self.warnings)}")
            out.extend(f"    {w}" for w in self.warnings)
        if self.problems:
            out.append(f"  {len(self.problems)} problem(s): nothing written")
        elif self.dry_run:
            out.append("  dry run: nothing written")
        elif self.written:
            out.append(f"  written: {self.target}" + (" (new file)" if self.created else ""))
        else:
            out.append("  no changes: nothing written")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict:
        return {
            "source": self.source, "target": self.target, "on_conflict": self.on_conflict,
            "dry_run": self.dry_run, "rows": self.rows, "added": self.added, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected, "kept": self.kept,
            "placed": self.placed, "notes": self.notes, "written": self.written, "created": self.created,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [p.to_dict() for p in self.warnings],
        }


# --------------------------------------------------------------------------- reading tables


@dataclass
class _Table:
    headers: list[str]  # as the file spells them
    rows: list[tuple[int, list]]  # (row number, cells)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _read_csv(path: Path, label: str) -> _Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{label}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' (Excel) or UTF-8 CSV"
        ) from None
    except OSError as exc:
        raise DataFileError(f"{label}: cannot be read ({exc.strerror})") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise DataFileError(f"{label}: not a readable CSV ({exc}); check the quoting near line {reader.line_num}") from None
    if not records:
        raise DataFileError(f"{label}: the file is empty; the first row must name the columns (see docs/curating.md)")
    return _Table([h for h in records[0]], [(i + 2, r) for i, r in enumerate(records[1:])])


def _read_spreadsheet(path: Path, label: str, sheet: str | int | None) -> _Table:
    import pyogrio

    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises its own DataSourceError
        raise DataFileError(f"{label}: cannot be read as a spreadsheet ({exc})") from None
    if not layers:
        raise DataFileError(f"{label}: the workbook has no sheet")
    if sheet is None:
        layer = layers[0]
    elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in layers):
        index = int(sheet)
        if not 1 <= index <= len(layers):
            raise DataFileError(f"{label}: there is no sheet number {index}; the sheets are: {', '.join(layers)}")
        layer = layers[index - 1]
    elif sheet in layers:
        layer = sheet
    else:
        raise DataFileError(f"{label}: no sheet named {sheet!r}; the sheets are: {', '.join(layers)}")
    try:
        frame = pyogrio.read_dataframe(
            path, layer=layer, read_geometry=False, fid_as_index=True, FIELD_TYPES="STRING", HEADERS="FORCE"
        )
    except Exception as exc:
        raise DataFileError(f"{label}: sheet {layer!r} cannot be read ({exc})") from None
    headers = [str(c) for c in frame.columns]
    rows = []
    for fid, values in zip(frame.index.tolist(), frame.itertuples(index=False, name=None)):
        rows.append((int(fid), ["" if _blank(v) else str(v) for v in values]))
    return _Table(headers, rows)


def read_table(path: str | os.PathLike, *, sheet: str | int | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and the rows of a CSV, XLSX or ODS file: ``(headers, [(row number, {header: text})])``.

    Row numbers are the spreadsheet's (the header is row 1). Blank rows are left out. ``sheet``
    picks a workbook sheet by name or number (default: the first).
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise DataFileError(f"{label}: no such file (give the path of a .csv, .xlsx or .geojson file)")
    if path.suffix.lower() in (".xlsx", ".ods"):
        table = _read_spreadsheet(path, label, sheet)
    else:
        table = _read_csv(path, label)
    rows = []
    for number, cells in table.rows:
        if all(_blank(c) for c in cells):
            continue
        rows.append((number, cells))
    return table.headers, rows


# --------------------------------------------------------------------------- one row


@dataclass
class _Incoming:
    """A row turned into what it states, before merging."""

    row: int
    site: str | None
    props: dict = field(default_factory=dict)  # stated properties (not sources/events)
    sources: list | None = None
    events: list | None = None
    coordinates: tuple[float, float] | None = None
    no_city: bool = False
    region: str | None = None
    columns: dict = field(default_factory=dict)  # field -> column name as the file spells it
    problems: list = field(default_factory=list)
    geojson: bool = False  # a feature of a GeoJSON file (not a spreadsheet row)
    nulls: list = field(default_factory=list)  # properties the feature gives as null (kept by a new site)


class _RowReader:
    """Turns the cells of one row into an _Incoming, collecting every problem."""

    def __init__(self, label: str, row: int, cells: Mapping[str, Any], mapping: Mapping[str, str],
                 extra_headers=(), region_headers=()):
        self.extra_headers = list(extra_headers)
        self.region_headers = list(region_headers)
        self.label = label
        self.row = row
        self.cells = cells  # header -> value
        self.mapping = mapping  # field -> header
        site = self.text("id")
        self.out = _Incoming(row=row, site=site or None, columns=dict(mapping))

    # helpers
    def raw(self, name: str):
        header = self.mapping.get(name)
        return None if header is None else self.cells.get(header)

    def text(self, name: str) -> str:
        value = self.raw(name)
        return "" if _blank(value) else str(value).strip()

    def problem(self, name: str | None, value, message: str, fix: str, rule: str) -> None:
        column = self.mapping.get(name, name) if name else None
        self.out.problems.append(
            ImportProblem(self.label, self.row, self.out.site, column, value, message, fix, rule)
        )

    def sheet_problem(self, name: str, value, exc: SheetError, rule: str) -> None:
        text = _SHEET_PREFIX.sub("", str(exc))
        match = _SHEET_FIX.match(text)
        message, fix = (match.group("message"), match.group("fix")) if match else (text, "see docs/curating.md")
        self.problem(name, value, message, fix, rule)

    # fields
    def read(self) -> _Incoming:
        out = self.out
        if not out.site:
            self.problem("id", None, "the row has no id",
                         "give every row a slug such as au-sydney-wenzhou (country code first)", "id")
        country = self.text("country").upper()
        if country:
            if not re.fullmatch(r"[A-Z]{2}", country):
                self.problem("country", self.text("country"), "not a two-letter ISO 3166-1 country code",
                             "write the code, e.g. AU or NL", "country")
            else:
                out.props["country"] = country
        if out.site:
            expected = (country.lower() + "-") if re.fullmatch(r"[A-Z]{2}", country) else None
            if not schema.SLUG_RE.match(out.site):
                slug = re.sub("[^a-z0-9]+", "-", out.site.lower()).strip("-")
                self.problem("id", out.site, "ids are lower-case a-z, 0-9 and hyphens, starting with the country code",
                             f"write e.g. {slug!r}", "id")
            elif expected and not out.site.startswith(expected):
                self.problem("id", out.site, f"the id does not start with the country code {expected!r}",
                             f"rename it {expected}…, or fix the country", "id-country")
        for name in _TEXT_FIELDS:
            value = self.text(name)
            if name == "city" and value and _NO_CITY.match(value):
                out.no_city = True
                continue
            if value:
                out.props[name] = value
        for name, allowed in (("location_precision", schema.PRECISIONS), ("mode", schema.MODES),
                              ("status", schema.STATUSES)):
            value = self.text(name)
            if not value:
                continue
            tidy = re.sub(r"[\s-]+", "_", value.lower())
            if tidy not in allowed:
                self.problem(name, value, f"unknown {name}", f"use one of: {', '.join(allowed)}", f"unknown-{name}")
            else:
                out.props[name] = tidy
        for name in _DATE_FIELDS:
            value = self.date(name)
            if value is not _UNSET and value is not None:
                out.props[name] = value
        self.opened_precision()
        self.operator()
        self.coordinates()
        self.sources_and_events()
        for header in self.extra_headers:
            value = self.cells.get(header)
            if _blank(value):
                continue
            out.props[header] = value.strip() if isinstance(value, str) else value
        for header in self.region_headers:
            value = self.cells.get(header)
            if not _blank(value):
                out.region = str(value).strip()
        return out

    def date(self, name: str, *, column: str | None = None):
        value = self.text(name)
        if not value:
            return None
        excel = _EXCEL_DATE.match(value)
        if excel:
            value = "-".join(excel.groups())
        from mapkit import sheet

        try:
            parsed, _ = sheet.parse_partial_date_cell(value, row_id=self.out.site, column=column or name)
        except SheetError as exc:
            self.sheet_problem(name, value, exc, "date")
            return _UNSET
        return parsed

    def opened_precision(self) -> None:
        words = {"year": 1, "month": 2, "day": 3}
        value = self.text("opened_precision").lower()
        opened = self.out.props.get("opened")
        if not value or not opened:
            return
        if value not in words:
            self.problem("opened_precision", value, "not a date precision", "write year, month or day", "date")
        elif words[value] != len(opened.split("-")):
            self.problem("opened_precision", value, f"says {value!r} but the opening date is {opened!r}",
                         "make the two agree (or leave the precision empty)", "date")

    def operator(self) -> None:
        value = self.text("operator")
        if not value:
            return
        if _SLUG_PART.match(value):
            self.out.props["operator"] = value
            return
        from mapkit import sheet

        try:
            self.out.props["operator"] = sheet.operator_id(value, row_id=self.out.site)
        except SheetError as exc:
            self.sheet_problem("operator", value, exc, "operator")

    def number(self, name: str, low: float, high: float):
        value = self.text(name)
        if not value:
            return None
        try:
            number = float(value.replace(",", ".") if value.count(",") == 1 and "." not in value else value)
        except ValueError:
            self.problem(name, value, "not a number", "write decimal degrees, e.g. -33.8688", name)
            return _UNSET
        if not math.isfinite(number) or not low <= number <= high:
            self.problem(name, value, f"outside [{low:g}, {high:g}]",
                         "write decimal degrees in WGS 84; check that latitude and longitude are not swapped", name)
            return _UNSET
        return number

    def coordinates(self) -> None:
        lat = self.number("latitude", -90, 90)
        lon = self.number("longitude", -180, 180)
        if lat is _UNSET or lon is _UNSET:
            return
        if (lat is None) != (lon is None):
            missing = "longitude" if lon is None else "latitude"
            self.problem(missing, None, f"{missing} is empty but the other coordinate is given",
                         "give both latitude and longitude, or neither (the city is then placed offline)", "coordinates")
            return
        if lat is not None:
            self.out.coordinates = (lon, lat)
            self.out.columns["geometry"] = f"{self.mapping['latitude']}/{self.mapping['longitude']}"

    def sources_and_events(self) -> None:
        from mapkit import sheet

        out = self.out
        raw_sources = None
        sources_text = self.text("sources")
        accessed = self.date("accessed")
        if accessed is _UNSET:
            accessed = None
        if sources_text:
            if sources_text.startswith("["):
                raw_sources = self.json_list("sources", sources_text)
            else:
                try:
                    raw_sources = sheet.parse_sources(sources_text, row_id=out.site, accessed=accessed)
                except SheetError as exc:
                    self.sheet_problem("sources", _cut(sources_text), exc, "sources")
        events_text = self.text("events")
        events = None
        if events_text:
            if events_text.startswith("["):
                events = self.json_list("events", events_text)
            elif raw_sources is None and sources_text:
                pass  # the sources cell is broken: its problem is reported; events cite it
            else:
                try:
                    events = sheet.parse_events(events_text, raw_sources or [], row_id=out.site)
                except SheetError as exc:
                    self.sheet_problem("events", _cut(events_text), exc, "events")
        if raw_sources is not None and not sources_text.startswith("["):
            try:
                raw_sources, deduped_events = sheet.dedupe_sources(raw_sources, events or [])
            except SheetError as exc:
                self.sheet_problem("events", _cut(events_text), exc, "events")
                deduped_events = None
            if events is not None:
                events = deduped_events
        out.sources = raw_sources
        out.events = events

    def json_list(self, name: str, text: str):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self.problem(name, _cut(text), f"starts with '[' but is not valid JSON ({exc.msg} at character {exc.pos})",
                         "fix the JSON, or write the cell in the spreadsheet format (see docs/curating.md)", name)
            return None
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.problem(name, _cut(text), "is JSON but not a list of objects",
                         "write a JSON list of objects, or the spreadsheet format (see docs/curating.md)", name)
            return None
        return [dict(v) for v in value]


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _normal_header(header: str) -> str:
    return re.sub(r"[\s-]+", "_", str(header).strip().lstrip("\ufeff").lower())


def _map_headers(headers: list[str], label: str, problems: list) -> tuple[dict, list, list, list]:
    """field -> header, extra headers, region headers, ignored headers; header problems appended."""
    mapping: dict[str, str] = {}
    extras, regions, ignored = [], [], []
    seen: dict[str, str] = {}
    normal = [_normal_header(h) for h in headers]
    is_export = all(c in normal for c in _DERIVED_EXPORT_COLUMNS)
    for header, key in zip(headers, normal):
        shown = str(header).strip()
        if not key:
            continue  # checked against the cells below
        if key in seen:
            problems.append(ImportProblem(label, 1, None, shown, None,
                                          f"the column name is used twice (also {seen[key]!r})",
                                          "give each column its own name", "duplicate-column"))
            continue
        seen[key] = shown
        field_name = COLUMN_ALIASES.get(key)
        if field_name is None:
            if is_export and key in _DERIVED_EXPORT_COLUMNS:
                ignored.append(header)
                continue
            extras.append(header)
            if key in REGION_COLUMNS:
                regions.append(header)
            continue
        if field_name in mapping:
            problems.append(ImportProblem(label, 1, None, shown, None,
                                          f"both {mapping[field_name]!r} and {shown!r} give {field_name}",
                                          "keep one of the two columns", "duplicate-column"))
            continue
        mapping[field_name] = header
    if "id" not in mapping:
        problems.append(ImportProblem(label, 1, None, None, None, "there is no 'id' column",
                                      "add an id column: every row needs the site's id (see docs/curating.md)",
                                      "no-id-column"))
    return mapping, extras, regions, ignored


def _rows_from_table(path: Path, label: str, sheet, summary: ImportSummary, problems: list) -> list[_Incoming]:
    headers, rows = read_table(path, sheet=sheet)
    mapping, extras, regions, ignored = _map_headers(headers, label, problems)
    if ignored:
        summary.notes.append(
            f"ignored the columns that mapkit export derives from events and sources: {', '.join(ignored)}"
        )
    incoming = []
    for number, cells in rows:
        named: dict[str, Any] = {}
        for i, value in enumerate(cells):
            header = headers[i] if i < len(headers) else None
            if header is None or not str(header).strip():
                if not _blank(value):
                    problems.append(ImportProblem(
                        label, number, None, f"#{i + 1}", value,
                        "a cell under a column with no name (it would be lost)",
                        "name the column in the header row, or empty the cell", "unnamed-column"))
                continue
            named[header] = value
        if "id" not in mapping:
            continue
        incoming.append(_RowReader(label, number, named, mapping, extras, regions).read())
    return incoming


def _json_kind(value) -> str:
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


#: Properties of the data model that hold one value (text), not a list or an object.
_ONE_VALUE = tuple(name for name in schema.PROPERTY_ORDER if name not in ("events", "sources"))


def _nested_problems(label: str, number: int, site, props: Mapping) -> list[ImportProblem]:
    """Problems of a feature's sources and events that would stop them being merged (the rest is
    left to validation): each must be a list of objects, a source's url text, an event's date text
    and its sources a list of source ids."""
    problems = []

    def add(column, value, message, fix):
        problems.append(ImportProblem(label, number, site, column, value, message, fix, f"{column}-shape"))

    for name, item, keys in (("sources", "source", ("url",)), ("events", "event", ("date", "sources"))):
        value = props.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            add(name, value, f"{name} is a JSON {_json_kind(value)}, not a list of {item} objects",
                f"give {name} as a list of objects (see the data model), or leave it out")
            continue
        for i, entry in enumerate(value, start=1):
            if not isinstance(entry, Mapping):
                add(name, entry, f"{item} {i} is a JSON {_json_kind(entry)}, not an object",
                    f"write each {item} as an object (see the data model)")
                continue
            for key in keys:
                got = entry.get(key)
                want = list if key == "sources" else str
                if got is not None and not isinstance(got, want):
                    shown = "text" if want is str else 'a list of source ids such as ["s1"]'
                    add(name, got, f"{item} {i}: {key} is a JSON {_json_kind(got)}, not {shown}",
                        f"write the {item}'s {key} as {shown}")
    return problems


def _rows_from_geojson(path: Path, label: str, problems: list) -> list[_Incoming]:
    """Features of a GeoJSON file, as rows stated in the data model's own terms."""
    collection = io.read_json(path)
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list):
        raise DataFileError(f"{label}: not a GeoJSON FeatureCollection with a features list")
    incoming = []
    for number, feature in enumerate(collection["features"], start=1):
        if not isinstance(feature, Mapping):
            problems.append(ImportProblem(label, number, None, None, None, "the feature is not a JSON object",
                                          "make each feature a GeoJSON Feature object", "feature"))
            continue
        raw_props = feature.get("properties")
        if raw_props is not None and not isinstance(raw_props, Mapping):
            fid = feature.get("id")
            named = f" ({fid})" if isinstance(fid, (str, int)) and not isinstance(fid, bool) else ""
            raise DataFileError(
                f"{label}: feature {number}{named}, field 'properties': a JSON {_json_kind(raw_props)}, not an "
                "object; fix: write properties as an object of name: value pairs (or null), as in the data model"
            )
        props = dict(raw_props or {})
        site = props.get("id", feature.get("id"))
        site = str(site) if site is not None else None
        out = _Incoming(row=number, site=site, columns={}, geojson=True)
        if site is None:
            out.problems.append(ImportProblem(label, number, None, "id", None, "the feature has no id",
                                              "give it an id (and the same properties.id)", "id"))
        for key in _ONE_VALUE:
            value = props.get(key)
            if isinstance(value, (Mapping, list)):
                out.problems.append(ImportProblem(
                    label, number, site, key, value, f"{key} is a JSON {_json_kind(value)}, not one value",
                    f"write {key} as text (see the data model)", "one-value"))
        out.problems.extend(_nested_problems(label, number, site, props))
        if out.problems:
            incoming.append(out)
            continue
        for key, value in props.items():
            if key in ("sources", "events"):
                setattr(out, key, copy.deepcopy(value) if value is not None else None)
            elif value is not None:
                out.props[key] = copy.deepcopy(value)
            elif key not in schema.PROPERTY_ORDER:
                out.nulls.append(key)  # an unknown property stated as null: a new site keeps it
        if isinstance(props.get("region"), str):
            out.region = props["region"]
        geometry = feature.get("geometry")
        if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2 and all(
                    isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in coords):
                out.coordinates = (float(coords[0]), float(coords[1]))
                out.columns["geometry"] = "geometry"
            else:
                out.problems.append(ImportProblem(
                    label, number, site, "geometry", coords, "the Point has no [longitude, latitude] numbers",
                    "give coordinates [longitude, latitude] in decimal degrees, or a null geometry", "geometry"))
        elif geometry is not None:
            kind = geometry.get("type") if isinstance(geometry, Mapping) else geometry
            out.problems.append(ImportProblem(label, number, site, "geometry", kind, "the geometry is not a Point",
                                              "give a Point [longitude, latitude] or null", "geometry"))
        incoming.append(out)
    return incoming


# --------------------------------------------------------------------------- placing


def _country_point(countries_path: Path | None, country: str) -> tuple[float, float] | None:
    if countries_path is None:
        return None
    from mapkit.validation import outlines

    outline = outlines(countries_path).by_code.get(country)
    if outline is None or outline.is_empty:
        return None
    parts = list(getattr(outline, "geoms", [outline]))
    largest = max(parts, key=lambda g: g.area)
    point = largest.centroid
    if not largest.contains(point):
        point = largest.representative_point()
    return (point.x, point.y)


def _coarser(a: str | None, b: str) -> str:
    if a is None or a not in _COARSENESS:
        return b
    return a if _COARSENESS[a] >= _COARSENESS[b] else b


def _round_point(lon: float, lat: float, precision: str | None) -> dict:
    decimals = min(io.GEOJSON_DECIMALS, schema.MAX_DECIMALS.get(precision or "", io.GEOJSON_DECIMALS))
    return {"type": "Point", "coordinates": [round(lon, decimals) + 0.0, round(lat, decimals) + 0.0]}


# --------------------------------------------------------------------------- merging


def _fold(text) -> str:
    from mapkit.filters import fold

    return " ".join(fold(text).split())


def _source_number(sid) -> int:
    match = re.fullmatch(r"s(\d+)", str(sid))
    return int(match.group(1)) if match else 0


class _Merge:
    """Merges one _Incoming into its site (or a new one), per on_conflict."""

    def __init__(self, inc: _Incoming, existing: dict | None, on_conflict: str, label: str):
        self.inc = inc
        self.existing = existing
        self.on_conflict = on_conflict
        self.label = label
        self.changed: list[str] = []
        self.kept: list[str] = []
        self.problems: list[ImportProblem] = []

    def conflict(self, name: str, column: str | None, new, old, detail: str = "") -> bool:
        """Decide a conflict; True if the new value is taken."""
        if self.on_conflict == "update":
            return True
        if self.on_conflict == "keep":
            if name not in self.kept:
                self.kept.append(name)
            return False
        what = f"{detail} " if detail else ""
        self.problems.append(ImportProblem(
            self.label, self.inc.row, self.inc.site, column or name, new,
            f"{what}differs from the value in the data ({_short(old)})",
            "make the cell agree with the data, empty it to keep the data's value, or import with "
            "--on-conflict update (take the file's) or keep (keep the data's)", "conflict"))
        return False

    def mark(self, name: str) -> None:
        if name not in self.changed:
            self.changed.append(name)

    def set_field(self, props: dict, name: str, value) -> None:
        old = props.get(name)
        if old == value:
            return
        if old is None or old == "" or old == []:
            props[name] = value
            self.mark(name)
        elif self.conflict(name, self.inc.columns.get(name, name), value, old):
            props[name] = value
            self.mark(name)

    def merge_sources_and_events(self, props: dict) -> None:
        inc = self.inc
        column = inc.columns.get("sources", "sources")
        sources = [dict(s) for s in props.get("sources") or [] if isinstance(s, Mapping)]
        others = [s for s in props.get("sources") or [] if not isinstance(s, Mapping)]
        by_url = {s.get("url"): s for s in sources if s.get("url")}
        next_number = max([_source_number(s.get("id")) for s in sources] + [0]) + 1
        id_map: dict[str, str] = {}
        for new in inc.sources or []:
            url = new.get("url")
            old = by_url.get(url) if url else None
            if old is None:
                copy_ = {k: v for k, v in new.items() if k != "id"}
                copy_ = {"id": f"s{next_number}", **copy_}
                next_number += 1
                sources.append(copy_)
                if url:
                    by_url[url] = copy_
                id_map[str(new.get("id"))] = copy_["id"]
                self.mark("sources")
                continue
            id_map[str(new.get("id"))] = old.get("id")
            for key, value in new.items():
                if key == "id" or value is None:
                    continue
                if old.get(key) is None:
                    old[key] = value
                    self.mark("sources")
                elif old.get(key) != value and self.conflict(
                    "sources", column, value, old.get(key), detail=f"source {url} {key}:"
                ):
                    old[key] = value
                    self.mark("sources")
        if inc.sources is not None:
            props["sources"] = sources + others
        if inc.events is None:
            return
        events = [dict(e) for e in props.get("events") or [] if isinstance(e, Mapping)]
        other_events = [e for e in props.get("events") or [] if not isinstance(e, Mapping)]
        index = {(e.get("date"), _fold(e.get("summary"))): e for e in events}
        for new in inc.events:
            cited = [id_map.get(str(s), s) for s in new.get("sources") or []]
            key = (new.get("date"), _fold(new.get("summary")))
            old = index.get(key)
            if old is None:
                event = dict(new)
                event["sources"] = cited
                events.append(event)
                index[key] = event
                self.mark("events")
                continue
            have = list(old.get("sources") or [])
            for sid in cited:
                if sid not in have:
                    have.append(sid)
                    self.mark("events")
            old["sources"] = have
            for k, value in new.items():  # flags the site's event lacks (date_inferred); never its type
                if k not in ("date", "type", "summary", "sources") and value is not None and old.get(k) is None:
                    old[k] = value
                    self.mark("events")
        from mapkit.canonical import sort_events

        props["events"] = sort_events(events) + other_events


def _operator_ids(path: Path | None) -> set | None:
    if path is None or not path.is_file():
        return None
    try:
        data = io.read_json(path)
    except DataFileError:
        return None
    return {str(f.get("id")) for f in data.get("features", []) if isinstance(f, Mapping)}


# --------------------------------------------------------------------------- the import


def import_sites(
    path: str | os.PathLike,
    *,
    into: str | os.PathLike = io.DEFAULT_DATA,
    dry_run: bool = False,
    on_conflict: str = "update",
    gazetteer=None,
    sheet: str | int | None = None,
) -> ImportSummary:
    """Import the sites of a CSV, XLSX, ODS or GeoJSON file into the sites file ``into``.

    See the module docstring for the rules. ``on_conflict`` is ``update``, ``keep`` or ``fail``;
    ``gazetteer`` is a :class:`mapkit.gazetteer.Gazetteer` or the path of a gazetteer file
    (default: the bundled GeoNames extract); ``sheet`` picks a workbook sheet by name or number.
    With ``dry_run`` nothing is written. Returns the :class:`ImportSummary`; raises
    :class:`mapkit.errors.ImportFailed` (with ``problems`` and ``summary``) if anything is wrong,
    in which case ``into`` is left byte-identical.
    """
    from mapkit.canonical import canonical_text
    from mapkit.errors import MapkitError
    from mapkit.validation import detect_kind, validate

    if on_conflict not in ON_CONFLICT:
        raise MapkitError(f"unknown on_conflict {on_conflict!r}; use one of: {', '.join(ON_CONFLICT)}")
    path = Path(path)
    into = Path(into)
    label = str(path)
    summary = ImportSummary(source=label, target=str(into), on_conflict=on_conflict, dry_run=dry_run)
    problems: list[ImportProblem] = []

    # the target
    if into.exists():
        collection = io.read_json(into)
        if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection" \
                or not isinstance(collection.get("features"), list):
            raise DataFileError(f"{into}: not a GeoJSON FeatureCollection with a features list; import writes sites files")
        kind = detect_kind(collection)
        if kind != "sites" and collection.get("features"):
            raise DataFileError(f"{into}: is a {kind} file; import into the sites file (e.g. {io.DEFAULT_DATA})")
        _check_target(collection, str(into))
        before_text = into.read_text(encoding="utf-8")
    else:
        if not into.parent.is_dir() and str(into.parent):
            raise DataFileError(f"{into}: the folder {into.parent} does not exist; create it or give another --into")
        collection = {"type": "FeatureCollection", "features": []}
        before_text = None
        summary.created = True
    operators_path = into.parent / "operators.geojson"
    countries_path = into.parent / "countries.geojson"
    operators_path = operators_path if operators_path.is_file() else None
    countries_path = countries_path if countries_path.is_file() else None

    # the rows
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        incoming = _rows_from_geojson(path, label, problems)
    else:
        incoming = _rows_from_table(path, label, sheet, summary, problems)
    summary.rows = len(incoming)

    # duplicate ids in the file
    first_row: dict[str, int] = {}
    for inc in incoming:
        if not inc.site:
            continue
        if inc.site in first_row:
            inc.problems.append(ImportProblem(
                label, inc.row, inc.site, inc.columns.get("id", "id"), inc.site,
                f"duplicate id: row {first_row[inc.site]} has the same id",
                "give each site its own id, or merge the two rows into one", "duplicate-id"))
        else:
            first_row[inc.site] = inc.row

    # merge
    features = [copy.deepcopy(f) for f in collection["features"]]
    by_id = {}
    for i, feature in enumerate(features):
        if isinstance(feature, Mapping):
            fid = feature.get("id", (feature.get("properties") or {}).get("id"))
            if fid is not None:
                by_id.setdefault(str(fid), i)
    touched: dict[str, _Incoming] = {}
    from mapkit.gazetteer import Gazetteer

    gaz = None

    def get_gazetteer():
        nonlocal gaz
        if gaz is None:
            if gazetteer is None:
                from mapkit.gazetteer import default_gazetteer

                gaz = default_gazetteer()
            elif isinstance(gazetteer, Gazetteer):
                gaz = gazetteer
            else:
                gaz = Gazetteer.load(gazetteer)
        return gaz

    for inc in incoming:
        if inc.problems:
            problems.extend(inc.problems)
            summary.rejected.append(f"row {inc.row}" + (f" ({inc.site})" if inc.site else ""))
            continue
        index = by_id.get(inc.site)
        existing = features[index] if index is not None else None
        merged, outcome = _merge_one(inc, existing, on_conflict, label, countries_path, get_gazetteer, summary)
        if outcome.problems:
            problems.extend(outcome.problems)
            summary.rejected.append(f"row {inc.row} ({inc.site})")
            continue
        touched[inc.site] = inc
        if existing is None:
            features.append(merged)
            by_id[inc.site] = len(features) - 1
            summary.added.append(inc.site)
        else:
            features[index] = merged
            if outcome.changed:
                summary.updated[inc.site] = outcome.changed
            else:
                summary.unchanged.append(inc.site)
            if outcome.kept:
                summary.kept[inc.site] = outcome.kept

    merged_collection = {**{k: v for k, v in collection.items() if k != "features"}, "features": features}
    text = canonical_text(merged_collection, "sites")

    # a site whose canonical form did not change is unchanged, whatever the cells said
    old_canonical = {}
    for feature in json.loads(canonical_text(collection, "sites"))["features"]:
        old_canonical[str(feature.get("id"))] = feature
    new_features = json.loads(text)["features"]
    for feature in new_features:
        fid = str(feature.get("id"))
        if fid in summary.updated and old_canonical.get(fid) == feature:
            del summary.updated[fid]
            summary.unchanged.append(fid)

    # validate the merged result
    report = validate(json.loads(text), operators=operators_path, countries=countries_path)
    for p in report.problems:
        if p.file != "<data>":  # the operators file beside the target
            if p.severity == "error":
                problems.append(ImportProblem(p.file, None, p.feature, p.field, _value(p), p.message, p.fix, p.rule))
            continue
        if p.feature is None and p.severity == "warning":
            summary.notes.append(p.message)
            continue
        site = (p.feature or "").split(" (feature ")[0] or None
        inc = touched.get(site)
        if inc is None:
            if p.severity == "error" and site is not None:
                problems.append(ImportProblem(
                    str(into), None, site, p.field, _value(p), f"{p.message} (already in the data, not from this file)",
                    p.fix + "; then import again", p.rule))
            elif p.severity == "error":  # about the whole file (or a file beside it): never dropped
                problems.append(ImportProblem(str(into), None, None, p.field or None, _value(p), p.message, p.fix, p.rule))
            continue
        column = _column_for(p.field, inc)
        problem = ImportProblem(label, inc.row, site, column, _value(p), p.message, p.fix, p.rule, p.severity)
        if p.severity == "error":
            problems.append(problem)
            label_ = f"row {inc.row} ({site})"
            if label_ not in summary.rejected:
                summary.rejected.append(label_)
        else:
            summary.warnings.append(problem)

    problems.sort(key=lambda p: (p.file != label, p.row if p.row is not None else 10**9))
    summary.problems = problems
    summary.rejected.sort(key=lambda r: int(r.split()[1]))
    summary.unchanged.sort()
    if problems:
        rejected = {p.site for p in problems if p.file == label and p.site}
        summary.added = [s for s in summary.added if s not in rejected]
        summary.unchanged = [s for s in summary.unchanged if s not in rejected]
        summary.updated = {s: f for s, f in summary.updated.items() if s not in rejected}
        summary.kept = {s: f for s, f in summary.kept.items() if s not in rejected}
        exc = ImportFailed(_failure_message(summary), problems=problems)
        exc.summary = summary
        raise exc
    if summary.changed and not dry_run:
        if before_text != text:
            io.write_text_atomic(into, text)
            summary.written = True
    return summary


def _check_target(collection: Mapping, label: str) -> None:
    """Raise DataFileError (one line: file, feature, field, fix) for a target feature the merge
    cannot work on: not an object, properties not an object, a location_precision that is not
    one value, sources or events that are not lists of objects. Everything else is left to
    validation, which reports it with the rest."""
    bad = []
    for number, feature in enumerate(collection["features"], start=1):
        if not isinstance(feature, Mapping):
            bad.append((number, None, None, f"the feature is a JSON {_json_kind(feature)}, not an object",
                        "make it a GeoJSON Feature object"))
            continue
        props = feature.get("properties")
        fid = feature.get("id")
        if props is not None and not isinstance(props, Mapping):
            bad.append((number, fid, "properties", f"a JSON {_json_kind(props)}, not an object",
                        "write properties as an object of name: value pairs, as in the data model"))
            continue
        props = props or {}
        fid = props.get("id", fid)
        precision = props.get("location_precision")
        if isinstance(precision, (Mapping, list)):
            bad.append((number, fid, "location_precision", f"a JSON {_json_kind(precision)}, not one value",
                        f"write one of: {', '.join(schema.PRECISIONS)}"))
        for p in _nested_problems(label, number, fid, props):
            bad.append((number, fid, p.column, p.message, p.fix))
    if not bad:
        return
    number, fid, name, message, fix = bad[0]
    named = f" ({fid})" if isinstance(fid, (str, int)) and not isinstance(fid, bool) else ""
    field_ = f", field {name!r}" if name else ""
    more = f" (and {len(bad) - 1} more such problem(s))" if len(bad) > 1 else ""
    raise DataFileError(
        f"{label}: feature {number}{named}{field_}: {message}{more}; fix: in {label}, {fix} "
        "('mapkit validate' lists every problem), then import again"
    )


def _failure_message(summary: ImportSummary) -> str:
    rows = {p.row for p in summary.problems if p.row is not None and p.file == summary.source}
    head = (f"{summary.source}: import rejected, nothing written: {len(summary.problems)} problem(s)"
            + (f" in {len(rows)} row(s)" if rows else ""))
    return "\n".join([head] + [f"  {p}" for p in summary.problems])


def _value(problem):
    value = problem.value
    return None if type(value).__name__ == "_NoValue" else value


def _column_for(field_path: str, inc: _Incoming) -> str:
    """The column a validation problem's field comes from, as the file spells it."""
    path = field_path or ""
    if path.startswith("geometry"):
        return inc.columns.get("geometry") or inc.columns.get("city") or "latitude/longitude"
    name = re.split(r"[.\[]", path.removeprefix("properties."), maxsplit=1)[0]
    return inc.columns.get(name, name) or None


@dataclass
class _Outcome:
    changed: list
    kept: list
    problems: list


def _merge_one(inc: _Incoming, existing, on_conflict, label, countries_path, get_gazetteer, summary):
    """The merged feature for one row, and what changed."""
    from mapkit import sheet

    merge = _Merge(inc, existing, on_conflict, label)
    warnings: list[ImportProblem] = []
    if existing is not None:
        feature = copy.deepcopy(dict(existing))
        props = dict(feature.get("properties") or {})
    else:
        feature = {"type": "Feature", "id": inc.site, "geometry": None}
        props = {}
    props.setdefault("id", inc.site)
    country = inc.props.get("country") or props.get("country")
    if existing is None:
        if not country:
            merge.problems.append(ImportProblem(label, inc.row, inc.site, inc.columns.get("country", "country"), None,
                                                "a new site needs its country", "write the ISO code, e.g. AU", "required"))
        if not inc.props.get("status"):
            merge.problems.append(ImportProblem(label, inc.row, inc.site, inc.columns.get("status", "status"), None,
                                                "a new site needs a status",
                                                f"use one of: {', '.join(schema.STATUSES)}", "required"))
        if not inc.sources:
            merge.problems.append(ImportProblem(label, inc.row, inc.site, inc.columns.get("sources", "sources"), None,
                                                "a new site needs at least one source",
                                                "add publisher|title|url|date for the report that names it", "no-source"))
    # geometry and precision
    stated_precision = inc.props.get("location_precision")
    geometry = _UNSET
    if inc.coordinates is not None:
        precision = stated_precision or props.get("location_precision")
        if precision is None:
            merge.problems.append(ImportProblem(
                label, inc.row, inc.site, inc.columns.get("location_precision", "location_precision"), None,
                "the row gives coordinates but not how precise they are",
                f"write the location_precision: one of {', '.join(p for p in schema.PRECISIONS if p != 'none')}",
                "required"))
        else:
            geometry = _round_point(*inc.coordinates, precision)
    else:
        city = inc.props.get("city") or (None if inc.no_city else props.get("city"))
        def takes(name):  # the row's value will replace the site's (so the point must follow)
            return name in inc.props and inc.props[name] != props.get(name) and (
                props.get(name) in (None, "") or on_conflict == "update")

        moved = [name for name in ("city", "country") if takes(name)]
        had = props.get("location_precision")
        has_point = existing is not None and feature.get("geometry") is not None
        if moved and has_point and not _at_most_city(had) and not _at_most_city(stated_precision):
            # a hand-placed point finer than a city is never swapped for a city centre: the row
            # only re-spells or corrects the place; coordinates move it
            what = " and ".join(moved)
            warnings.append(ImportProblem(
                label, inc.row, inc.site, inc.columns.get(moved[0], moved[0]), inc.props[moved[0]],
                f"{what} changed; point kept; the site's point is {had or 'of unstated'} precision, finer than "
                "a city centre from the gazetteer", "give longitude/latitude to move it", "point-kept", "warning"))
            moved = []
        keep_existing = has_point and not moved
        if keep_existing:
            if stated_precision in _COARSENESS and had in _COARSENESS and _COARSENESS[stated_precision] < _COARSENESS[had]:
                merge.problems.append(ImportProblem(
                    label, inc.row, inc.site, inc.columns.get("location_precision", "location_precision"),
                    stated_precision,
                    f"precision {stated_precision!r} is finer than the site's point ({had}) and the row gives no coordinates",
                    "give latitude and longitude for the finer point, or state the site's precision (or leave it empty)",
                    "precision-without-coordinates"))
        elif stated_precision == "none" or ((inc.props.get("mode") or props.get("mode")) == "cloud" and not city):
            geometry = None
            inc.props["location_precision"] = "none"
        elif city and country:
            if stated_precision in _FINER_THAN_CITY:
                merge.problems.append(ImportProblem(
                    label, inc.row, inc.site, inc.columns.get("location_precision", "location_precision"),
                    stated_precision,
                    f"precision {stated_precision!r} needs coordinates: without them the site is placed at "
                    "its city's centre", "give latitude and longitude, or write city (or leave it empty)",
                    "precision-without-coordinates"))
            else:
                match = get_gazetteer().lookup(city, country, region=inc.region)
                if match.found:
                    precision = _coarser(stated_precision, "city")
                    geometry = _round_point(match.place.longitude, match.place.latitude, precision)
                    inc.props["location_precision"] = precision
                    inc.columns["geometry"] = inc.columns.get("city", "city")
                    summary.placed[inc.site] = f"{match.place.describe()} ({match.reason}; precision {precision})"
                else:
                    merge.problems.append(ImportProblem(
                        label, inc.row, inc.site, inc.columns.get("city", "city"), city,
                        ("ambiguous place, not guessed: " if match.status == "ambiguous" else "place not found: ")
                        + match.describe(), _place_fix(match, inc), f"place-{match.status}",
                        candidates=tuple(match.candidates)))
        elif country and stated_precision in (None, "country"):
            point = _country_point(countries_path, country)
            if point is None:
                merge.problems.append(ImportProblem(
                    label, inc.row, inc.site, inc.columns.get("latitude", "latitude"), None,
                    "no coordinates and no city, and no country outline to place it by",
                    "give latitude and longitude, or a city", "no-location"))
            else:
                geometry = _round_point(*point, "country")
                inc.props["location_precision"] = "country"
                inc.columns["geometry"] = inc.columns.get("country", "country")
                summary.placed[inc.site] = f"a point inside {country} from countries.geojson (precision country)"
        elif country:
            merge.problems.append(ImportProblem(
                label, inc.row, inc.site, inc.columns.get("latitude", "latitude"), None,
                f"no coordinates and no city: a {stated_precision}-precision site cannot be placed offline",
                "give latitude and longitude of a point in the area, or a city", "no-location"))
    if merge.problems:
        return None, _Outcome([], [], merge.problems)

    # properties, in the data model's order
    for name, value in inc.props.items():
        merge.set_field(props, name, value)
    if geometry is not _UNSET:
        old = feature.get("geometry")
        if old != geometry:
            if old is None or existing is None:
                feature["geometry"] = geometry
                merge.mark("geometry")
            elif merge.conflict("geometry", inc.columns.get("geometry"), geometry.get("coordinates") if geometry else None,
                                old.get("coordinates") if isinstance(old, Mapping) else old):
                feature["geometry"] = geometry
                merge.mark("geometry")
    merge.merge_sources_and_events(props)
    if existing is None:
        for name in inc.nulls:  # an unknown property the file states as null is kept, as null
            props.setdefault(name, None)
        props.setdefault("mode", "unknown")
        props.setdefault("location_precision", "none" if feature.get("geometry") is None else None)
        if not props.get("name"):
            props["name"] = sheet.site_name(operator=props.get("operator"), city=props.get("city"),
                                            country=props.get("country") or "", mode=props.get("mode") or "unknown")
        props.setdefault("events", [])
        for name in schema.PROPERTY_ORDER:
            props.setdefault(name, None)
    if merge.problems:
        return None, _Outcome([], [], merge.problems)
    feature["id"] = inc.site
    feature["properties"] = props
    summary.warnings.extend(warnings)
    return feature, _Outcome(merge.changed, merge.kept, [])


def _place_fix(match, inc: _Incoming) -> str:
    """How to pick one of an ambiguous or unknown place's candidates (or find it at all)."""
    if inc.geojson:
        coordinates = "give the feature the chosen place's Point [lon, lat] (with location_precision city)"
        column = "property"
    else:
        coordinates = ("copy the chosen place's lat and lon into the latitude and longitude columns"
                       " (with location_precision city)")
        column = "column"
    if not match.candidates:
        return ("give latitude and longitude (the gazetteer has places of 1000 people or more; check the "
                "spelling and the country)")
    choices = match.region_choices()
    if inc.region is not None:
        region = "correct the region (the candidates are in: " + ", ".join(choices) + ")" if choices else ""
        return f"{region}, or {coordinates}" if region else coordinates
    if not choices:
        return f"{coordinates} (no state or province tells them apart)"
    shown = ", ".join(repr(c) for c in choices[:4]) + (", ..." if len(choices) > 4 else "")
    return f"add a region {column} naming the state or province ({shown}), or {coordinates}"


def _at_most_city(precision) -> bool:
    """True for a precision of city or coarser (a point the gazetteer may replace)."""
    return isinstance(precision, str) and precision in _COARSENESS and _COARSENESS[precision] >= _COARSENESS["city"]
