"""JSON text for sipdiag's documents: orjson when it can, the standard library otherwise.

orjson writes a 15 MB analysis of a busy capture about ten times faster than `json.dumps`.
Both give valid JSON with the same structure; orjson writes non-ASCII characters as UTF-8
instead of \\u escapes. Where orjson refuses a value (an integer beyond 64 bits, a string with a
lone surrogate) the standard library writes the document instead, so output never fails.
"""

from __future__ import annotations

import json

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps a broken install working
    orjson = None


def dumps(document: object, indent: bool = False) -> str:
    """`document` as JSON text (two-space indented when `indent`)."""
    if orjson is not None:
        option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
        try:
            return orjson.dumps(document, option=option).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            pass
    return json.dumps(document, indent=2 if indent else None, ensure_ascii=False, default=str)
