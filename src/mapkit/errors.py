"""The exception hierarchy: every error mapkit raises on purpose is a MapkitError."""

from __future__ import annotations


class MapkitError(Exception):
    """Base of every error mapkit raises on purpose; the CLI prints it as one line."""


class DataFileError(MapkitError):
    """A data file cannot be read: missing, not JSON, or not a GeoJSON FeatureCollection."""


class ValidationError(MapkitError):
    """Data failed validation; ``report`` holds every problem found."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


class SheetError(MapkitError):
    """A spreadsheet row (CSV/XLSX) cannot be turned into a site."""


class ImportFailed(MapkitError):
    """An import was rejected; nothing was written. ``problems`` lists why."""

    def __init__(self, message: str, problems=None):
        super().__init__(message)
        self.problems = list(problems or [])


class ExportError(MapkitError):
    """An export could not be written; any existing file at the path is untouched."""


class FilterError(MapkitError):
    """A filter value is not one the data model knows (e.g. an unknown status)."""


class RenderError(MapkitError):
    """The map could not be built (e.g. a missing asset or a bad tile option)."""
