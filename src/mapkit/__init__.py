"""mapkit: a sourced, self-contained map of reported overseas Chinese police sites.

The library behind the ``mapkit`` command: each command calls one function here.
Heavy modules (geopandas, folium) load on first use, so ``import mapkit`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

#: public name -> module that defines it
_API = {
    "load": "mapkit.io",
    "load_operators": "mapkit.io",
    "write_geojson": "mapkit.io",
    "to_feature_collection": "mapkit.io",
    "validate": "mapkit.validation",
    "ValidationReport": "mapkit.validation",
    "Problem": "mapkit.validation",
    "filter_frame": "mapkit.filters",
    "build_map": "mapkit.render",
    "save_map": "mapkit.render",
    "export": "mapkit.exports",
    "import_sites": "mapkit.importer",
    "fmt": "mapkit.canonical",
    "stats": "mapkit.summary",
    "list_sites": "mapkit.summary",
    "MapkitError": "mapkit.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'mapkit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
