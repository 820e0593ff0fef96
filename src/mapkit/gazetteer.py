"""An offline gazetteer: place a city by name and country without any geocoding service.

The bundled data (``mapkit/data/gazetteer.tsv.xz``, built by ``scripts/build_gazetteer.py``) is
GeoNames (https://www.geonames.org/, licence CC BY 4.0): every populated place of 1000 people or
more, plus the seats of administrative divisions, with Latin-script alternate names for places
of 15,000 or more, and first-level division (state, province) names. See
``mapkit/data/GAZETTEER.md``.

Matching
    A name matches a place when its *key* equals the key of the place's name or of one of its
    alternate names. The key ignores case, accents and punctuation: ``"Hai'an"``, ``"Hai’an"``,
    ``"HAIAN"`` and ``"Hai an"`` are one key, as are ``"Muenchen"``'s neighbours ``"München"``
    and ``"Munchen"`` (``ø``, ``æ``, ``ß``, ``ł``, ``đ``, ``þ``, ``œ`` and ``ı`` are spelled out
    first). Only places in the given country are candidates. A qualifier in brackets or after a
    comma (``"Markham (Greater Toronto Area)"``, ``"Richmond, British Columbia"``) is tried as
    part of the name first; if that finds nothing, the name before it is looked up and the
    qualifier is used as a region hint.

Choosing (never a guess)
    1. A region hint (``region=``, or a qualifier) keeps only the candidates whose first-level
       division name or code it names, when any does. An explicit ``region=`` that names none
       leaves the place unknown, with the candidates elsewhere listed.
    2. One candidate left: it is the place.
    3. Several: the lookup is *ambiguous*, however much larger one of them is (Frankfurt am Main
       and Frankfurt (Oder), Perth in Western Australia and in Tasmania, Houston in Texas and in
       Mississippi). It lists the candidates (most populous first) with their division,
       population, coordinates and GeoNames id, for a person to choose: by a region that names
       the chosen one's division, or by giving its coordinates.
"""

from __future__ import annotations

import lzma
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = [
    "Place",
    "Match",
    "Gazetteer",
    "default_gazetteer",
    "lookup",
    "name_key",
]

#: At most this many candidates are listed for an ambiguous or unknown place.
MAX_CANDIDATES = 8

_MARKS = re.compile("[\u0300-\u036f]")
_SPELL_OUT = str.maketrans({
    "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d",
    "þ": "th", "Þ": "th", "œ": "oe", "Œ": "oe", "ı": "i", "ð": "d", "Ð": "d",
})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+", re.ASCII)
_QUALIFIER = re.compile(r"^(?P<name>[^(),]+?)\s*(?:\((?P<paren>[^()]*)\)|,(?P<comma>.*))\s*$")


def _fold(text) -> str:
    text = "" if text is None else str(text)
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text.translate(_SPELL_OUT)))
    return text.casefold()


def name_key(text) -> str:
    """The matching key of a place name: lower case, no accents, letters and digits only."""
    return _NOT_ALNUM.sub("", _fold(text))


