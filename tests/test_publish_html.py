"""scorecard.html in a real browser: headless Chromium renders it from disk, offline, in both languages.

Chromium comes from the system packages: when it is missing and the tests run as root, the fixture
installs it (`apt-get update`, `apt-get install -y chromium`); elsewhere the tests are skipped with
the reason. Screenshots are kept in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish.publish import publish
from tests.publish_fixtures.synthetic import make_synthetic_warehouse

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BROWSERS = ("chromium", "chromium-browser")
# No network here: nothing may try to reach out (updates, sync, QUIC, first-run pages).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> str:
    found = _find_browser()
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("Chromium is not installed and these tests are not root, so cannot apt-get install it")
    if not shutil.which("apt-get"):
        pytest.skip("Chromium is not installed and there is no apt-get to install it with")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install Chromium ({' '.join(command)}): {done.stderr[-500:]}")
    found = _find_browser()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium executable is on PATH")
    return found


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    warehouse = make_synthetic_warehouse(folder / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        result = publish(con, folder / "published")
    return result.html_path


def run_browser(browser: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )


def screenshot(browser: str, url: str, target: Path, profile: Path, size: str = "1400,2000") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    done = run_browser(browser, profile, f"--screenshot={target}", f"--window-size={size}", url)
    assert target.exists(), done.stderr[-2000:]
    return target


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_the_page_renders_in_headless_chromium_and_a_screenshot_is_kept(browser, page, tmp_path):
    shot = screenshot(browser, page.as_uri(), ARTIFACTS / "scorecard_da.png", tmp_path / "profile")
    assert png_size(shot) == (1400, 2000)
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one


def test_the_english_switch_runs_offline_in_the_browser(browser, page, tmp_path):
    dom = run_browser(browser, tmp_path / "profile", "--dump-dom", page.as_uri() + "#en").stdout
    assert '<body data-lang="en">' in dom  # the script ran and switched the language
    assert 'data-set-lang="en" aria-pressed="true"' in dom
    assert "Customer service" in dom
    shot = screenshot(browser, page.as_uri() + "#en", ARTIFACTS / "scorecard_en.png", tmp_path / "profile")
    assert png_size(shot) == (1400, 2000)


def test_danish_is_the_default_in_the_browser(browser, page, tmp_path):
    dom = run_browser(browser, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    assert '<body data-lang="da">' in dom
    assert 'data-set-lang="da" aria-pressed="true"' in dom
