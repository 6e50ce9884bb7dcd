#!/usr/bin/env python3
"""How the HTML report copes with a busy capture: build time, size, and what a browser makes of it.

    python tests/benchmark/bench_report.py                  # 10,000 messages
    python tests/benchmark/bench_report.py --messages 2000 --messages 10000 --messages 30000

For each size it writes a busy PBX capture (tests/busy_capture.py), then measures

* sipdiag: read + flows, rules, render (seconds), the HTML size;
* headless Chromium (Debian's `chromium` + `chromium-driver`, through Selenium): time to
  DOMContentLoaded and load, the DOM size, and scrolling: the page is scrolled from top to
  bottom one step per animation frame (like a fast mouse wheel) while the frame intervals are
  recorded; the table gives their median, 95th percentile and maximum, and how many frames took
  longer than 50 ms (visible stutter);
* the flow filter: milliseconds from typing into the filter box to the table being updated.

It asserts nothing; the results table is what to look at (and to record in the README of
this folder). Like every measurement on a shared machine, compare sizes within one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from busy_capture import write_busy_capture  # noqa: E402

from sipdiag.analysis import analyze_paths  # noqa: E402
from sipdiag.report.html import render_html  # noqa: E402
from sipdiag.rules import run_rules  # noqa: E402

SCROLL_JS = """
const done = arguments[arguments.length - 1];
const step = Math.max(200, Math.round(innerHeight * 0.8));
const frames = [];
let last = performance.now();
window.scrollTo(0, 0);
function tick(now) {
  frames.push(now - last); last = now;
  const before = scrollY;
  window.scrollBy(0, step);
  if (scrollY === before || frames.length > 5000) { done(frames.slice(1)); return; }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
"""

FILTER_JS = """
const done = arguments[arguments.length - 1];
const box = document.getElementById('flow-filter');
const t0 = performance.now();
box.value = arguments[0];
box.dispatchEvent(new Event('input'));
requestAnimationFrame(() => done([performance.now() - t0, document.getElementById('flow-count').textContent]));
"""


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_script_timeout(300)
    driver.set_page_load_timeout(300)
    return driver


def measure(size: int, workdir: Path, driver) -> dict:
    capture = workdir / f"busy-{size}.pcap"
    written = write_busy_capture(capture, size)
    t0 = time.perf_counter()
    analysis = analyze_paths([str(capture)])
    t1 = time.perf_counter()
    findings = run_rules(analysis)
    t2 = time.perf_counter()
    html = render_html(analysis, findings)
    t3 = time.perf_counter()
    page = workdir / f"busy-{size}.html"
    page.write_text(html, encoding="utf-8")
    row = {"messages": written, "flows": len(analysis.flows), "findings": len(findings),
           "read+flows s": t1 - t0, "rules s": t2 - t1, "render s": t3 - t2, "html MB": len(html.encode()) / 1e6}
    if driver is not None:
        driver.get(page.as_uri())
        nav = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return [n.domContentLoadedEventEnd, n.loadEventEnd, document.getElementsByTagName('*').length];")
        frames = driver.execute_async_script(SCROLL_JS)
        frames.sort()
        flt = driver.execute_async_script(FILTER_JS, "busy")
        row.update({
            "DOMContentLoaded ms": nav[0], "load ms": nav[1], "DOM elements": nav[2],
            "scroll frames": len(frames), "frame p50 ms": statistics.median(frames) if frames else 0,
            "frame p95 ms": frames[int(len(frames) * 0.95)] if frames else 0,
            "frame max ms": frames[-1] if frames else 0, "frames > 50 ms": sum(1 for f in frames if f > 50),
            "filter ms": flt[0],
        })
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, action="append", help="capture size(s); default 10000")
    ap.add_argument("--no-browser", action="store_true", help="only measure sipdiag")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the captures and pages here")
    args = ap.parse_args()
    sizes = args.messages or [10000]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sipdiag-bench-report-"))
    workdir.mkdir(parents=True, exist_ok=True)
    driver = None if args.no_browser else browser()
    try:
        rows = [measure(n, workdir, driver) for n in sizes]
    finally:
        if driver is not None:
            driver.quit()
    keys = list(rows[0])
    width = max(len(k) for k in keys)
    print(f"pages in {workdir}")
    for k in keys:
        cells = [f"{r[k]:,.2f}" if isinstance(r[k], float) else f"{r[k]:,}" for r in rows]
        print(f"{k:<{width}}  " + "  ".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    main()
