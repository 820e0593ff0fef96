"""The benchmark's synthetic data is valid data: the harness measures what a real build does."""

from __future__ import annotations

import sys
from pathlib import Path

import mapkit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import datagen  # noqa: E402


def test_synthetic_data_passes_validation(tmp_path):
    path = datagen.ensure_dataset(tmp_path, 3000)
    datagen.write_support_files(tmp_path)
    report = mapkit.validate(path)
    assert report.ok, "\n".join(map(str, report.errors[:10]))
    assert report.sites == 3000 and report.sources >= 2 * 3000 and report.events >= 2 * 3000


def test_synthetic_data_is_deterministic(tmp_path):
    one = datagen.ensure_dataset(tmp_path / "a", 200)
    two = datagen.ensure_dataset(tmp_path / "b", 200)
    assert one.read_bytes() == two.read_bytes()
