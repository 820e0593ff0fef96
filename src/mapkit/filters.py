"""Selecting sites: one filter definition shared by the map page, exports, ``list`` and ``stats``.

The rules (the page's JavaScript implements the same ones, from the same field lists, which the
build embeds in the page):

* AND across fields, OR within a field (``status=["active", "closed"]`` keeps either).
* ``operator`` matches an operator id; :data:`NONE` (the empty string) matches sites with none.
* ``opened_from`` / ``opened_to`` are years compared with the year of ``opened``; once either is
  set, a site with no ``opened`` date is left out.
* ``text`` is split on white space; every word must occur in one of :data:`TEXT_FIELDS`,
  ignoring case and accents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pycountry

from mapkit import schema
from mapkit.errors import FilterError

#: Fields with a value list (checkboxes on the page, repeatable options on the CLI).
FACETS = ("status", "country", "mode", "operator")
#: Fields the free-text search looks in.
TEXT_FIELDS = ("name", "city", "address", "host_organization", "operator")
#: Facet value that stands for "no value" (e.g. no operator named by any source).
NONE = ""
#: Every filter keyword, in the order the CLI and the page present them.
FILTER_KEYS = (*FACETS, "opened_from", "opened_to", "text")

_ACCENTS = re.compile("[\u0300-\u036f]")


def fold(text) -> str:
    """Lower-case ``text`` and strip accents (the page does the same with String.normalize)."""
    import unicodedata

    if text is None:
        return ""
    return _ACCENTS.sub("", unicodedata.normalize("NFKD", str(text))).lower()


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _check_values(field: str, values: list, allowed: Iterable[str]) -> list:
    allowed = tuple(allowed)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise FilterError(f"unknown {field} {bad[0]!r}; use one of: {', '.join(allowed)}")
    return values


def normalize_filters(
    *,
    status=None,
    country=None,
    mode=None,
    operator=None,
    opened_from=None,
    opened_to=None,
    text=None,
) -> dict:
    """Check and tidy filter values; return only the filters that are set.

    Raises FilterError naming the bad value and what is allowed.
    """
    out: dict = {}
    statuses = _check_values("status", _as_list(status), schema.STATUSES)
    if statuses:
        out["status"] = sorted(set(statuses), key=schema.STATUSES.index)
    modes = _check_values("mode", _as_list(mode), schema.MODES)
    if modes:
        out["mode"] = sorted(set(modes), key=schema.MODES.index)
    countries = []
    for code in _as_list(country):
        code = str(code).strip().upper()
        if pycountry.countries.get(alpha_2=code) is None:
            raise FilterError(f"unknown country {code!r}; use an ISO 3166-1 alpha-2 code such as AU or NL")
        countries.append(code)
    if countries:
        out["country"] = sorted(set(countries))
    operators = [str(o).strip() for o in _as_list(operator)]
    if operators:
        out["operator"] = sorted(set(operators))
    for key, value in (("opened_from", opened_from), ("opened_to", opened_to)):
        if value is None or value == "":
            continue
        try:
            year = int(value)
        except (TypeError, ValueError):
            raise FilterError(f"{key} must be a year such as 2018, not {value!r}") from None
        out[key] = year
    if "opened_from" in out and "opened_to" in out and out["opened_from"] > out["opened_to"]:
        raise FilterError(
            f"opened_from {out['opened_from']} is after opened_to {out['opened_to']}; swap them"
        )
    if text is not None and str(text).strip():
        out["text"] = " ".join(str(text).split())
    return out


def _column(frame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


_ONE_VALUE = frozenset((str, int, float, bool, type(None)))


def _missing(value) -> bool:
    """None, NaN, or a pandas missing value (NA, NaT)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas NA has no truth value
        return True


def check_one_value(frame, fields: Iterable[str], label: str | None = None) -> None:
    """Raise ValidationError (one line: file, feature, field, fix) if one of ``fields`` holds a list
    or an object where the data model has one value (``"country": ["AU"]``): it can be neither
    compared nor counted, and leaving the site out would be silent. ``label`` names the data
    (default: the file the frame was loaded from)."""
    from mapkit.errors import ValidationError
    from mapkit.jsontext import JSONText, is_nested

    label = label or frame.attrs.get("source") or "data"
    for name in dict.fromkeys(fields):
        if name not in frame.columns:
            continue
        values = frame[name].tolist()
        if set(map(type, values)) <= _ONE_VALUE:  # the usual case, at C speed
            continue
        for i, value in enumerate(values):
            if not is_nested(value):
                continue
            value = value.value() if isinstance(value, JSONText) else value
            value = value.tolist() if hasattr(value, "tolist") else value
            value = value if isinstance(value, (list, Mapping)) else list(value)
            shown = json.dumps(value, ensure_ascii=False, default=str)
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            kind = "an object" if isinstance(value, Mapping) else "a list"
            example = (f", e.g. {json.dumps(value[0], ensure_ascii=False)}"
                       if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) else "")
            site = frame["id"].iloc[i] if "id" in frame.columns else None
            where = f"feature {i + 1}" + (f" ({site})" if isinstance(site, str) else "")
            raise ValidationError(f"{label}: {where}, field {name!r}: {kind} ({shown}), not one value; "
                                  f"fix: write one value{example} ('mapkit validate' lists every problem)")


def filter_mask(frame, **filters) -> np.ndarray:
    """A boolean array: which rows of ``frame`` the filters keep."""
    chosen = normalize_filters(**filters)
    keep = np.ones(len(frame), dtype=bool)
    for field in FACETS:
        if field not in chosen:
            continue
        check_one_value(frame, [field])
        values = _column(frame, field)
        wanted = set(chosen[field])
        keep &= np.fromiter(
            ((NONE if _missing(v) else v) in wanted for v in values), bool, len(values)
        )
    if "opened_from" in chosen or "opened_to" in chosen:
        low = chosen.get("opened_from", -10**9)
        high = chosen.get("opened_to", 10**9)
        check_one_value(frame, ["opened"])
        years = [schema.partial_year(v) for v in _column(frame, "opened")]
        keep &= np.fromiter((y is not None and low <= y <= high for y in years), bool, len(years))
    if "text" in chosen:
        words = fold(chosen["text"]).split()
        check_one_value(frame, TEXT_FIELDS)
        columns = [_column(frame, f) for f in TEXT_FIELDS]
        haystacks = ("\n".join(fold(v) for v in row if isinstance(v, str)) for row in zip(*columns))
        keep &= np.fromiter((all(w in h for w in words) for h in haystacks), bool, len(frame))
    return keep


def filter_frame(frame, **filters):
    """The rows of ``frame`` that the filters keep (see the module docstring for the rules)."""
    if not any(v not in (None, "", [], ()) for v in filters.values()):
        return frame
    return frame[filter_mask(frame, **filters)]


def describe(filters: Mapping) -> str:
    """A short human description of a filter set, e.g. ``status=closed; country=AU,NZ``."""
    chosen = normalize_filters(**filters)
    if not chosen:
        return "all sites"
    parts = []
    for key, value in chosen.items():
        shown = ",".join(v if v != NONE else "(none)" for v in value) if isinstance(value, list) else value
        parts.append(f"{key}={shown}")
    return "; ".join(parts)
