"""The offline gazetteer: bundled GeoNames data, name matching, and the no-guessing rule."""

from __future__ import annotations

import gzip
import lzma
from importlib import resources

import pytest

from mapkit.errors import MapkitError
from mapkit.gazetteer import Gazetteer, Place, default_gazetteer, lookup, name_key


def test_bundled_file_is_small_and_says_where_it_comes_from():
    data = resources.files("mapkit").joinpath("data", "gazetteer.tsv.xz").read_bytes()
    assert len(data) < 3_000_000
    head = lzma.decompress(data)[:2000].decode("utf-8")
    assert "GeoNames" in head and "CC BY 4.0" in head and "build_gazetteer.py" in head
    readme = resources.files("mapkit").joinpath("data", "GAZETTEER.md").read_text("utf-8")
    assert "CC BY 4.0" in readme or "Attribution 4.0" in readme
    assert len(default_gazetteer()) > 150_000


@pytest.mark.parametrize(
    "name, country, geonameid, region",
    [
        ("Rydalmere", "AU", 2150768, "New South Wales"),  # only in GeoNames' >= 5000 list
        ("Hai'an", "CN", 1809116, "Jiangsu Sheng"),  # population 0, only in the >= 1000 list
        ("Hai’an", "CN", 1809116, "Jiangsu Sheng"),  # GeoNames spells it with U+2019
        ("HAIAN", "CN", 1809116, "Jiangsu Sheng"),
        ("Prato, Tuscany", "IT", 3169921, "Tuscany"),  # three Pratos: the qualifier names one's region
        ("Croydon", "GB", 2651817, "England"),
        ("Markham (Greater Toronto Area)", "CA", 6066513, "Ontario"),
        ("Richmond, British Columbia", "CA", 6122085, "British Columbia"),
        ("Frankfurt am Main", "DE", 2925533, "Hesse"),  # the full name is one place
        ("München", "DE", 2867714, "Bavaria"),  # an alternate name of Munich
        ("muenchen", "DE", 2867714, "Bavaria"),
        ("Tromso", "NO", 3133895, None),  # ø spelled o
        ("Croydon, Victoria", "AU", 2169867, "Victoria"),  # the qualifier narrows two Croydons to one
    ],
)
def test_known_places_are_found(name, country, geonameid, region):
    match = lookup(name, country)
    assert match.found, match.describe()
    assert match.place.geonameid == geonameid
    if region:
        assert match.place.admin1_name == region
    assert str(geonameid) in match.describe()


def test_ambiguous_place_lists_candidates_and_picks_none():
    match = lookup("Croydon", "AU")  # Victoria 26,502 and New South Wales 10,546: not 10x apart
    assert match.status == "ambiguous" and match.place is None
    assert [p.admin1_name for p in match.candidates] == ["Victoria", "New South Wales"]
    text = match.describe()
    assert "ambiguous" in text and "Victoria" in text and "New South Wales" in text and "26,502" in text
    assert "-37.8" in text  # coordinates shown for each candidate


@pytest.mark.parametrize(
    "name, country, regions",
    [
        # however much larger one namesake is, the other is never ruled out by population
        ("Frankfurt", "DE", ["Hesse", "Brandenburg"]),  # am Main 650,000; (Oder) 57,107
        ("Richmond (Metro Vancouver)", "CA", ["British Columbia", "Alberta", "Ontario", "Quebec"]),
        ("Perth", "AU", ["Western Australia", "Tasmania"]),  # 2,384,371 against 2,907
        ("Prato", "IT", ["Tuscany", "Emilia-Romagna", "Friuli Venezia Giulia"]),
        ("Houston", "US", ["Texas", "Mississippi", "Alaska", "Missouri", "Pennsylvania"]),
    ],
)
def test_namesakes_are_ambiguous_whatever_their_populations(name, country, regions):
    match = lookup(name, country)
    assert match.status == "ambiguous" and match.place is None and not match.found
    assert [p.admin1_name for p in match.candidates] == regions
    assert match.region_choices() == regions
    text = match.describe()
    first = match.candidates[0]
    # each candidate with name, region, population and coordinates, for a person to choose
    for place in match.candidates:
        assert f"{place.name}, {place.admin1_name} ({country}-{place.admin1}), population {place.population:,}, " \
               f"lat {place.latitude} lon {place.longitude}, GeoNames {place.geonameid}" in text
    assert "10x" not in text and "populous" not in text
    # a region (or a qualifier naming it) picks one of them
    assert lookup(name, country, region=regions[0]).place == first
    assert lookup(name.split(" (")[0], country, region=regions[-1]).place == match.candidates[-1]


