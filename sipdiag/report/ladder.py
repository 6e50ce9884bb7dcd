"""Ladder (sequence) diagram geometry: columns and arrows as numbers the SVG template only draws.

How this works: the caller gives the columns (one per host, left to right) and one
`LadderItem` per message (already labelled and classified). Columns are spaced so that the
longest label between neighbours fits, within bounds; labels that still do not fit are cut
with an ellipsis (the full text is the arrow's tooltip). Each message becomes one row: a
horizontal arrow from the sender's lifeline to the receiver's, the label above it, a detail
line under it, the time offset and frame number in the left gutter. A message between two
ports of one host is drawn as a loop. Past `max_arrows` rows the ladder stops and says so.

The drawing is cut into four parts that share these coordinates: the lane headers (the band
`0..HEADER_H` right of the gutter), the gutter (time and frame, `0..GUTTER_LEFT` below the
band), the corner above the gutter, and the body (lifelines and arrows). The template draws each
as its own SVG with a viewBox onto its part, so that a wide or long ladder scrolls inside its
box with the lane headers kept at the top and the gutter kept at the left. Every lane box lies
inside the lane band and every arrow and label inside the body, by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHAR_W = 7.0
"""Approximate advance of one character of the 12 px monospace label font."""
SMALL_CHAR_W = 6.0
HEADER_H = 62
ROW_H = 38
GUTTER_LEFT = 112
GUTTER_RIGHT_TAGS = 64
GUTTER_RIGHT = 24
MIN_SPACING = 150
"""Narrowest gap between two lifelines; wider where the lane headers or a label need it."""
MAX_SPACING = 340
HEAD = 7


@dataclass
class LadderColumnSpec:
    key: str
    title: str
    address: str
    note: str = ""
    nat: bool = False


@dataclass
class LadderItem:
    """One message as the ladder shows it."""

    seq: int
    src: str
    dst: str
    label: str
    detail: str
    cls: str
    """CSS class: req, prov, ok, redir, chal, err (and ' retr' for retransmissions)."""
    time: str
    frame: str
    tag: str
    title: str
    href: str


@dataclass
class LadderColumn:
    x: float
    box_x: float
    box_w: float
    title: str
    address: str
    note: str
    nat: bool


@dataclass
class Arrow:
    id: str
    href: str
    y: float
    x1: float
    x2: float
    label: str
    label_x: float
    label_y: float
    detail: str
    detail_y: float
    anchor: str
    head: str
    """SVG polygon points of the arrow head."""
    path: str
    """SVG path for self-loops; empty for straight arrows."""
    cls: str
    time: str
    frame: str
    tag: str
    title: str
    row_y: float
    text_y: float
    """Baseline of the gutter texts (time, frame, flow tag)."""


@dataclass
class Ladder:
    id: str
    title: str
    width: int
    height: int
    columns: list[LadderColumn]
    arrows: list[Arrow]
    lifeline_top: float
    lifeline_bottom: float
    total: int
    """Messages of the flow(s) this ladder is about; more than len(arrows) when capped."""
    notes: list[str] = field(default_factory=list)
    tags: bool = False
    open: bool = True
    row_h: int = ROW_H
    tag_x: float = 0.0
    gutter: int = GUTTER_LEFT
    """Width of the gutter (time, frame) left of the lanes."""
    header_h: int = HEADER_H
    """Height of the lane headers above the arrows."""
    body_w: int = 0
    """Width of the lanes part: `width - gutter`."""
    body_h: int = 0
    """Height of the arrows part: `height - header_h`."""
    gutter_pct: float = 0.0
    """The gutter's share of the width in percent (the four parts scale together in print)."""
    body_pct: float = 0.0


def _fit(text: str, chars: int) -> str:
    if chars < 4:
        return ""
    return text if len(text) <= chars else text[: chars - 1] + "…"


