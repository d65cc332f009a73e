"""The suite's own rule (conftest.py): in CI, a server or browser test that is skipped fails
the run; elsewhere, and for other skips, a skip stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SKIPS = '''import pytest

def test_needs_a_server():
    pytest.skip("virtuoso-t is not installed")

def test_not_applicable():
    pytest.skip("not applicable here")

def test_runs():
    pass
'''


def run_pytest(folder: Path, ci: bool, only: str | None = None) -> subprocess.CompletedProcess:
    (folder / "test_skips.py").write_text(SKIPS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(TESTS)
    if ci:
        env["CI"] = "true"
    target = "test_skips.py" + (f"::{only}" if only else "")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "conftest", target], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("ci", [True, False], ids=["ci", "elsewhere"])
def test_a_skipped_server_test_fails_ci_only(tmp_path: Path, ci: bool) -> None:
    result = run_pytest(tmp_path, ci)
    assert result.returncode == (1 if ci else 0), result.stdout
    assert ("test_needs_a_server: " in result.stdout) == ci
    assert "test_not_applicable: " not in result.stdout


def test_other_skips_pass_in_ci(tmp_path: Path) -> None:
    assert run_pytest(tmp_path, True, "test_not_applicable").returncode == 0


@pytest.mark.parametrize("module", ["test_browser", "test_endpoint_page"])
def test_browser_tests_skipped_without_chromium_fail_ci(module: str) -> None:
    """The browser tests skip without Chromium, axe-core or Playwright with a reason the rule
    above reads as a missing part: in CI that skip fails the run."""
    import conftest

    text = (TESTS / f"{module}.py").read_text(encoding="utf-8")
    assert 'pytest.importorskip("playwright.sync_api")' in text
    reason = text.split("reason=", 1)[1].split(")", 1)[0].lower()
    assert "chromium" in reason and "axe-core" in reason
    assert any(word in reason for word in conftest.MISSING_PART)
    assert "playwright" in conftest.MISSING_PART  # the importorskip's reason names it
