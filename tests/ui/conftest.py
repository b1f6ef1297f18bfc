"""Fixtures for the workspace's browser tests: the built workspace, a real `vzero serve` wired to the fake model,
and Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import fake_model, model_server  # noqa: F401 - fixtures
from tests.fakes import FakeOpenAIServer
from tests.preview.preview_apps import require_runtime
from tests.server import VzeroServer
from vzero.preview.screenshots import find_chromium

CHROMIUM = find_chromium()
_built: Path | None = None


def require_ui() -> Path:
    """The built workspace (built on first use, as `vzero serve` would), or skip when Node.js is missing."""
    global _built
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm is not installed: install Node.js 20+ with npm to build and test the workspace")
    if _built is None:
        from vzero.ui.build import build, build_dir_for

        _built = build(build_dir_for(Path("unused")))
    return _built


def page_reply(page: str, prose: str = "Here is your app.") -> str:
    """A v0-format reply that writes app/page.tsx."""
    return f'{prose}\n\n<CodeProject id="app">\n\n```tsx file="app/page.tsx"\n{page}```\n\n</CodeProject>\n\nThe page is ready.'


COUNTER = '''"use client"

import { useState } from "react"

export default function Page() {
  const [count, setCount] = useState(0)
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4">
      <h1 className="text-2xl font-semibold">Click counter</h1>
      <button onClick={() => setCount(count + 1)}>Clicked {count} times</button>
    </main>
  )
}
'''


def server_env(fake: FakeOpenAIServer, **extra: str) -> dict[str, str]:
    return {
        "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.base_url, "VZERO_MODEL": "fake-model",
        "VZERO_PROVIDER_RETRIES": "0", "VZERO_PREVIEW_RUNTIME_DIR": str(require_runtime()), "VZERO_SCREENSHOTS": "false",
        "VZERO_ALLOW_PRIVATE_URLS": "false", **extra,
    }


@pytest.fixture
def server(tmp_path: Path, fake_model: FakeOpenAIServer) -> Iterator[VzeroServer]:  # noqa: F811
    require_ui()
    with VzeroServer(tmp_path / "data", env=server_env(fake_model)) as running:
        yield running


def sign_in_link(server: VzeroServer) -> str:
    """The newest one-time link `vzero serve` printed."""
    links = re.findall(r"(http://\S+/auth/link\?token=[\w-]+)", server.log_text(200_000))
    assert links, f"no sign-in link in the server's log:\n{server.log_text()}"
    return links[-1]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module: Playwright's sync API runs an event loop of its own, which must be gone before any
    asyncio test of another module starts."""
    if CHROMIUM is None:
        pytest.skip("install Debian's chromium (apt-get install chromium) to run the workspace's browser tests")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the Python package; no browser download)")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP *.vzero.test 127.0.0.1"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """`new_page(base_url, color_scheme=...)`: a page in a fresh browser context (its own cookies); all closed after."""
    contexts: list[Any] = []

    def make(base_url: str, *, color_scheme: str = "light", width: int = 1440, height: int = 900, bypass_csp: bool = False) -> Any:
        context = chromium.new_context(
            base_url=base_url, viewport={"width": width, "height": height}, color_scheme=color_scheme, accept_downloads=True, bypass_csp=bypass_csp
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors  # uncaught errors of the workspace itself; tests check there are none
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, key: str) -> None:
    page.goto("/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("heading", name="What do you want to build?").wait_for()


@pytest.fixture
def page(server: VzeroServer, new_page: Callable[..., Any]) -> Any:
    """A signed-in workspace page."""
    p = new_page(server.base_url)
    sign_in(p, server.api_key)
    return p


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30.0, page: Any = None) -> Any:
    """Poll `check` until it is truthy; with `page`, wait through it so Playwright's events keep arriving."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if page is not None:
            page.wait_for_timeout(100)
        else:
            time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
