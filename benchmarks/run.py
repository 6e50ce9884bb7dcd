"""One command to benchmark sipdiag against tshark and sngrep on the same generated PBX captures.

    python benchmarks/run.py --sizes 10k,100k,1M --repeat 3
    python benchmarks/run.py --sizes 5M --repeat 1 --timeout 900     # once, for the growth table
    python benchmarks/run.py --report /tmp/sipdiag-bench/results-*.json  # re-print saved runs together
    python benchmarks/run.py --sizes 100k --tools sipdiag --profile  # where sipdiag's time goes

How this works: for each size the capture is generated (or found in the work directory,
`workload.py`) and checked once with tshark (`verify.py`: no malformed packets, no bad
checksums, SIP counts equal to the generator's ground truth; a mismatch is printed loudly,
not raised). The file is read once to warm the page cache. Then, repetition after
repetition, each tool runs once as a whole process (interleaved, so a burst of load on this
shared machine hits every tool alike), under GNU time for its peak RSS (`measure.py`):

- sipdiag: `sipdiag analyze FILE --format json -o WORKDIR/analyze-LABEL.json`, the console
  script next to `sys.executable` (no shim in the timing). Exit status 1 means "found
  errors", a normal outcome. The JSON is written to the work directory rather than
  /dev/null so its `summary.sip_messages` can be checked against the ground truth.
- tshark: `tshark -n -q -r FILE -z sip,stat`, the command issue 12 quotes; its table's
  message count is checked against the ground truth too.
- sngrep: `sngrep -N -l 1000000000 -I FILE`: no interface (-N), read the file and exit, with
  the dialog limit (default 20,000) raised so that it keeps every dialog like the others do.
  Its last "Dialog count" is kept as a note.

The tables (`tables.py`) and a header with the date, machine and versions (`machine.py`) are
printed as Markdown, ready to paste into the README, and the records are written to
`WORKDIR/results-<time>.json`; `--report` rebuilds the tables from one or more such files,
which is how a 5M run made separately joins the growth table.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import shutil
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import machine, measure, tables, verify  # noqa: E402
from benchmarks.workload import DEFAULT_SEED, Workload, ensure_capture, parse_size  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = Path("/tmp/sipdiag-bench")
ALL_TOOLS = ("sipdiag", "tshark", "sngrep")
SNGREP_DIALOG_LIMIT = "1000000000"


def sipdiag_command() -> list[str]:
    """The console script next to this interpreter, else the one on PATH, else `python -m`."""
    script = Path(sys.executable).parent / "sipdiag"
    if script.exists():
        return [str(script)]
    found = shutil.which("sipdiag")
    return [found] if found else [sys.executable, "-m", "sipdiag"]


def tool_command(tool: str, path: Path, workdir: Path, label: str) -> list[str] | None:
    """The command line timed for `tool` on `path`; None when the tool is not installed."""
    if tool == "sipdiag":
        return sipdiag_command() + ["analyze", str(path), "--format", "json", "-o", str(workdir / f"analyze-{label}.json")]
    exe = shutil.which(tool)
    if exe is None:
        return None
    if tool == "tshark":
        return [exe, "-n", "-q", "-r", str(path), "-z", "sip,stat"]
    if tool == "sngrep":
        return [exe, "-N", "-l", SNGREP_DIALOG_LIMIT, "-I", str(path)]
    raise ValueError(tool)


def loud(message: str) -> None:
    """A warning nobody can miss in the log (the run goes on)."""
    bar = "!" * 78
    print(f"\n{bar}\n!! {message}\n{bar}\n", file=sys.stderr, flush=True)


def messages_seen(tool: str, m: measure.Measurement, workdir: Path, label: str) -> tuple[int | None, str]:
    """How many SIP messages (or, for sngrep, dialogs) the tool reported, and a note."""
    if tool == "tshark":
        stat = verify.parse_sip_stat(m.stdout)
        return (stat.messages, "") if stat else (None, "no sip,stat table")
    if tool == "sipdiag":
        try:
            doc = json.loads((workdir / f"analyze-{label}.json").read_text())
            return doc["summary"]["sip_messages"], f"{len(doc.get('findings', [])):,} findings"
        except (OSError, ValueError, KeyError) as exc:
            return None, f"no JSON report ({exc})"
    if tool == "sngrep":
        counts = [part.rsplit(":", 1)[1].strip() for part in m.stdout.replace("\r", "\n").split("\n")
                  if part.startswith("Dialog count:")]
        return None, f"{int(counts[-1]):,} dialogs" if counts and counts[-1].isdigit() else ""
    return None, ""


def warm_page_cache(path: Path) -> None:
    """Read the file once, so that no tool pays for the first read from disk."""
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def check_capture(path: Path, truth: dict) -> dict:
    """Verify the capture with tshark (once; cached), warn loudly on trouble, return a summary."""
    if shutil.which("tshark") is None:
        print("  (tshark is not installed: the capture is not verified)", file=sys.stderr)
        return {"verified": False}
    print(f"  verifying {path.name} with tshark (cached after the first time) ...", file=sys.stderr, flush=True)
    v = verify.verify(path, truth)
    if v.mismatches or v.errors:
        loud(f"{path.name}: tshark disagrees with the generator's ground truth or finds errors:\n   "
             + "\n   ".join(v.mismatches + v.errors))
    elif v.warnings:
        loud(f"{path.name}: tshark expert warnings:\n   " + "\n   ".join(v.warnings))
    else:
        print(f"  tshark: {v.tshark_messages:,} SIP messages, as the ground truth says; no malformed packets, "
              "no bad checksums, no expert warnings", file=sys.stderr)
    return {"verified": v.ok, "tshark_messages": v.tshark_messages, "problems": v.mismatches + v.errors + v.warnings}


def bench_capture(path: Path, truth: dict, tools: list[str], repeat: int, timeout: float, workdir: Path) -> list[dict]:
    """Time every tool `repeat` times on one capture, interleaved; one record per tool."""
    label = truth["label"]
    commands = {}
    for tool in tools:
        cmd = tool_command(tool, path, workdir, label)
        if cmd is None:
            print(f"  ({tool} is not installed: skipped)", file=sys.stderr)
        else:
            commands[tool] = cmd
    runs: dict[str, list[measure.Measurement]] = {t: [] for t in commands}
    warm_page_cache(path)
    for rep in range(repeat):
        for tool, cmd in commands.items():
            if runs[tool] and runs[tool][-1].timed_out:
                continue  # once it timed out, do not wait for it again
            m = measure.run(cmd, timeout)
            runs[tool].append(m)
            status = "timed out" if m.timed_out else f"{m.seconds:.2f} s, {m.rss_mb or 0:.0f} MB, exit {m.returncode}"
            print(f"  [{label} {rep + 1}/{repeat}] {tool}: {status}", file=sys.stderr, flush=True)
    records = []
    for tool, ms in runs.items():
        ok_codes = (0, 1) if tool == "sipdiag" else (0,)
        done = [m for m in ms if not m.timed_out]
        failed = [m for m in done if m.returncode not in ok_codes]
        for m in failed[:1]:
            tail = " | ".join(m.stderr.strip().splitlines()[-3:])
            loud(f"{tool} exited with {m.returncode} on {path.name}: {tail}")
        seen, note = messages_seen(tool, done[-1], workdir, label) if done else (None, "")
        if seen is not None and seen != truth["sip_messages"]:
            loud(f"{tool} counted {seen:,} SIP messages in {path.name}; the generator wrote {truth['sip_messages']:,} "
                 f"(difference {seen - truth['sip_messages']:+,})")
        times = [m.seconds for m in done]
        records.append({
            "label": label, "file": path.name, "packets": truth["packets"], "bytes": truth["bytes"],
            "sip_messages": truth["sip_messages"], "tool": tool, "command": commands[tool],
            "runs": [{"seconds": round(m.seconds, 3), "rss_mb": m.rss_mb and round(m.rss_mb, 1),
                      "returncode": m.returncode} for m in ms],
            "median_s": statistics.median(times) if times else None,
            "min_s": min(times) if times else None, "max_s": max(times) if times else None,
            "peak_rss_mb": max((m.rss_mb for m in done if m.rss_mb is not None), default=None),
            "rss_mb_when_killed": max((m.rss_mb for m in ms if m.timed_out and m.rss_mb), default=None),
            "timed_out": any(m.timed_out for m in ms), "timeout_s": timeout,
            "failed": bool(failed), "messages_seen": seen, "note": note,
        })
    return records


def print_report(info_list: list[dict], records: list[dict], captures: dict[str, dict]) -> None:
    """Header, capture list, results table and cost-growth table, as Markdown on stdout."""
    out = ["", "## Results", ""]
    for info in info_list:
        out += [line + "  " for line in machine.header_lines(info)]
    out.append("")
    for label, c in captures.items():
        kinds = ", ".join(f"{k} {v:,}" for k, v in c["packets_by_kind"].items())
        tcp = c["packets_by_kind"].get("sip_tcp", 0)
        out.append(f"- `{c['file']}`: {c['packets']:,} packets, {c['bytes'] / 1e6:.0f} MB, {c['sip_messages']:,} SIP "
                   f"messages ({kinds}; {c['tcp_segments_with_several_messages']:,} of {tcp:,} TCP segments hold "
                   f"several messages, {c['tcp_segments_without_message_end']:,} only part of one)"
                   + ("" if c.get("verified", True) else " — **tshark check failed, see the run's log**"))
    out += ["", *tables.results_table(records)]
    growth = tables.growth_table(records)
    if growth:
        out += ["", "Cost growth (median time and peak RSS; in brackets the growth per 10× more packets: "
                    "10 = linear):", "", *growth]
    notes = [f"{r['label']} {r['tool']}: {r['note']}" for r in records if r.get("note")]
    if notes:
        out += ["", "Notes: " + "; ".join(notes) + "."]
    print("\n".join(out))


def profile_analyze(path: Path, top: int = 30) -> None:
    """cProfile of `sipdiag analyze FILE --format json` in this process: top functions two ways."""
    from sipdiag.cli import main as cli_main

    prof = cProfile.Profile()
    print(f"\ncProfile of `sipdiag analyze {path.name} --format json -o /dev/null` (in-process; "
          "the profiler inflates the times)")
    prof.enable()
    try:
        cli_main.main(["analyze", str(path), "--format", "json", "-o", os.devnull], prog_name="sipdiag",
                      standalone_mode=False)
    except SystemExit:
        pass
    finally:
        prof.disable()
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        text = buf.getvalue()
        print(f"\n--- top {top} by {key} ---\n" + text[text.find("   ncalls"):].rstrip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Captures and results go to the work directory, never into the repository.")
    ap.add_argument("--sizes", default="10k,100k,1M",
                    help="comma list of 10k, 100k, 1M, 5M (or any count), add -sip for the SIP-only variant, "
                         "e.g. 1M-sip (default 10k,100k,1M)")
    ap.add_argument("--growth", action="store_true", help="the sizes of the cost-growth table: 10k,100k,1M,5M")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool and file, interleaved (default 3)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma list of sipdiag, tshark, sngrep (default all)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"captures and results (default {DEFAULT_WORKDIR})")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds before a run is killed and reported as "
                                                                "timed out (default 1800)")
    ap.add_argument("--profile", action="store_true", help="after the timings, cProfile sipdiag analyze in-process "
                                                           "on the first size")
    ap.add_argument("--generate-only", action="store_true", help="write (or find) and verify the captures, time nothing")
    ap.add_argument("--report", nargs="+", type=Path, metavar="RESULTS_JSON",
                    help="print the tables of saved results files (merged, later files win) and exit")
    args = ap.parse_args(argv)

    if args.report:
        return report(args.report)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(ALL_TOOLS) - {"none"}
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    tools = [t for t in tools if t != "none"]
    sizes = "10k,100k,1M,5M" if args.growth else args.sizes
    workloads = []
    for label in (s.strip() for s in sizes.split(",") if s.strip()):
        packets, media = parse_size(label)
        workloads.append(Workload(packets, args.seed, media))
    info = machine.describe(sipdiag_command(), REPO)
    for line in machine.header_lines(info):
        print(line, file=sys.stderr)
    records, captures = [], {}
    for w in workloads:
        path, truth = ensure_capture(args.workdir, w)
        print(f"{w.label}: {path} — {truth['packets']:,} packets, {truth['sip_messages']:,} SIP messages",
              file=sys.stderr)
        captures[w.label] = {**truth, "file": path.name, **check_capture(path, truth)}
        if not args.generate_only and tools:
            records += bench_capture(path, truth, tools, max(1, args.repeat), args.timeout, args.workdir)
    if args.generate_only:
        return 0
    if records:
        write_and_print(args.workdir, argv, info, records, captures)
    if args.profile and workloads:
        profile_analyze(args.workdir / workloads[0].filename())
    return 0


def write_and_print(workdir: Path, argv: list[str] | None, info: dict, records: list[dict], captures: dict) -> None:
    """Save the run as `WORKDIR/results-<time>.json` and print its tables."""
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = workdir / f"results-{stamp}.json"
    results.write_text(json.dumps({"machine": info, "argv": sys.argv[1:] if argv is None else argv,
                                   "captures": captures, "records": records}, indent=2) + "\n")
    print_report([info], records, captures)
    print(f"\n(results: {results})")


def _size_order(label: str) -> tuple[int, bool]:
    """Sort by the size of the full capture, its SIP-only variant right after it."""
    packets, media = parse_size(label)
    return packets, not media


def report(files: list[Path]) -> int:
    """Merge saved results (a record per capture and tool; later files replace earlier ones) and print them."""
    infos, merged, captures = [], {}, {}
    for f in files:
        doc = json.loads(f.read_text())
        infos.append(doc["machine"])
        captures.update(doc["captures"])
        for r in doc["records"]:
            merged[(r["label"], r["tool"])] = r
    order = {t: i for i, t in enumerate(ALL_TOOLS)}
    records = sorted(merged.values(), key=lambda r: (_size_order(r["label"]), order.get(r["tool"], 9)))
    captures = dict(sorted(captures.items(), key=lambda kv: _size_order(kv[0])))
    print_report(infos, records, captures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
