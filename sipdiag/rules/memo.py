"""What several rules compute from one analysis: worked out once, kept as long as the analysis lives.

Two rules that need the same pass over the messages (SD303 and SD304 both judge the NAT view of
every request a UA originated) call `shared(analysis, compute)`: the first call runs
`compute(analysis)`, later calls for the same analysis, from any rule, get the same object back.
The memo holds the analysis weakly, so it never keeps one alive, and it remembers which index the
result was computed over: an analysis whose index was rebuilt (a test that changes it) is computed
afresh. A result is shared between rules, so it is read, never changed.
"""

from __future__ import annotations

import weakref
from typing import Callable, TypeVar

from ..flow.model import Analysis

T = TypeVar("T")

_RESULTS: "weakref.WeakKeyDictionary[Analysis, tuple[object, dict]]" = weakref.WeakKeyDictionary()
"""analysis → (its index when the results were computed, compute function → result)."""


def shared(analysis: Analysis, compute: Callable[[Analysis], T]) -> T:
    """`compute(analysis)`, computed once per analysis (and index) and shared by every caller."""
    entry = _RESULTS.get(analysis)
    if entry is None or entry[0] is not analysis.index:
        entry = (analysis.index, {})
        _RESULTS[analysis] = entry
    results = entry[1]
    if compute not in results:
        results[compute] = compute(analysis)
    return results[compute]
