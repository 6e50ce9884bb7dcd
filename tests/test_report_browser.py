"""The HTML report in a real browser: Debian's headless Chromium driven by Selenium.

Playwright's own browser download is not reachable here, so the system `chromium` and
`chromium-driver` packages are used (CI installs them; without them these tests skip). The
tests look at what a reader gets: the page renders (a screenshot is taken and kept in the test's
temporary folder), links from the ladder open the message, the flow filter works, dark mode
and print work, a capture full of markup executes nothing, a ladder with many hosts clips no
lane and keeps its headers in view, and a phone-sized screen never scrolls the page sideways.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, SAMPLES

from sipdiag.analysis import analyze_paths
from sipdiag.report.html import render_html
from sipdiag.rules import run_rules

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")
LAB = SAMPLES / "lab"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def write_report(paths: list[Path], out: Path, redact: bool = False) -> Path:
    analysis = analyze_paths([str(p) for p in paths])
    out.write_text(render_html(analysis, run_rules(analysis), redact=redact), encoding="utf-8")
    return out


def full_screenshot(driver, path: Path) -> bytes:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 100, 12000))
    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    driver.set_window_size(1280, 1000)
    return png


def test_ast01_report_renders_and_navigates(browser, tmp_path):
    page = write_report([LAB / "ast-01-aor-404.pcap"], tmp_path / "ast01.html")
    browser.get(page.as_uri())
    h1 = browser.find_element("css selector", "h1")
    assert h1.is_displayed() and "404 Not Found" in h1.text
    png = full_screenshot(browser, tmp_path / "ast01.png")
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    arrows = browser.find_elements("css selector", "svg.ladder a.arrow")
    assert len(arrows) == 4
    box = arrows[3].find_element("css selector", "line, path").rect
    assert box["width"] > 100, "arrows are drawn across the columns"
    # following an arrow opens the full message in the appendix (JS), and it is visible
    href = arrows[3].get_dom_attribute("href")
    arrows[3].click()
    assert browser.current_url.endswith(href)
    target = browser.find_element("id", href[1:])
    assert target.get_attribute("open") is not None
    assert "404 Not Found" in target.find_element("css selector", "pre").text
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_flow_filter_and_sort(browser, tmp_path):
    from busy_capture import write_busy_capture

    capture = tmp_path / "busy.pcap"
    write_busy_capture(capture, 600)
    page = write_report([capture], tmp_path / "busy.html")
    browser.get(page.as_uri())
    # a long appendix comes in closed chunks; following a link into one opens it
    chunks = browser.find_elements("css selector", "#appendix details.chunk")
    assert len(chunks) >= 2 and not any(c.get_attribute("open") for c in chunks)
    browser.execute_script("location.hash = '#m-450'")
    target = browser.find_element("id", "m-450")
    assert target.is_displayed() and target.get_attribute("open") is not None
    rows = browser.find_elements("css selector", "#flow-table tbody tr")
    box = browser.find_element("id", "flow-filter")
    assert box.is_displayed()
    outcome = browser.find_element("css selector", '#flow-table tr[data-problem="1"] .outcome').text
    box.send_keys(outcome)
    shown = [r for r in rows if r.is_displayed()]
    assert 0 < len(shown) < len(rows)
    assert all(outcome in r.text for r in shown)
    box.clear()
    box.send_keys(" ")  # 'input' fires: everything back
    browser.find_element("id", "flow-problems").click()
    problems = [r for r in rows if r.is_displayed()]
    assert all(r.get_attribute("data-problem") == "1" for r in problems) and problems
    header = browser.find_elements("css selector", "#flow-table thead th")[5]  # Msgs
    header.click()
    counts = [int(r.find_elements("css selector", "td")[5].text)
              for r in browser.find_elements("css selector", "#flow-table tbody tr") if r.is_displayed()]
    assert counts == sorted(counts)


def test_dark_mode_and_print(browser, tmp_path):
    page = write_report([LAB / "lab-06a-call-rejected-486.pcap"], tmp_path / "r.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        browser.get(page.as_uri())
        bg = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3]]
        assert sum(rgb) < 3 * 80, f"dark background expected, got {bg}"
        full_screenshot(browser, tmp_path / "dark.png")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})["data"])
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_markup_in_a_capture_executes_nothing(browser, tmp_path):
    from test_report_html import hostile_capture

    page = write_report([hostile_capture(tmp_path)], tmp_path / "hostile.html")
    browser.get(page.as_uri())
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    # open everything and hover over everything: still nothing runs
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    for el in browser.find_elements("css selector", "pre, summary, td, h1")[:200]:
        browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))", el)
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert browser.execute_script("return document.querySelectorAll('script').length") == 1
    assert "<script>window.__pwned=8</script>" in browser.find_element("tag name", "body").text
    full_screenshot(browser, tmp_path / "hostile.png")


# ------------------------------------------------------------------ ladders and narrow screens

LADDER_GEOMETRY = """
const out = [];
for (const wrap of document.querySelectorAll('.ladder-wrap')) {
  wrap.scrollLeft = 0; wrap.scrollTop = 0;
  const o = wrap.querySelector('.ladder-inner').getBoundingClientRect();
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left - o.left, right: r.right - o.left, top: r.top - o.top, bottom: r.bottom - o.top,
            width: r.width, height: r.height}; };
  const gutter = box(wrap.querySelector('svg.ladder-corner'));
  const band = box(wrap.querySelector('svg.ladder-lanes'));
  out.push({
    scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth, gutter: gutter.right, band: band.bottom,
    lanes: [...wrap.querySelectorAll('svg.ladder-lanes g.lane')].map(g => Object.assign(box(g.querySelector('rect')),
            {text: g.textContent.trim()})),
    lifelines: [...wrap.querySelectorAll('svg.ladder line.life')].map(l => box(l)),
    arrows: [...wrap.querySelectorAll('svg.ladder a.arrow')].map(a => ({
      line: box(a.querySelector('line.ln, path.ln')), head: box(a.querySelector('polygon.hd')),
      label: Object.assign(box(a.querySelector('text.lbl')), {text: a.querySelector('text.lbl').textContent})})),
  });
}
return out;
"""

STICKY = """
const wrap = document.querySelectorAll('.ladder-wrap')[arguments[0]];
wrap.scrollLeft = wrap.scrollWidth; wrap.scrollTop = wrap.scrollHeight;
const w = wrap.getBoundingClientRect();
const top = wrap.querySelector('.ladder-top').getBoundingClientRect();
const gutter = wrap.querySelector('svg.ladder-gutter').getBoundingClientRect();
const lanes = [...wrap.querySelectorAll('svg.ladder-lanes rect.colbox')].map(r => {
  const b = r.getBoundingClientRect(); return b.left + b.width / 2; });
