"""Counting and listing sites: ``mapkit stats`` and ``mapkit list``.

Both take the same filters as the map page and the exports (:func:`mapkit.filters.filter_frame`),
so a count here is the number of sites the map shows with the same filters. Output is plain rows
(a list of dicts, in a fixed order), which :func:`format_rows` renders as an aligned text table,
CSV, JSON or a Markdown table.
"""

from __future__ import annotations

import csv
import io as _io
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from mapkit import schema
from mapkit.filters import NONE, check_one_value, filter_frame

__all__ = ["BY", "FORMATS", "LIST_COLUMNS", "UNKNOWN", "stats", "list_sites", "format_rows"]

#: What ``stats`` can count by.
BY = ("status", "country", "operator", "mode", "year")
#: Output formats of :func:`format_rows`.
FORMATS = ("table", "csv", "json", "markdown")
#: Columns of ``list`` (and their order) unless others are asked for.
LIST_COLUMNS = ("id", "country", "city", "status", "status_date", "opened", "operator", "mode", "name")
#: The row label for sites without a value (no operator named, no opening date, ...).
UNKNOWN = "unknown"
#: The row label for sites whose operator no source names.
NO_OPERATOR = "(none)"


def _frame(data):
    """A frame from a frame, a FeatureCollection dict or a path, and what to call it in errors."""
    import geopandas as gpd

    from mapkit import io

    if isinstance(data, gpd.GeoDataFrame):
        return data, "data"
    if isinstance(data, Mapping):
        return io.frame_from_collection(data), "data"
    return io.load(os.fspath(data)), os.fspath(data)


#: Data-model fields that hold one value (the others, events and sources, are lists).
ONE_VALUE = tuple(name for name in schema.PROPERTY_ORDER if name not in ("events", "sources"))


def _values(frame, column: str) -> list:
    if column not in frame.columns:
        return [None] * len(frame)
    return [None if (v is None or (isinstance(v, float) and v != v)) else v for v in frame[column].tolist()]


def _country_name(code) -> str | None:
    if not isinstance(code, str):
        return None
    from mapkit.validation import EXTRA_COUNTRY_CODES

    if code in EXTRA_COUNTRY_CODES:
        return EXTRA_COUNTRY_CODES[code]
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    return getattr(country, "common_name", None) or country.name


def stats(frame, *, by: str = "status", **filters) -> list[dict]:
    """Count the sites that ``filters`` keep, grouped ``by`` one field.

    ``by`` is one of :data:`BY`: ``status`` and ``mode`` (in the data model's order),
    ``country`` (by code, with the country's name), ``operator`` (by id; sites with none as
    ``(none)``, last) or ``year`` (the year of ``opened``, ascending; sites with no or a malformed
    opening date as ``unknown``, last). Only values that occur are listed. ``frame`` may also be a
    path or a FeatureCollection dict. Returns rows like ``{"status": "closed", "sites": 12}``;
    the counts add up to the number of sites kept. A list or an object where the field counted
    or a field filtered on should hold one value (``"country": ["AU"]``) raises
    :class:`mapkit.errors.ValidationError` naming the feature and field.
    """
    from mapkit.errors import FilterError

    if by not in BY:
        raise FilterError(f"cannot count by {by!r}; use one of: {', '.join(BY)}")
    frame, label = _frame(frame)
    kept = filter_frame(frame, **filters)  # which checks the fields it filters on
    check_one_value(frame, ["opened" if by == "year" else by], label)
    if by == "year":
        keys = [schema.partial_year(v) for v in _values(kept, "opened")]
    elif by == "operator":
        keys = [v if v not in (None, NONE) else None for v in _values(kept, "operator")]
    else:
        keys = _values(kept, by)
    counts = Counter(keys)

    order = {"status": schema.STATUSES, "mode": schema.MODES}.get(by)

    def sort_key(key):
        if key is None:
            return (2, 0, "")
        if order is not None and key in order:
            return (0, order.index(key), "")
        return (1, 0, str(key)) if not isinstance(key, int) else (1, key, "")

    rows = []
    for key in sorted(counts, key=sort_key):
        if key is None:
            label = NO_OPERATOR if by == "operator" else UNKNOWN
        else:
            label = key
        row = {by: label}
        if by == "country":
            row["name"] = _country_name(key)
        row["sites"] = counts[key]
        rows.append(row)
    return rows


def list_sites(frame, *, columns: Sequence[str] | None = None, **filters) -> list[dict]:
    """The sites that ``filters`` keep, one dict per site sorted by id.

    ``columns`` picks the fields (any property; default :data:`LIST_COLUMNS`); ``frame`` may also
    be a path or a FeatureCollection dict. Lists (events, sources) are given as their length.
    A list or an object in a field that holds one value (``"country": ["AU"]``), filtered on or
    listed, raises :class:`mapkit.errors.ValidationError` naming the feature and field.
    """
    columns = list(columns or LIST_COLUMNS)
    frame, label = _frame(frame)
    kept = filter_frame(frame, **filters)  # which checks the fields it filters on
    check_one_value(frame, [c for c in columns if c in ONE_VALUE], label)
    data = {c: _values(kept, c) for c in columns}
    rows = []
    for i in range(len(kept)):
        row = {}
        for c in columns:
            value = data[c][i]
            if isinstance(value, (list, tuple)):
                value = len(value)
            elif hasattr(value, "tolist"):  # numpy scalars and arrays
                value = value.tolist()
                value = len(value) if isinstance(value, list) else value
            row[c] = value
        rows.append(row)
    rows.sort(key=lambda r: str(r.get("id") if r.get("id") is not None else ""))
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def format_rows(
    rows: Sequence[Mapping],
    *,
    format: str = "table",
    columns: Iterable[str] | None = None,
    total: str | None = None,
) -> str:
    """Render rows as ``table`` (aligned text), ``csv``, ``json`` or ``markdown``.

    ``columns`` defaults to the keys of the first row. ``total`` names the column to sum into a
    final ``total`` row (table and Markdown only: CSV and JSON stay pure data). The text ends
    with a newline; no rows give a header only (``[]`` in JSON).
    """
    from mapkit.errors import MapkitError

    if format not in FORMATS:
        raise MapkitError(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    columns = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if format == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], ensure_ascii=False, indent=2) + "\n"
    if format == "csv":
        out = _io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in columns])
        return out.getvalue()
    body = [[_cell(r.get(c)) for c in columns] for r in rows]
    if total and total in columns and rows:
        row = [""] * len(columns)
        row[0] = "total"
        row[columns.index(total)] = str(sum(int(r.get(total) or 0) for r in rows))
        body.append(row)
    numeric = [all(isinstance(r.get(c), int) and not isinstance(r.get(c), bool) for r in rows) and rows
               for c in columns]
    if format == "markdown":
        def esc(text: str) -> str:
            return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(esc(c) for c in columns) + " |",
                 "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    widths = [max([len(c)] + [len(row[i]) for row in body]) for i, c in enumerate(columns)]

    def line(cells) -> str:
        parts = [cell.rjust(w) if n else cell.ljust(w) for cell, w, n in zip(cells, widths, numeric)]
        return "  ".join(parts).rstrip()

    lines = [line(columns), line(["-" * w for w in widths])]
    if total and body and len(body) > len(rows):
        lines += [line(row) for row in body[:-1]]
        lines.append(line(["-" * w for w in widths]))
        lines.append(line(body[-1]))
    else:
        lines += [line(row) for row in body]
    return "\n".join(lines) + "\n"
