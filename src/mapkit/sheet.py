"""Parse one row of the research spreadsheet layout into a site Feature of the data model.

The layout is the one of ``shared/research/sites.csv`` (and of spreadsheets people send in): one
row per reported site, with these columns::

    id, city, country, address_or_area, latitude, longitude, location_precision, mode,
    operating_bureau, host_organisation, date_opened, date_opened_precision, status,
    status_date, events, reported_by, sources, notes

Two columns pack lists into one cell:

``sources``
    ``publisher|title|url|date`` entries separated by `` ;; ``. ``date`` is a partial date
    (``2022``, ``2022-11``, ``2022-11-03``), ``~2022-11`` for a date inferred from the URL or a
    relative date (stored as ``published: "2022-11"`` with ``"date_inferred": true``), or
    ``n.d.`` (``published: null``). A title in ``[brackets]`` is a description of a page that
    showed no headline: it is stored without the brackets and with
    ``"title_is_description": true``. A leading ``[headline from URL slug]`` marks a headline
    rebuilt from the URL (``"title_from_url": true``).

``events``
    ``date: summary [n][m]`` entries separated by ``; ``. ``[n]`` is the 1-based position of a
    source in the row's ``sources`` cell and becomes the source id ``sn``. A summary may itself
    contain ``; ``: an entry only ends where ``; `` is followed by a new date and a colon.
    Citations inside a longer entry (``... [2][5]. Then ... [3]``) count too and are removed
    from the summary. ``~date`` marks an inferred date (``"date_inferred": true`` on the event);
    ``n.d.`` an undated entry, which is an error unless ``allow_undated=True``.

The public functions are small and independent, so that ``mapkit import`` and one-off scripts
can reuse them: :func:`parse_partial_date_cell`, :func:`parse_sources`, :func:`parse_events`,
:func:`classify_event`, :func:`operator_id`, :func:`dedupe_sources` and :func:`row_to_feature`.
Every error is a :class:`mapkit.errors.SheetError` whose message names the row id, the column
and what to change. Nothing here geocodes: coordinates are taken as given.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence

from mapkit import schema
from mapkit.errors import SheetError

__all__ = [
    "COLUMNS",
    "ACCESSED",
    "SOURCE_SEPARATOR",
    "parse_partial_date_cell",
    "parse_sources",
    "parse_events",
    "classify_event",
    "operator_id",
    "dedupe_sources",
    "sort_events",
    "site_name",
    "row_to_feature",
]

#: The columns of the research layout, in order. Other columns become extra properties.
COLUMNS = (
    "id",
    "city",
    "country",
    "address_or_area",
    "latitude",
    "longitude",
    "location_precision",
    "mode",
    "operating_bureau",
    "host_organisation",
    "date_opened",
    "date_opened_precision",
    "status",
    "status_date",
    "events",
    "reported_by",
    "sources",
    "notes",
)

#: Optional columns this module also understands (not in the research layout).
OPTIONAL_COLUMNS = ("date_closed", "name")

#: Default ``accessed`` value for sources: when the research copies were read.
ACCESSED = "2026-11"

SOURCE_SEPARATOR = " ;; "

_SOURCE_SPLIT = re.compile(r"\s*;;\s*")
_DATE_TOKEN = r"(?:~?\d{4}(?:-\d{2}){0,2}|n\.d\.)"
#: ``; `` that starts a new event: followed by a date (or n.d.) and a colon.
_EVENT_SPLIT = re.compile(r";\s+(?=" + _DATE_TOKEN + r":\s)")
_EVENT_HEAD = re.compile(r"^\s*(" + _DATE_TOKEN + r"):\s*(.*)$", re.S)
_CITATIONS = re.compile(r"((?:\s*\[\d+\])+)\s*[.;]?\s*$")
_CITATION_NUMBER = re.compile(r"\[(\d+)\]")
_INLINE_CITATIONS = re.compile(r"\s*((?:\[\d+\])+)")
_BRACKET_PREFIX = re.compile(r"^\[([^\]]*)\]\s*(.*)$", re.S)

#: Cell values that mean "no city given".
_NO_CITY = re.compile(r"^\(\s*(not stated|not identified|unknown|none|n/?a)\b[^()]*\)$|^(not stated|not identified|unknown|none|n/?a)$", re.I)

_PRECISION_WORDS = {"year": 1, "month": 2, "day": 3}

#: (pattern, event type), tried in order; the first match wins.
_EVENT_RULES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.I), kind)
    for pattern, kind in (
        (r"\bden(y|ies|ied|ial)\b|\brejects?\b", "denial"),
        (r"\barrest", "arrest"),
        (r"\bguilty\b|\bconvict|\bsentence", "conviction"),
        (r"\bcharged?\b|\bindict", "charge"),
        (r"ordered? to (close|shut)|\border(s|ed)?\b[^.;]*\b(shut|clos)|\borders? (the )?(immediate )?closure", "closure_ordered"),
        (r"investigat|\bprobe|\bsearch(es|ed)?\b|\braid", "investigation"),
        (r"\bclosed\b|\bshut down\b|\bceased?\b|\bstopped\b", "closed"),
        (r"\bconfirm", "confirmed"),
        (r"\bset up\b|\bopened\b|\bestablish|\binaugurat", "opened"),
        (r"\blists?\b|\breports?\b|\bnames?\b|\breveals?\b|\bpublish", "reported"),
    )
)


def _where(row_id, column) -> str:
    row = f"row {row_id!r}" if row_id else "row"
    return f"{row}, column {column!r}"


def parse_partial_date_cell(
    text, *, row_id: str | None = None, column: str = "date"
) -> tuple[str | None, bool]:
    """Read a date cell: ``(value, inferred)``.

    ``""`` and ``n.d.`` give ``(None, False)``; ``~2022-11`` gives ``("2022-11", True)``;
    ``2022-11-03`` gives ``("2022-11-03", False)``. Anything else raises SheetError.
    """
    value = "" if text is None else str(text).strip()
    if value == "" or value.lower() in ("n.d.", "n.d", "nd"):
        return None, False
    inferred = value.startswith("~")
    if inferred:
        value = value[1:].strip()
    try:
        schema.parse_partial_date(value)
    except ValueError as exc:
        raise SheetError(
            f"{_where(row_id, column)}: {exc}; write YYYY, YYYY-MM or YYYY-MM-DD "
            "(prefix ~ if inferred, or n.d. if there is no date)"
        ) from None
    return value, inferred


def _split_title(title: str) -> tuple[str, dict]:
    """Strip a bracketed title or a bracketed marker before it; return (title, flags).

    ``[A description]`` (the whole cell in brackets) and ``[no headline in stored copy] A
    description`` are descriptions; ``[headline from URL slug] Words`` is a headline rebuilt from
    the URL. Any other leading bracket (``[90] Title``, ``[Update] Title``) is part of the title.
    """
    match = _BRACKET_PREFIX.match(title)
    if not match:
        return title, {}
    note, rest = match.group(1).strip(), match.group(2).strip()
    if not rest:  # the whole title is a description
        return note, {"title_is_description": True}
    marker = note.lower()
    if "slug" in marker or "from url" in marker or "from the url" in marker:
        return rest, {"title_from_url": True}
    if "headline" in marker or "title" in marker or "description" in marker:
        # "[no headline in stored copy] what the page is about"
        return rest, {"title_is_description": True}
    return title, {}


def parse_sources(text, *, row_id: str | None = None, accessed: str | None = ACCESSED) -> list[dict]:
    """Parse a ``sources`` cell into source dicts ``s1``, ``s2``, ... in cell order.

    Duplicated URLs are kept here (positions must stay stable for event citations); see
    :func:`dedupe_sources`. Raises SheetError for an entry without four ``|`` fields, an empty
    publisher or title, a non-http(s) URL or a bad date.
    """
    value = "" if text is None else str(text).strip()
    if not value:
        return []
    sources = []
    for position, entry in enumerate(_SOURCE_SPLIT.split(value), start=1):
        entry = entry.strip()
        where = f"{_where(row_id, 'sources')}, entry {position}"
        raw_parts = entry.split("|")
        parts = [p.strip() for p in raw_parts]
        if len(parts) < 4:
            raise SheetError(
                f"{where}: {entry[:60]!r} has {len(parts)} field(s); "
                "write publisher|title|url|date (date may be n.d.) and separate entries with ' ;; '"
            )
        # a title may itself contain '|': publisher is first, url and date are last
        publisher, url, date = parts[0], parts[-2], parts[-1]
        title = "|".join(raw_parts[1:-2]).strip()
        if not publisher:
            raise SheetError(f"{where}: the publisher is empty; name who published the page")
        if not title:
            raise SheetError(f"{where}: the title is empty; give the headline or a [description]")
        if not re.match(r"^https?://\S+$", url):
            raise SheetError(f"{where}: {url!r} is not an http(s) URL; give the page's web address")
        published, inferred = parse_partial_date_cell(date, row_id=row_id, column="sources")
        title, flags = _split_title(title)
        source = {
            "id": f"s{position}",
            "publisher": publisher,
            "title": title,
            "url": url,
            "published": published,
            "accessed": accessed,
            "archive_url": None,
        }
        if inferred:
            source["date_inferred"] = True
        source.update(flags)
        sources.append(source)
    return sources


def classify_event(summary: str) -> str:
    """A first guess at an event's type from keywords in its summary: review it by hand.

    Rules are tried in order and the first match wins: denial ("denies", "rejects"), arrest,
    conviction ("guilty", "sentence"), charge ("charged", "indicted"), closure order,
    investigation ("investigating", "probe", "search", "raid"), closure ("closed", "shut down",
    "ceased"), confirmation, opening ("set up", "opened", "inaugurated") and report ("lists",
    "reports", "reveals"). Anything else is a ``statement``. Returns one of
    ``mapkit.schema.EVENT_TYPES``.
    """
    for pattern, kind in _EVENT_RULES:
        if pattern.search(summary):
            return kind
    return "statement"


def parse_events(
    text,
    sources: Sequence[Mapping],
    *,
    row_id: str | None = None,
    allow_undated: bool = False,
) -> list[dict]:
    """Parse an ``events`` cell against the row's parsed ``sources`` (cell order).

    Returns events in cell order, each ``{date, type, summary, sources}`` (plus
    ``date_inferred`` for ``~`` dates). ``type`` comes from :func:`classify_event`. Undated
    (``n.d.``) entries raise SheetError unless ``allow_undated``, when they get ``date: None``.
    """
    value = "" if text is None else str(text).strip()
    if not value:
        return []
    ids = [s["id"] for s in sources]
    events = []
    for number, entry in enumerate(_EVENT_SPLIT.split(value), start=1):
        entry = entry.strip().rstrip(";").strip()
        where = f"{_where(row_id, 'events')}, entry {number}"
        head = _EVENT_HEAD.match(entry)
        if not head:
            raise SheetError(
                f"{where}: {entry[:60]!r} does not start with a date; "
                "write 'YYYY-MM-DD: what happened [n]' (or YYYY, YYYY-MM, ~date, n.d.)"
            )
        date_text, rest = head.groups()
        cites = _CITATIONS.search(rest)
        if not cites:
            raise SheetError(
                f"{where}: {entry[:60]!r} cites no source; end it with the source numbers, e.g. [1][2]"
            )
        summary = rest[: cites.start()].strip().rstrip(";,").strip()
        # citations may also sit inside a longer entry ("... [2][5]. According to ... [3]")
        numbers = [int(m) for group in _INLINE_CITATIONS.findall(summary) for m in _CITATION_NUMBER.findall(group)]
        summary = re.sub(r"\s+([.;,])", r"\1", _INLINE_CITATIONS.sub("", summary)).strip()
        numbers += [int(m) for m in _CITATION_NUMBER.findall(cites.group(1))]
        if not summary:
            raise SheetError(f"{where}: the summary is empty; say what happened before the [n]")
        cited = []
        for n in numbers:
            if not 1 <= n <= len(ids):
                raise SheetError(
                    f"{where}: cites [{n}] but the row has {len(ids)} source(s); "
                    f"cite a number from 1 to {len(ids)} or add the source to the sources column"
                )
            if ids[n - 1] not in cited:
                cited.append(ids[n - 1])
        date, inferred = parse_partial_date_cell(date_text, row_id=row_id, column="events")
        if date is None and not allow_undated:
            raise SheetError(
                f"{where}: {summary[:50]!r} has no date (n.d.); give the date of the event "
                "(YYYY at least) or move it to notes"
            )
        event = {"date": date, "type": classify_event(summary), "summary": summary, "sources": cited}
        if inferred:
            event["date_inferred"] = True
        events.append(event)
    return events


def sort_events(events: Sequence[Mapping]) -> list[dict]:
    """Events by the earliest day their date allows (stable; undated events last)."""

    def key(event):
        date = event.get("date")
        return (0, schema.earliest_day(date)) if date else (1, _dt.date.max)

    return [dict(e) for e in sorted(events, key=key)]


def dedupe_sources(sources: Sequence[Mapping], events: Sequence[Mapping] = ()) -> tuple[list[dict], list[dict]]:
    """Merge sources that share a URL and renumber ids ``s1..sn`` in order.

    Returns ``(sources, events)`` with every event's citations rewritten to the new ids (each
    id once). The first occurrence of a URL is kept; a later duplicate that has a date fills in
    a missing one.
    """
    kept: list[dict] = []
    by_url: dict[str, dict] = {}
    old_to_new: dict[str, str] = {}
    for source in sources:
        url = source["url"]
        if url in by_url:
            first = by_url[url]
            if first.get("published") is None and source.get("published") is not None:
                first["published"] = source["published"]
            old_to_new[source["id"]] = first["_new"]
            continue
        copy = dict(source)
        copy["_new"] = f"s{len(kept) + 1}"
        old_to_new[source["id"]] = copy["_new"]
        by_url[url] = copy
        kept.append(copy)
    for source in kept:
        source["id"] = source.pop("_new")
    new_events = []
    for event in events:
        copy = dict(event)
        cited: list[str] = []
        for sid in event.get("sources", []):
            new = old_to_new.get(sid)
            if new is None:
                raise SheetError(f"event {event.get('summary', '')[:50]!r} cites {sid!r}, which is not a source")
            if new not in cited:
                cited.append(new)
        copy["sources"] = cited
        new_events.append(copy)
    return kept, new_events


def operator_id(bureau, *, row_id: str | None = None) -> str | None:
    """The operator id for an ``operating_bureau`` cell: ``"Fuzhou PSB (…)"`` -> ``"fuzhou-psb"``.

    Empty means no source names a bureau (None). The cell must start with the place name
    followed by ``PSB`` (or ``County PSB`` / ``Public Security Bureau``).
    """
    value = "" if bureau is None else str(bureau).strip()
    if not value:
        return None
    match = re.match(r"^([A-Za-z][A-Za-z' .-]*?)\s+(?:County\s+|City\s+|Municipal\s+)?(?:PSB|Public Security Bureau)\b", value)
    if not match:
        raise SheetError(
            f"{_where(row_id, 'operating_bureau')}: {value[:60]!r} does not name a bureau as "
            "'<Place> PSB'; write e.g. 'Fuzhou PSB' (details may follow in brackets) or leave it empty"
        )
    place = re.sub(r"[^a-z0-9]+", "-", match.group(1).lower().replace("'", "")).strip("-")
    return f"{place}-psb"


def _clean(value) -> str:
    return "" if value is None else str(value).strip()


def _short_city(city: str | None) -> str | None:
    if not city:
        return None
    return re.sub(r"\s*\(.*$", "", city).strip() or None


def site_name(*, operator: str | None, city: str | None, country: str, mode: str = "unknown") -> str:
    """A short label: who runs it and where.

    ``"Fuzhou police service station, Dublin"``; ``"Reported police service station, Lisbon"``
    when no bureau is named; ``"… (place not stated), Angola"`` when only the country is known.
    """
    place = _short_city(city)
    if place is None:
        place_text = f" (place not stated), {_country_name(country)}"
    else:
        place_text = f", {place}"
    kind = "police cloud contact point" if mode == "cloud" else "police service station"
    if operator:
        bureau = operator.removesuffix("-psb").replace("-", " ").title()
        return f"{bureau} {kind}{place_text}"
    return f"Reported {kind}{place_text}"


def _country_name(code: str) -> str:
    try:
        import pycountry

        country = pycountry.countries.get(alpha_2=code)
    except Exception:  # pragma: no cover - pycountry is a dependency, but stay usable without it
        country = None
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def _check_enum(value: str, allowed: Sequence[str], row_id, column) -> str:
    if value not in allowed:
        raise SheetError(
            f"{_where(row_id, column)}: {value!r} is not one of {', '.join(allowed)}; use one of those"
        )
    return value


def _coordinate(text, row_id, column, low, high) -> float | None:
    value = _clean(text)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise SheetError(f"{_where(row_id, column)}: {value!r} is not a number; write decimal degrees") from None
    if not low <= number <= high:
        raise SheetError(f"{_where(row_id, column)}: {number} is outside [{low}, {high}]; check for swapped latitude/longitude")
    return number


def row_to_feature(
    row: Mapping,
    *,
    accessed: str | None = ACCESSED,
    allow_undated: bool = False,
) -> dict:
    """Turn one spreadsheet row (a dict of column -> text) into a GeoJSON Feature dict.

    Properties follow the data model's order; columns this module does not know become extra
    properties (sorted by name). Coordinates are rounded to what ``location_precision`` supports.
    The result still needs review: event types are keyword guesses (:func:`classify_event`),
    and ``closed`` is only set from an optional ``date_closed`` column.
    """
    row_id = _clean(row.get("id"))
    if not row_id:
        raise SheetError("row without an id: give every row a slug such as 'au-sydney-wenzhou'")
    country = _clean(row.get("country")).upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise SheetError(f"{_where(row_id, 'country')}: {country!r} is not a two-letter ISO country code; write e.g. AU")
    if not schema.SLUG_RE.match(row_id) or not row_id.startswith(country.lower() + "-"):
        raise SheetError(
            f"{_where(row_id, 'id')}: ids are lower-case [a-z0-9-] and start with the country code "
            f"and a hyphen; write e.g. '{country.lower()}-{re.sub('[^a-z0-9]+', '-', row_id.lower()).strip('-')}'"
        )

    precision = _check_enum(_clean(row.get("location_precision")) or "none", schema.PRECISIONS, row_id, "location_precision")
    mode = _check_enum(_clean(row.get("mode")) or "unknown", schema.MODES, row_id, "mode")
    status = _check_enum(_clean(row.get("status")), schema.STATUSES, row_id, "status")

    lat = _coordinate(row.get("latitude"), row_id, "latitude", -90, 90)
    lon = _coordinate(row.get("longitude"), row_id, "longitude", -180, 180)
    if (lat is None) != (lon is None):
        raise SheetError(f"{_where(row_id, 'latitude')}: give both latitude and longitude, or neither")
    geometry = None
    if lat is not None:
        places = schema.MAX_DECIMALS[precision]
        geometry = {"type": "Point", "coordinates": [round(lon, places) + 0.0, round(lat, places) + 0.0]}

    city = _clean(row.get("city")) or None
    if city is not None and _NO_CITY.match(city):
        city = None

    opened, _ = parse_partial_date_cell(row.get("date_opened"), row_id=row_id, column="date_opened")
    opened_precision = _clean(row.get("date_opened_precision")).lower()
    if opened and opened_precision:
        want = _PRECISION_WORDS.get(opened_precision)
        if want is None:
            raise SheetError(f"{_where(row_id, 'date_opened_precision')}: {opened_precision!r} is not year, month or day")
        if want != len(opened.split("-")):
            raise SheetError(
                f"{_where(row_id, 'date_opened_precision')}: says {opened_precision!r} but date_opened is "
                f"{opened!r}; make them agree"
            )
    closed, _ = parse_partial_date_cell(row.get("date_closed"), row_id=row_id, column="date_closed")
    status_date, _ = parse_partial_date_cell(row.get("status_date"), row_id=row_id, column="status_date")

    sources = parse_sources(row.get("sources"), row_id=row_id, accessed=accessed)
    if not sources:
        raise SheetError(f"{_where(row_id, 'sources')}: no source; every site needs at least one")
    events = parse_events(row.get("events"), sources, row_id=row_id, allow_undated=allow_undated)
    sources, events = dedupe_sources(sources, events)
    events = sort_events(events)

    operator = operator_id(row.get("operating_bureau"), row_id=row_id)
    name = _clean(row.get("name")) or site_name(operator=operator, city=city, country=country, mode=mode)

    props = {
        "id": row_id,
        "name": name,
        "country": country,
        "city": city,
        "address": _clean(row.get("address_or_area")) or None,
        "location_precision": precision,
        "mode": mode,
        "status": status,
        "status_date": status_date,
        "opened": opened,
        "closed": closed,
        "operator": operator,
        "host_organization": _clean(row.get("host_organisation")) or None,
        "reported_by": _clean(row.get("reported_by")) or None,
        "events": events,
        "sources": sources,
        "notes": _clean(row.get("notes")) or None,
    }
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    for key in sorted(k for k in row if k is not None and k not in known):
        if key in props:
            raise SheetError(
                f"{_where(row_id, key)}: an extra column may not reuse the property name {key!r}; rename the column"
            )
        value = row[key]
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            continue  # an empty extra cell adds nothing (and None would not survive a round trip)
        props[key] = value
    return {"type": "Feature", "id": row_id, "geometry": geometry, "properties": props}
