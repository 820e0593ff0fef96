"""The coverage table in geodata/README.md matches the data (scripts/coverage.py --check)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "coverage.py"


@pytest.fixture(scope="module")
def coverage():
    spec = importlib.util.spec_from_file_location("coverage_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_matches_data():
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\nrun: python scripts/coverage.py"


def test_check_fails_on_a_stale_table(coverage, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{coverage.START}\nold table\n{coverage.END}\n", encoding="utf-8")
    assert coverage.main(["--check", "--readme", str(readme)]) == 1
    assert coverage.main(["--readme", str(readme)]) == 0
    assert coverage.main(["--check", "--readme", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8").startswith("# x\n\n")


def test_every_country_in_the_data_has_a_reported_count(coverage):
    countries = {p["country"] for p in coverage.load_sites()}
    counts = coverage.load_counts()
    assert sorted(countries - set(counts)) == []
    for code, row in counts.items():
        assert row["sd"] is None or row["sd_url"], code
        assert row["gov"] is None or row["gov_url"], code


def test_totals_add_up(coverage):
    sites = coverage.load_sites()
    block = coverage.render(sites, coverage.load_counts())
    total = next(line for line in block.splitlines() if line.startswith("| **Total"))
    assert f"| **{len(sites)}** |" in total
    rows = [line for line in block.splitlines() if line.startswith("| ") and "(" in line.split("|")[1]
            and not line.startswith("| **Total")]
    assert sum(int(r.split("|")[2]) for r in rows) == len(sites)


def test_count_parsing(coverage):
    assert coverage.parse_count("3") == (3, False)
    assert coverage.parse_count("1+") == (1, True)
    assert coverage.parse_count(" ") is None
    assert coverage.show_count((1, True)) == "≥1"