const lives = [...wrap.querySelectorAll('svg.ladder line.life')].map(l => l.getBoundingClientRect().left);
const shown = wrap.scrollLeft > 0 || wrap.scrollWidth <= wrap.clientWidth;
return {topOffset: top.top - w.top, gutterOffset: gutter.left - w.left, lanes, lives, shown,
        scrolledDown: wrap.scrollTop > 0 || wrap.scrollHeight <= wrap.clientHeight};
"""


def _many_host_captures(tmp_path) -> list[Path]:
    """A forked call through an SBC and a PBX (7 hosts, one ladder; 9 hosts, the per-flow ladder)
    and, when the corpus is there, a real 6-host capture (T.38 re-INVITE between two gateways)."""
    from forking_capture import write_forking_capture

    paths = []
    for phones in (4, 6):
        path = tmp_path / f"fork-{phones}.pcap"
        write_forking_capture(path, phones)
        paths.append(path)
    fax = CORPUS / "public" / "fax_t38_reinvite_488_options.pcap"
    if fax.exists():
        paths.append(fax)
    return paths


def test_ladder_with_many_hosts_clips_no_lane_and_keeps_its_headers_in_view(browser, tmp_path):
    for capture in _many_host_captures(tmp_path):
        page = write_report([capture], tmp_path / f"{capture.stem}.html")
        browser.get(page.as_uri())
        ladders = browser.execute_script(LADDER_GEOMETRY)
        assert ladders, capture.name
        biggest = max(len(lad["lanes"]) for lad in ladders)
        assert biggest >= 5, f"{capture.name}: a ladder with 5+ lanes"
        for n, lad in enumerate(ladders):
            width, gutter, band = lad["scrollWidth"], lad["gutter"], lad["band"]
            assert len(lad["lanes"]) == len(lad["lifelines"])
            for lane, life in zip(lad["lanes"], lad["lifelines"]):
                # inside the scrollable width, right of the time/frame gutter, over its lifeline
                assert gutter <= lane["left"] and lane["right"] <= width, (capture.name, lane)
                assert lane["text"] and lane["height"] > 40, (capture.name, lane)
                assert abs((lane["left"] + lane["right"]) / 2 - life["left"]) < 1.5, (capture.name, lane["text"])
            for a in lad["arrows"]:
                for part in (a["line"], a["head"], a["label"]):
                    assert gutter - 0.5 <= part["left"] and part["right"] <= width + 0.5, (capture.name, a)
                    assert part["top"] >= band - 0.5, f"{capture.name}: under the lane headers: {a}"
                label = a["label"]
                assert label["text"].strip() and label["width"] > 0 and label["height"] > 0, (capture.name, a)
            # scrolled to the far right and bottom: the headers stay on top, the gutter on the
            # left, and each lane header still sits over its lifeline
            sticky = browser.execute_script(STICKY, n)
            assert sticky["shown"] and sticky["scrolledDown"]
            assert abs(sticky["topOffset"] - 1) <= 1.5, sticky
            assert abs(sticky["gutterOffset"] - 1) <= 1.5, sticky
            for x_lane, x_life in zip(sticky["lanes"], sticky["lives"]):
                assert abs(x_lane - x_life) < 1.5, sticky
        full_screenshot(browser, tmp_path / f"{capture.stem}.png")


def test_narrow_screen_has_no_page_level_horizontal_scroll(browser, tmp_path):
    """At 390 px (a phone) nothing but the ladders scrolls sideways: tables turn into cards, long
    names wrap, and a ladder scrolls inside its own box."""
    pages = [write_report([p], tmp_path / f"{p.name}.html") for p in sorted(LAB.glob("*.pcap"))]
    pages += [write_report([p], tmp_path / f"{p.name}.html") for p in _many_host_captures(tmp_path)]
    wss = CORPUS / "public" / "asterisk_pjsip_logger_wss_webrtc_invite_401_dtls_cert_error.log"
    if wss.exists():  # a headline with a 60-character file path in it
        pages.append(write_report([wss], tmp_path / "wss.html"))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False})
    try:
        for page in pages:
            browser.get(page.as_uri())
            browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
            sizes = browser.execute_script(
                "return [document.documentElement.scrollWidth, innerWidth,"
                " [...document.querySelectorAll('.ladder-wrap')].map(w => w.getBoundingClientRect().right)]")
            scroll_width, inner, ladder_rights = sizes
            assert inner == 390
            assert scroll_width <= inner, f"{page.name}: the page scrolls sideways ({scroll_width} px)"
            assert all(r <= inner for r in ladder_rights), page.name
            # the host table reads as cards: no header row, a label per value
            row = browser.find_elements("css selector", "table.hosts tbody tr")
            if row:
                assert not browser.find_element("css selector", "table.hosts thead").is_displayed()
                label = browser.execute_script(
                    "return getComputedStyle(arguments[0], '::before').content",
                    row[0].find_element("css selector", "td"))
                assert label.strip('"') == "Device"
        full_screenshot(browser, tmp_path / "narrow.png")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
