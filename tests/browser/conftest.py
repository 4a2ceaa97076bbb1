"""Browser fixtures: Debian's Chromium driven by Playwright, against the real platform (worker, drill service, API).

Playwright's own browser download is not used: the browser is the system's Chromium (scripts/bootstrap.sh
installs it), found by `chromium_path()`. Without it a browser test fails under CI=true and is skipped elsewhere.
Screenshots are written to var/browser/ (kept as artifacts).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, expect, sync_playwright

from tests.e2e.conftest import PlatformFactory, district, http, make_platform, smtp
from tests.e2e.platform import Platform

__all__ = ["district", "http", "make_platform", "smtp"]  # the e2e fixtures, reused here

T = TypeVar("T")
expect.set_options(timeout=20_000)  # assertions wait (never sleep); a loaded 2-core CI machine needs the margin
CHROMIUM_VARIABLE = "TOCSIN_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "browser"
DESKTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    """The Chromium to drive: $TOCSIN_CHROMIUM, else the first of CANDIDATES on PATH, else /usr/bin/chromium."""
    given = os.environ.get(CHROMIUM_VARIABLE)
    if given:
        return given if Path(given).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="module")
def playwright_driver(console_platform: Platform) -> Iterator[Playwright]:
    """Playwright's driver (the browser comes from the system), per module: while it runs, its event loop is the
    thread's running loop, so the platform starts first and no other test shares the session with it."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium; a missing browser fails under CI=true and skips elsewhere."""
    executable = chromium_path()
    if executable is None:
        message = (
            f"no Chromium found (set {CHROMIUM_VARIABLE}, or install Debian's: apt-get install chromium; "
            "scripts/bootstrap.sh does)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    launched = playwright_driver.chromium.launch(
        executable_path=executable, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
    )
    yield launched
    launched.close()


@pytest.fixture(scope="package")
def console_platform(make_platform: PlatformFactory) -> Iterator[Platform]:
    """Worker, drill service and API for the browser tests (stopped after them, so they do not load the rest of the
    suite); its clock runs at 60× so steps fall due quickly."""
    platform = make_platform(TOCSIN_CLOCK_SPEED="60")
    platform.start("drills")
    platform.wait_drills_ready()
    yield platform
    platform.stop_all()


@pytest.fixture
def page(console_platform: Platform, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh tab at 1366×768 (its own sessionStorage), in Chinese; a screenshot of the end state is kept."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="UTC")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


def in_thread(work: Callable[[], T]) -> T:
    """Run `work` in another thread: asyncio.run() cannot run while Playwright's loop is this thread's."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sign_in(page: Page, platform: Platform, token: str | None = None) -> None:
    """Open the console and sign in with the token form, as a person would."""
    page.goto(f"{platform.base_url}/console/")
    page.get_by_label("访问令牌").fill(token or platform.token)
    page.get_by_role("button", name="登录").click()


def start_tabletop(platform: Platform) -> str:
    """A short two-phase discussion-based exercise (the scenario of tests/e2e/test_tabletop.py), started through the
    API by the platform's commander at 600×; its exercise id."""
    from tests.e2e.test_tabletop import SCENARIO

    with platform.client() as chief:
        started = chief.post("/api/v1/drills", params={"wait": 20}, json={"scenario_yaml": SCENARIO, "speed": 600})
    assert started.status_code == 201, started.text
    exercise_id: str = started.json()["exercise_id"]
    return exercise_id


def exercise_user(platform: Platform, role: str, exercise_id: str, unit: str | None = None) -> str:
    """A new user of one exercise (and unit); its token."""
    name = f"tt-{role}-{uuid.uuid4().hex[:6]}"
    scope = ("--unit", unit) if unit else ()
    platform.tocsin("user", "add", name, "--role", role, "--exercise", exercise_id, *scope)
    return platform.tocsin("token", "issue", name, "--label", "browser tests").split()[-1]
