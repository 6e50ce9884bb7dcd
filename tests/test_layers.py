"""The layers of STYLE.md, checked on the code: the report lays findings out and never judges.

`report/viewmodel.py` must not import from `sip/` (no SIP parsing in the report) and must not
name a rule's slug (no switches on which rule fired): what it shows comes from the findings'
structured evidence (short cause, key messages, highlights, PBX checks) and the verdict.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sipdiag
from sipdiag.rules.base import REGISTRY

PACKAGE = Path(sipdiag.__file__).parent
REPORT_MODULES = ["report/viewmodel.py", "report/terminal.py", "report/json_report.py"]


def _tree(relative: str) -> ast.Module:
    return ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


def test_viewmodel_imports_nothing_from_sip():
    imported = _imports(_tree("report/viewmodel.py"))
    assert imported, "the import walk found nothing: the test would pass vacuously"
    assert [m for m in imported if m.startswith("..sip") or m.startswith("sipdiag.sip")] == []


def test_report_modules_name_no_rule_slug():
    slugs = {rule.slug for rule in REGISTRY.values()}
    assert "aor-not-found" in slugs and len(slugs) >= 25
    for relative in REPORT_MODULES:
        literals = {n.value for n in ast.walk(_tree(relative)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert literals & slugs == set(), f"{relative} switches on rule slugs"


def test_one_private_address_helper():
    """Private/LAN address tests live in sipdiag/addresses.py only: no module re-implements RFC 1918."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "addresses.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "is_private" in text and "def is_private" in text or "172.16." in text and "ip_network" in text:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