def test_region_decides_or_leaves_the_place_unknown():
    assert lookup("Croydon", "AU", region="New South Wales").place.geonameid == 2169868
    assert lookup("Croydon", "AU", region="02").place.geonameid == 2169868  # GeoNames division code
    assert lookup("Hai'an", "CN", region="Jiangsu").found
    match = lookup("Croydon", "AU", region="Queensland")
    assert match.status == "unknown" and len(match.candidates) == 2
    assert "Queensland" in match.describe()


def test_unknown_places_and_wrong_country():
    assert lookup("Atlantis", "GR").status == "unknown"
    assert lookup("Rydalmere", "NZ").status == "unknown"  # only places in the row's country count
    assert lookup("", "AU").status == "unknown"
    assert lookup("Sydney", "XX").status == "unknown"


def test_name_key_ignores_case_accents_and_punctuation():
    assert name_key("Hai’an") == name_key("hai'an") == name_key("Hai an") == "haian"
    assert name_key("São Paulo") == "saopaulo"
    assert name_key("Łódź") == "lodz"
    assert name_key("Straße") == "strasse"


def _tiny(tmp_path, compress=None):
    rows = [
        "# a test gazetteer",
        "geonameid\tname\tcountry\tadmin1\tpopulation\tlatitude\tlongitude\talternate_names",
        "1\tSpringfield\tUS\tIL\t114000\t39.8\t-89.644\t",
        "2\tSpringfield\tUS\tMA\t155000\t42.101\t-72.59\tSpringfield City",
        "3\tShelbyville\tUS\tIL\t4500\t39.406\t-88.79\t",
        "4\tShelbyville\tUS\tTN\t22000\t35.483\t-86.46\t",
        "5\tBigtown\tZZ\t01\t1000000\t1.0\t1.0\tBig Town|Grand-Ville",
        "6\tBigtown\tZZ\t02\t99999\t2.0\t2.0\t",
    ]
    text = "\n".join(rows) + "\n"
    path = tmp_path / "places.tsv"
    if compress == "gz":
        path = tmp_path / "places.tsv.gz"
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    (tmp_path / "gazetteer-admin1.tsv").write_text("country\tadmin1\tname\nUS\tIL\tIllinois\nUS\tMA\tMassachusetts\n")
    return path


@pytest.mark.parametrize("compress", [None, "gz"])
def test_a_gazetteer_file_of_our_own(tmp_path, compress):
    gazetteer = Gazetteer.load(_tiny(tmp_path, compress))
    assert len(gazetteer) == 6
    springfield = gazetteer.lookup("Springfield", "US")
    assert springfield.status == "ambiguous"
    assert [p.admin1_name for p in springfield.candidates] == ["Massachusetts", "Illinois"]
    assert gazetteer.lookup("springfield", "us", region="Illinois").place.geonameid == 1
    assert gazetteer.lookup("Springfield City", "US").place.geonameid == 2
    assert gazetteer.lookup("grand ville", "ZZ").place.geonameid == 5  # an alternate name
    # 1,000,000 against 99,999 people: still two places, so ambiguous; the division code decides
    big = gazetteer.lookup("Bigtown", "ZZ")
    assert big.status == "ambiguous" and [p.geonameid for p in big.candidates] == [5, 6]
    assert big.region_choices() == ["01", "02"]  # no division names: the codes
    assert gazetteer.lookup("Bigtown", "ZZ", region="02").place.geonameid == 6
    # 22,000 against 4,500: ambiguous, and lookups go through the same rule
    assert lookup("Shelbyville", "US", gazetteer=gazetteer).status == "ambiguous"


def test_from_places_and_a_broken_file(tmp_path):
    g = Gazetteer.from_places([
        {"geonameid": 1, "name": "Alpha", "country": "AA", "population": 10, "latitude": 1, "longitude": 2},
        Place(2, "Alpha", "AA", "", None, 0, 3.0, 4.0),
    ])
    alpha = g.lookup("alpha", "AA")  # 10 people against 0: two places all the same
    assert alpha.status == "ambiguous" and [p.geonameid for p in alpha.candidates] == [1, 2]
    assert alpha.region_choices() == []  # no division tells them apart: only coordinates can
    bad = tmp_path / "bad.tsv"
    bad.write_text("geonameid\tname\n1\tOnly\tAA\tx\tnot-a-number\t1\t2\t\n", encoding="utf-8")
    with pytest.raises(MapkitError, match="bad.tsv"):
        Gazetteer.load(bad).lookup("Only", "AA")
    broken = tmp_path / "broken.tsv.xz"
    broken.write_bytes(b"not xz")
    with pytest.raises(MapkitError, match="rebuild"):
        Gazetteer.load(broken)
