"""The benchmark's Markdown tables, from result records (the dicts `run.py` writes to its JSON).

Two tables. The results table has one row per (capture, tool): median wall time over the
repetitions, min–max, how many times faster than tshark on the same file (tshark's median ÷
the tool's median: above 1 is faster than tshark, below 1 slower), SIP messages per second
(the capture's ground-truth SIP messages ÷ median time) and peak RSS (the highest of the
repetitions). The cost-growth table has one row per tool and metric, one column per size,
and beside each size after the first the growth from the previous size scaled to a 10× larger
input: (cost ratio) ^ (1 / log10(packet ratio)), so 10 means linear and 100 quadratic,
whatever the step between the sizes.
"""

from __future__ import annotations

import math

TOOL_NAMES = {
    "sipdiag": "`sipdiag analyze --format json`",
    "tshark": "`tshark -n -q -z sip,stat`",
    "sngrep": "`sngrep -N -l ∞ -I`",
}


def _num(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "?"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def _ratio(x: float) -> str:
    """Two decimals, three below 0.1 (0.016 says more than 0.02)."""
    return f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def _cell_time(r: dict) -> str:
    if r.get("timed_out"):
        return f"> {r['timeout_s']:,.0f} (timed out)"
    if r.get("failed"):
        return "failed"
    return _num(r["median_s"])


def _rss(r: dict) -> str:
    if r.get("peak_rss_mb") is None and r.get("rss_mb_when_killed"):
        return f"≥ {r['rss_mb_when_killed']:,.0f} (when killed)"
    return _num(r.get("peak_rss_mb"), 0)


def results_table(records: list[dict]) -> list[str]:
    """One row per capture and tool."""
    lines = ["| capture | packets | SIP msgs | tool | median s | min–max s | × faster than tshark | SIP msgs/s | peak RSS MB | runs |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    tshark = {r["label"]: r for r in records if r["tool"] == "tshark" and r.get("median_s")}
    for r in records:
        ok = r.get("median_s") is not None and not r.get("timed_out") and not r.get("failed")
        ref = tshark.get(r["label"])
        ratio = _ratio(ref["median_s"] / r["median_s"]) if ok and ref else "–"
        spread = f"{_num(r['min_s'])}–{_num(r['max_s'])}" if ok else "–"
        rate = f"{r['sip_messages'] / r['median_s']:,.0f}" if ok else "–"
        lines.append(f"| {r['label']} | {r['packets']:,} | {r['sip_messages']:,} | {TOOL_NAMES.get(r['tool'], r['tool'])} "
                     f"| {_cell_time(r)} | {spread} | {ratio} | {rate} | {_rss(r)} "
                     f"| {len(r.get('runs', []))} |")
    return lines


def _per_10x(prev: float, cur: float, prev_packets: int, cur_packets: int) -> float | None:
    if not prev or not cur or cur_packets <= prev_packets:
        return None
    return (cur / prev) ** (1 / math.log10(cur_packets / prev_packets))


def growth_table(records: list[dict]) -> list[str]:
    """Time and peak RSS per tool across the full-RTP sizes, with the growth per 10× input."""
    sized = [r for r in records if not r["label"].endswith("-sip")]
    labels = sorted({(r["packets"], r["label"]) for r in sized})
    if len(labels) < 2:
        return []
    head = "| tool | metric | " + " | ".join(label for _, label in labels) + " |"
    lines = [head, "|---|---|" + "---:|" * len(labels)]
    for tool in [t for t in TOOL_NAMES if any(r["tool"] == t for r in sized)]:
        by_label = {r["label"]: r for r in sized if r["tool"] == tool}
        for metric, key, unit in (("time", "median_s", "s"), ("peak RSS", "peak_rss_mb", "MB")):
            cells, prev = [], None
            for packets, label in labels:
                r = by_label.get(label)
                if r is None:
                    cells.append("–")
                    continue
                if r.get("timed_out") and key == "median_s":
                    cells.append(f"> {r['timeout_s']:,.0f} s (timed out)")
                    prev = None
                    continue
                value = r.get(key)
                if value is None and key == "peak_rss_mb" and r.get("rss_mb_when_killed"):
                    cells.append(f"≥ {r['rss_mb_when_killed']:,.0f} MB (when killed)")
                    prev = None
                    continue
                if value is None or r.get("failed"):
                    cells.append("?")
                    prev = None
                    continue
                text = f"{_num(value, 2 if unit == 's' else 0)} {unit}"
                if prev is not None:
                    g = _per_10x(prev[1], value, prev[0], packets)
                    text += f" (×{g:.1f})" if g is not None else ""
                cells.append(text)
                prev = (packets, value)
            lines.append(f"| {TOOL_NAMES[tool]} | {metric} | " + " | ".join(cells) + " |")
    return lines
