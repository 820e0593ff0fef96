"""Small JSON helpers every module can import (no pandas, no geopandas): values kept as JSON
text, the compact encoder, and lone UTF-16 surrogates, which JSON escapes allow but UTF-8 cannot
store."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

#: Compact JSON, as the page embeds it (JSONText values are written into it verbatim).
COMPACT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False)

#: One half of a UTF-16 surrogate pair on its own (decoded JSON can hold one; text cannot).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONText(str):
    """A property value kept as its compact JSON text rather than as Python lists and dicts.

    Made by ``mapkit.load(path, nested_as_text=True)``: a page only passes events and sources
    through, and their text takes a fraction of the memory of the objects. Turned back into
    objects wherever a frame becomes features (``mapkit.io.to_feature_collection``).
    """

    __slots__ = ()

    def value(self):
        """The decoded value."""
        return json.loads(self)


def is_nested(value) -> bool:
    """True for a list, tuple, set, mapping or :class:`JSONText`: a value that is not one value."""
    return isinstance(value, (list, tuple, set, frozenset, Mapping, JSONText)) or (
        getattr(value, "ndim", 0) > 0  # a numpy array
    )


def lone_surrogate_path(value, path: str = "") -> str | None:
    """The path (``sources[1].title``) of the first string or key in ``value`` that holds a lone
    surrogate, ``path`` itself for a string that does, or None."""
    if isinstance(value, str):
        return path if LONE_SURROGATE.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if LONE_SURROGATE.search(str(key)):
                return inner
            found = lone_surrogate_path(item, inner)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            found = lone_surrogate_path(item, f"{path}[{k}]")
            if found is not None:
                return found
    return None


def escape_lone_surrogates(text: str) -> str:
    """``text`` (JSON) with each lone surrogate written as its ``\\uXXXX`` escape, which means the
    same inside a JSON string and can be stored as UTF-8."""
    if not LONE_SURROGATE.search(text):
        return text
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
