"""Analysis + findings → one self-contained HTML report (Jinja2, autoescaped, no external asset).

The template gets a `ReportView` (viewmodel.py) and only lays it out. The stylesheet and the
small script are inlined; a Content-Security-Policy in the page allows no network at all and
only this script (by its SHA-256), so even a string that escaped escaping could not run.
Digest responses, nonces and passwords are never shown in full (secrets.py), redacted or not.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from importlib import resources

import jinja2
from markupsafe import Markup

from ..flow.model import Analysis
from ..rules.base import Finding
from .redact import Redactor
from .secrets import shorten_tree
from .viewmodel import ReportView, build_view


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sipdiag.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("sipdiag.report").joinpath("templates", name).read_text(encoding="utf-8")


def render_view(view: ReportView) -> str:
    """The page for a view model; secrets from the input are shortened first (secrets.py)."""
    shorten_tree(view)
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src 'none'; "
           "form-action 'none'; base-uri 'none'")
    template = _environment().get_template("report.html.j2")
    return template.render(v=view, css=Markup(_asset("report.css")), script=Markup(script), csp=csp)


def render_html(analysis: Analysis, findings: list[Finding], redact: bool = False) -> str:
    """The report page; with `redact`, every address, user, domain and name is a pseudonym."""
    view = build_view(analysis, findings, Redactor() if redact else None)
    return render_view(view)
