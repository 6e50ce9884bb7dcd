"""The results store: `OUTDIR/triage.sqlite`, one row per event, keyed by its content hashes.

Only the process that runs the batch writes it (workers send their rows back), one committed
transaction per event, so an interrupted run keeps every event it finished and the next run
resumes from there. WAL mode lets a notebook read the store while a batch writes to it. A row
is reused when the event's files are unchanged and it was made by the same sipdiag version
with the same `--redact` setting.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3

COLUMNS: list[tuple[str, str]] = [
    ("event_id", "TEXT PRIMARY KEY"),
    ("event", "TEXT"),
    ("files", "TEXT"),
    ("file_count", "INTEGER"),
    ("file_hashes", "TEXT"),
    ("verdict_slug", "TEXT"),
    ("verdict_code", "TEXT"),
    ("verdict_severity", "TEXT"),
    ("verdict_title", "TEXT"),
    ("finding_codes", "TEXT"),
    ("errors", "INTEGER"),
    ("warnings", "INTEGER"),
    ("flows", "INTEGER"),
    ("flows_ok", "INTEGER"),
    ("flows_failed", "INTEGER"),
    ("flow_outcomes", "TEXT"),
    ("sip_messages", "INTEGER"),
    ("first_time", "REAL"),
    ("last_time", "REAL"),
    ("span_seconds", "REAL"),
    ("hosts", "TEXT"),
    ("aors", "TEXT"),
    ("user_agents", "TEXT"),
    ("skipped", "TEXT"),
    ("error", "TEXT"),
    ("analysis_seconds", "REAL"),
    ("cpu_seconds", "REAL"),
    ("peak_rss_mib", "REAL"),
    ("report_html", "TEXT"),
    ("report_json", "TEXT"),
    ("redacted", "INTEGER"),
    ("sipdiag_version", "TEXT"),
    ("analysed_at", "TEXT"),
]
NAMES = [name for name, _ in COLUMNS]


class TriageStore:
    """The SQLite file of one output folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
        self.db.execute(f"CREATE TABLE IF NOT EXISTS events ({cols})")
        have = {r["name"] for r in self.db.execute("PRAGMA table_info(events)")}
        for name, kind in COLUMNS:  # a store from an older sipdiag gains the new columns
            if name not in have:
                self.db.execute(f"ALTER TABLE events ADD COLUMN {name} {kind.replace(' PRIMARY KEY', '')}")
        self.db.commit()

    def get(self, event_id: str) -> dict | None:
        row = self.db.execute("SELECT * FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return dict(row) if row is not None else None

    def is_current(self, event_id: str, version: str, redacted: bool, retry_errors: bool = False) -> bool:
        """Whether the stored row for `event_id` can be reused as it is."""
        row = self.get(event_id)
        if row is None or row["sipdiag_version"] != version or bool(row["redacted"]) != bool(redacted):
            return False
        return not (retry_errors and row["error"])

    def put(self, row: dict) -> None:
        """Insert or replace one event's row, committed at once."""
        row = {n: row.get(n) for n in NAMES}
        row["analysed_at"] = row["analysed_at"] or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        marks = ", ".join("?" for _ in NAMES)
        self.db.execute(f"INSERT OR REPLACE INTO events ({', '.join(NAMES)}) VALUES ({marks})",
                        [row[n] for n in NAMES])
        self.db.commit()

    def rows(self, event_ids: list[str] | None = None) -> list[dict]:
        """The rows of `event_ids` in that order (all rows, oldest first, when None)."""
        if event_ids is None:
            return [dict(r) for r in self.db.execute("SELECT * FROM events ORDER BY rowid")]
        out = []
        for eid in event_ids:
            row = self.get(eid)
            if row is not None:
                out.append(row)
        return out

    def close(self) -> None:
        self.db.close()