@dataclass(frozen=True)
class Place:
    """One gazetteer place (GeoNames data)."""

    geonameid: int
    name: str
    country: str
    admin1: str
    admin1_name: str | None
    population: int
    latitude: float
    longitude: float

    @property
    def region(self) -> str:
        """The first-level division: its name (and code), or the code alone."""
        code = f"{self.country}-{self.admin1}" if self.admin1 else self.country
        return f"{self.admin1_name} ({code})" if self.admin1_name else code

    def describe(self) -> str:
        """``Hai’an, Jiangsu Sheng (CN-04), population 0, lat 32.544 lon 120.45, GeoNames 1809116``."""
        return (
            f"{self.name}, {self.region}, population {self.population:,}, "
            f"lat {self.latitude} lon {self.longitude}, GeoNames {self.geonameid}"
        )

    def to_dict(self) -> dict:
        return {
            "geonameid": self.geonameid,
            "name": self.name,
            "country": self.country,
            "admin1": self.admin1,
            "admin1_name": self.admin1_name,
            "population": self.population,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@dataclass
class Match:
    """The result of a lookup: ``status`` is 'found', 'ambiguous' or 'unknown'."""

    query: str
    country: str
    status: str
    place: Place | None = None
    candidates: list[Place] = field(default_factory=list)
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.status == "found"

    def region_choices(self) -> list[str]:
        """The division names that pick exactly one candidate (as a ``region`` would), in the
        candidates' order: ``["Victoria", "New South Wales"]`` for Croydon, AU. Empty when no
        division tells the candidates apart (several in one division): only coordinates can."""
        names: dict[str, int] = {}
        for place in self.candidates:
            name = place.admin1_name or place.admin1
            if name:
                names[name] = names.get(name, 0) + 1
        return [name for name, count in names.items() if count == 1]

    def describe(self) -> str:
        """One line for people: what was found, or why not and which candidates there are."""
        if self.found:
            return f"{self.query!r} ({self.country}) -> {self.place.describe()} [{self.reason}]"
        listed = "; ".join(p.describe() for p in self.candidates[:MAX_CANDIDATES])
        more = len(self.candidates) - MAX_CANDIDATES
        tail = f"; and {more} more" if more > 0 else ""
        if self.status == "ambiguous":
            return f"{self.query!r} in {self.country} is ambiguous ({self.reason}): {listed}{tail}"
        return f"{self.query!r} is not in the gazetteer for {self.country}" + (
            f" ({self.reason}): {listed}{tail}" if self.candidates else (f" ({self.reason})" if self.reason else "")
        )


def _default_path():
    return resources.files("mapkit").joinpath("data", "gazetteer.tsv.xz")


def _default_admin_path():
    return resources.files("mapkit").joinpath("data", "gazetteer-admin1.tsv")


def _read_text(path) -> str:
    data = path.read_bytes() if hasattr(path, "read_bytes") else Path(path).read_bytes()
    name = getattr(path, "name", str(path))
    if name.endswith(".xz"):
        data = lzma.decompress(data)
    elif name.endswith(".gz"):
        import gzip

        data = gzip.decompress(data)
    return data.decode("utf-8")


class Gazetteer:
    """Places indexed by country and name key. Build one with :meth:`load` or :meth:`from_places`.

    A loaded file is split by country at once and each country is indexed on its first lookup,
    so loading the bundled file takes well under a second.
    """

    def __init__(self, places: Iterable[Place] = (), alternates: dict[int, list[str]] | None = None):
        self._raw: dict[str, list[str]] = {}
        self._admin_names: dict[tuple[str, str], str] = {}
        self._source = "<places>"
        self._countries: dict[str, tuple[list[Place], dict[str, list[int]]]] = {}
        alternates = alternates or {}
        grouped: dict[str, list[Place]] = {}
        for place in places:
            grouped.setdefault(place.country, []).append(place)
        for country, group in grouped.items():
            self._countries[country] = self._index(group, alternates)

    @staticmethod
    def _index(places: list[Place], alternates: dict[int, list[str]]):
        index: dict[str, list[int]] = {}
        for i, place in enumerate(places):
            keys = {name_key(place.name)}
            keys.update(name_key(a) for a in alternates.get(place.geonameid, ()))
            for key in keys:
                if key:
                    index.setdefault(key, []).append(i)
        return places, index

    def _country(self, country: str):
        built = self._countries.get(country)
        if built is not None:
            return built
        from mapkit.errors import MapkitError

        places, alternates = [], {}
        for line in self._raw.pop(country, ()):
            parts = line.split("\t")
            try:
                gid, name, code, admin, population, lat, lon = parts[:7]
                place = Place(int(gid), name, code, admin, self._admin_names.get((code, admin)),
                              int(population or 0), float(lat), float(lon))
            except ValueError:
                raise MapkitError(
                    f"{self._source}: line {line[:60]!r} is not 'geonameid, name, country, admin1, population, "
                    "latitude, longitude[, alternate names]' separated by tabs; fix or rebuild the file"
                ) from None
            places.append(place)
            if len(parts) > 7 and parts[7]:
                alternates[place.geonameid] = parts[7].split("|")
        built = self._countries[country] = self._index(places, alternates)
        return built

    # ---- construction

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, *, admin1: str | os.PathLike | None = None) -> Gazetteer:
        """Read a gazetteer file (the bundled one by default).

        The format is the bundled file's: ``#`` comment lines, a header line, then tab-separated
        ``geonameid, name, country, admin1, population, latitude, longitude, alternate_names``
        (alternate names separated by ``|``), optionally xz- or gzip-compressed. ``admin1`` is a
        tab-separated ``country, admin1, name`` file (default: the bundled one when ``path`` is
        the bundled file or has a ``gazetteer-admin1.tsv`` beside it).
        """
        from mapkit.errors import MapkitError

        bundled = path is None
        source = _default_path() if bundled else Path(path)
        if admin1 is None:
            if bundled:
                admin1 = _default_admin_path()
            elif (Path(path).parent / "gazetteer-admin1.tsv").is_file():
                admin1 = Path(path).parent / "gazetteer-admin1.tsv"
        try:
            text = _read_text(source)
            admin_text = _read_text(admin1) if admin1 is not None else ""
        except (OSError, lzma.LZMAError, EOFError, UnicodeDecodeError) as exc:
            raise MapkitError(
                f"{source}: cannot read the gazetteer ({exc}); rebuild it with scripts/build_gazetteer.py"
            ) from None
        gazetteer = cls()
        gazetteer._source = str(source)
        for line in admin_text.splitlines():
            parts = line.split("\t")
            if line.startswith("#") or len(parts) < 3 or parts[0] == "country":
                continue
            gazetteer._admin_names[(parts[0], parts[1])] = parts[2]
        for line in text.splitlines():
            if not line or line.startswith("#") or line.startswith("geonameid\t"):
                continue
            parts = line.split("\t", 3)
            if len(parts) < 4:
                raise MapkitError(
                    f"{source}: line {line[:60]!r} is not 'geonameid, name, country, admin1, population, "
                    "latitude, longitude[, alternate names]' separated by tabs; fix or rebuild the file"
                )
            gazetteer._raw.setdefault(parts[2], []).append(line)
        return gazetteer

    @classmethod
    def from_places(cls, places: Iterable[Place | dict], alternates: dict[int, list[str]] | None = None) -> Gazetteer:
        """A gazetteer from Place objects or dicts with Place's fields (e.g. for tests)."""
        out = []
        for p in places:
            if isinstance(p, dict):
                p = Place(**{"admin1_name": None, "admin1": "", **p})
            out.append(p)
        return cls(out, alternates)

    def __len__(self) -> int:
        return sum(len(v) for v in self._raw.values()) + sum(len(p) for p, _ in self._countries.values())

    # ---- lookup

    def candidates(self, name: str, country: str) -> list[Place]:
        """Every place in ``country`` whose name or alternate name has the key of ``name``,
        most populous first (then by GeoNames id, so the order is stable)."""
        places, index = self._country(str(country).upper())
        found = [places[i] for i in index.get(name_key(name), [])]
        return sorted(found, key=lambda p: (-p.population, p.geonameid))

    @staticmethod
    def _in_region(place: Place, hint: str) -> bool:
        key = name_key(hint)
        if not key:
            return False
        if place.admin1 and key == name_key(place.admin1):
            return True
        if place.admin1_name:
            admin = name_key(place.admin1_name)
            # "Jiangsu" names "Jiangsu Sheng"; "New South Wales" names "New South Wales"
            words = [name_key(w) for w in re.split(r"[\s,/-]+", _fold(place.admin1_name)) if name_key(w)]
            return key == admin or (len(key) >= 4 and (admin.startswith(key) or key in words or admin in key))
        return False

    def lookup(self, name: str, country: str, *, region: str | None = None) -> Match:
        """Find the place ``name`` in ``country`` (ISO 3166-1 alpha-2); see the module docstring
        for the rule. Never raises for a name it does not know: the Match says so."""
        query = " ".join(str(name or "").split())
        country = str(country or "").strip().upper()
        if not name_key(query):
            return Match(query, country, "unknown", reason="no place name given")
        hint = region
        found = self.candidates(query, country)
        qualifier = _QUALIFIER.match(query)
        if not found and qualifier:
            found = self.candidates(qualifier.group("name"), country)
            if hint is None:
                hint = (qualifier.group("paren") or qualifier.group("comma") or "").strip() or None
        if not found:
            return Match(query, country, "unknown", reason=f"no place of that name in {country}")
        within = None  # the region that narrowed the candidates, if one did
        if hint:
            narrowed = [p for p in found if self._in_region(p, hint)]
            if narrowed:
                within = repr(hint) if len(narrowed) < len(found) else None
                found = narrowed
            elif region is not None:
                return Match(query, country, "unknown", candidates=found,
                             reason=f"none in region {region!r}; places of that name elsewhere in {country}")
        if len(found) == 1:
            reason = "the only match" + (f" in {within}" if within else "")
            return Match(query, country, "found", place=found[0], candidates=found, reason=reason)
        return Match(query, country, "ambiguous", candidates=found,
                     reason=f"{len(found)} places of that name in {within or country}")


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The bundled gazetteer, read once per process."""
    return Gazetteer.load()


def lookup(name: str, country: str, *, region: str | None = None, gazetteer: Gazetteer | None = None) -> Match:
    """Look ``name`` up in ``country`` in ``gazetteer`` (default: the bundled one)."""
    return (gazetteer or default_gazetteer()).lookup(name, country, region=region)
