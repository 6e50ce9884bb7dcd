"""Store rows → a pandas DataFrame, `triage.csv` and `triage.parquet`, and the archive's counts.

List-like columns (files, finding_codes, hosts, aors, user_agents, flow_outcomes) are plain
strings, `; `-separated (finding codes: space-separated), the same in SQLite, CSV and Parquet:
`df[df.hosts.str.contains("203.0.113.5")]` works on all three.
"""

from __future__ import annotations

import os
from collections import Counter

import pandas as pd

from .store import NAMES

SEVERITY_ORDER = {"error": 0, "warning": 1, "ok": 2, None: 3}


def to_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as a DataFrame with the store's columns, in the store's order."""
    frame = pd.DataFrame.from_records(rows, columns=NAMES)
    for name in ("file_count", "errors", "warnings", "flows", "flows_ok", "flows_failed", "sip_messages",
                 "redacted"):
        frame[name] = frame[name].fillna(0).astype("int64")
    for name in ("first_time", "last_time", "span_seconds", "analysis_seconds", "cpu_seconds", "peak_rss_mib"):
        frame[name] = frame[name].astype("float64")
    return frame


def write_tables(frame: pd.DataFrame, outdir: str) -> tuple[str, str]:
    """Write `triage.csv` and `triage.parquet` in `outdir`; return their paths."""
    csv_path = os.path.join(outdir, "triage.csv")
    parquet_path = os.path.join(outdir, "triage.parquet")
    frame.to_csv(csv_path, index=False)
    frame.to_parquet(parquet_path, index=False, engine="pyarrow")
    return csv_path, parquet_path


def _split(value) -> list[str]:
    return [p for p in (value or "").split("; ") if p]


def cause_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Events per verdict (root cause), most common first; unanalysable events as `error`."""
    keyed = frame.assign(
        cause=frame["verdict_slug"].fillna("(not analysed)"),
        code=frame["verdict_code"].fillna(""),
        severity=frame["verdict_severity"].fillna("failed"),
    )
    counts = keyed.groupby(["cause", "code", "severity"], dropna=False).size().reset_index(name="events")
    counts["rank"] = counts["severity"].map(lambda s: SEVERITY_ORDER.get(s, 3))
    return counts.sort_values(["rank", "events", "cause"], ascending=[True, False, True]).drop(columns="rank")


def top_offenders(frame: pd.DataFrame, column: str, limit: int = 10) -> list[tuple[str, int]]:
    """The values of a list column most often seen in events with an error or warning verdict."""
    problems = frame[frame["verdict_severity"].isin(["error", "warning"])]
    counter: Counter = Counter()
    for value in problems[column]:
        counter.update(set(_split(value)))
    return counter.most_common(limit)
