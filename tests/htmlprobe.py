"""A small HTML reader for the report tests: ids, links, arrows, sections and text, stdlib only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
        "line", "rect", "path", "polygon", "circle"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list["Element"] = field(default_factory=list)
    parts: list = field(default_factory=list)
    """Text and child elements in document order."""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list["Element"]:
        out = []
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                out.append(child)
            out.extend(child.find_all(tag, cls))
        return out

    def find(self, tag: str | None = None, cls: str | None = None) -> "Element | None":
        found = self.find_all(tag, cls)
        return found[0] if found else None

    def all_text(self) -> str:
        return re.sub(r"\s+", " ", self._raw_text()).strip()

    def _raw_text(self) -> str:
        return "".join(p if isinstance(p, str) else p._raw_text() for p in self.parts)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.ids: dict[str, Element] = {}
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        self.stack[-1].parts.append(el)
        if "id" in el.attrs:
            assert el.attrs["id"] not in self.ids, f"duplicate id {el.attrs['id']!r}"
            self.ids[el.attrs["id"]] = el
        if tag == "script":
            self._in_script = True
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        self.stack[-1].parts.append(el)
        if "id" in el.attrs:
            self.ids[el.attrs["id"]] = el

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if tag in VOID:
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
        self.stack[-1].text += data
        self.stack[-1].parts.append(data)


@dataclass
class Page:
    root: Element
    ids: dict[str, Element]
    scripts: list[str]
    html: str

    def section(self, section_id: str) -> Element:
        el = self.ids.get(section_id)
        assert el is not None, f"no element with id {section_id!r}"
        return el

    def local_links(self) -> list[str]:
        return [a.attrs["href"][1:] for a in self.root.find_all("a") if a.attrs.get("href", "").startswith("#")]


def parse(html: str) -> Page:
    p = _Parser()
    p.feed(html)
    p.close()
    return Page(p.root, p.ids, p.scripts, html)