def build_ladder(ladder_id: str, title: str, columns: list[LadderColumnSpec], items: list[LadderItem],
                 max_arrows: int, show_tags: bool = False) -> Ladder:
    """Lay out a ladder; `items` in time order, at most `max_arrows` drawn."""
    total = len(items)
    drawn = items[:max_arrows]
    index = {c.key: i for i, c in enumerate(columns)}
    # each lane box wants its longest text; two neighbours share the gap between their lifelines
    natural = [max(120.0, min(300.0, max(len(c.title) * 7.4, len(c.address) * CHAR_W,
                                         len(c.note) * SMALL_CHAR_W) + 24)) for c in columns]
    spacing = [max(MIN_SPACING, (natural[i] + natural[i + 1]) / 2 + 12) for i in range(len(columns) - 1)]
    # then every label must fit over its arrow: the shortest arrows first, a longer one widens the
    # gaps it spans evenly (so a label crossing a lane still fits), never past MAX_SPACING
    spans = sorted({(min(index.get(it.src, 0), index.get(it.dst, 0)), max(index.get(it.src, 0), index.get(it.dst, 0)),
                     max(len(it.label) * CHAR_W, len(it.detail) * SMALL_CHAR_W) + 40) for it in drawn},
                   key=lambda t: (t[1] - t[0], -t[2], t[0]))
    for lo, hi, need in spans:
        if hi == lo:
            continue
        short = need - sum(spacing[lo:hi])
        if short > 0:
            for g in range(lo, hi):
                spacing[g] += short / (hi - lo)
    spacing = [min(MAX_SPACING, g) for g in spacing]
    # a gap is never narrower than its two half boxes and a margin (MAX_SPACING > 300 + 12)
    box_ws = natural
    # the first lane's box starts right of the gutter, the last one ends inside the drawing
    first_half = box_ws[0] / 2 if box_ws else 60
    last_half = box_ws[-1] / 2 if box_ws else 60
    xs = [GUTTER_LEFT + max(90.0, first_half + 8)]
    for s in spacing:
        xs.append(xs[-1] + s)
    right = GUTTER_RIGHT_TAGS if show_tags else GUTTER_RIGHT
    width = int(xs[-1] + max(110.0, last_half + 8) + right)

    cols = []
    for i, c in enumerate(columns):
        box_w = box_ws[i]
        chars = int((box_w - 16) / CHAR_W)
        cols.append(LadderColumn(
            x=xs[i], box_x=xs[i] - box_w / 2, box_w=box_w, title=_fit(c.title, int((box_w - 16) / 7.4)),
            address=_fit(c.address, chars), note=_fit(c.note, int((box_w - 16) / SMALL_CHAR_W)), nat=c.nat))

    arrows: list[Arrow] = []
    for n, it in enumerate(drawn):
        row_y = HEADER_H + 8 + n * ROW_H
        y = row_y + 22
        a, b = index.get(it.src, 0), index.get(it.dst, 0)
        x1, x2 = xs[a], xs[b]
        if a == b:
            loop_w = 36
            path = f"M{x1:.1f},{y - 8:.1f} h{loop_w} v12 h{-loop_w + HEAD}"
            head = f"{x1:.1f},{y + 4:.1f} {x1 + HEAD:.1f},{y:.1f} {x1 + HEAD:.1f},{y + 8:.1f}"
            label_x, anchor = x1 + loop_w + 6, "start"
            room = int((width - right - label_x) / CHAR_W)
            arrows.append(Arrow(
                id=f"a-{it.seq}", href=it.href, y=y, x1=x1, x2=x1, label=_fit(it.label, room), label_x=label_x,
                label_y=y - 4, detail=_fit(it.detail, int(room * CHAR_W / SMALL_CHAR_W)), detail_y=y + 10,
                anchor=anchor, head=head, path=path, cls=it.cls, time=it.time, frame=it.frame, tag=it.tag,
                title=it.title, row_y=row_y, text_y=y + 4))
            continue
        direction = 1 if x2 > x1 else -1
        tip = x2 - direction * 1.5
        head = (f"{tip:.1f},{y:.1f} {tip - direction * HEAD * 1.6:.1f},{y - HEAD / 1.6:.1f} "
                f"{tip - direction * HEAD * 1.6:.1f},{y + HEAD / 1.6:.1f}")
        span = abs(x2 - x1)
        chars = int((span - 16) / CHAR_W)
        arrows.append(Arrow(
            id=f"a-{it.seq}", href=it.href, y=y, x1=x1, x2=tip - direction * HEAD, label=_fit(it.label, chars),
            label_x=(x1 + x2) / 2, label_y=y - 6, detail=_fit(it.detail, int((span - 16) / SMALL_CHAR_W)),
            detail_y=y + 13, anchor="middle", head=head, path="", cls=it.cls, time=it.time, frame=it.frame,
            tag=it.tag, title=it.title, row_y=row_y, text_y=y + 4))

    bottom = HEADER_H + 8 + len(drawn) * ROW_H + 10
    notes = []
    if total > len(drawn):
        notes.append(f"Showing the first {len(drawn)} of {total} messages; every message is in the appendix.")
    height = int(bottom + 6)
    return Ladder(id=ladder_id, title=title, width=width, height=height, columns=cols, arrows=arrows,
                  lifeline_top=HEADER_H, lifeline_bottom=bottom, total=total, notes=notes, tags=show_tags,
                  tag_x=width - 8, body_w=width - GUTTER_LEFT, body_h=height - HEADER_H,
                  gutter_pct=round(100 * GUTTER_LEFT / width, 4), body_pct=round(100 * (width - GUTTER_LEFT) / width, 4))
