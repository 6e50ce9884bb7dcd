"""The example reports in reports/ are what the current code produces (never stale)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_example_reports_are_up_to_date():
    result = subprocess.run([sys.executable, str(REPO / "reports" / "regenerate.py"), "--check"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_shows_the_screenshot():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in ("ast-01-aor-404.png", "ast-01-aor-404-390px.png"):
        assert f"reports/{name}" in readme
        assert (REPO / "reports" / name).stat().st_size > 50_000
