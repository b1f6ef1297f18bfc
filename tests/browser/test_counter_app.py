"""A generated counter app in a real browser: Playwright drives Debian's Chromium against a real `vzero serve`.

The app is written by the fake model server; the page is opened at the version's demoUrl exactly as a user
would, and every request the page makes must go to the vzero server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engine.conftest import fake_model, model_server  # noqa: F401 - fixtures
from tests.fakes import FakeOpenAIServer, FakeReply
from tests.preview.preview_apps import BUTTON, require_runtime
from tests.server import VzeroServer
from vzero.preview.screenshots import find_chromium

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the Python package; no browser download needed)")
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="install Debian's chromium (apt-get install chromium) to run the browser tests")

UTILS = '''import { clsx, type ClassValue } from "clsx"
import { twMerge } from "tailwind-merge"

export function cn(...inputs: ClassValue[]) {
  return twMerge(clsx(inputs))
}
'''
COUNTER_PAGE = '''"use client"

import { useState } from "react"
import { Plus } from "lucide-react"
import { Button } from "@/components/ui/button"

export default function Page() {
  const [count, setCount] = useState(0)
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4">
      <h1 className="text-2xl font-semibold">Click counter</h1>
      <p id="count" className="text-4xl font-bold">{count}</p>
      <Button onClick={() => setCount(count + 1)}>
        <Plus className="h-4 w-4" /> Increment
      </Button>
    </main>
  )
}
'''
THROWING_PAGE = '''"use client"

export default function Page() {
  const items: any = null
  return <ul>{items.map((item: string) => <li key={item}>{item}</li>)}</ul>
}
'''


def reply(page: str, *, with_ui: bool = True) -> str:
    ui = f'```tsx file="components/ui/button.tsx"\n{BUTTON}```\n\n```ts file="lib/utils.ts"\n{UTILS}```\n\n' if with_ui else ""
    return f'Here is your app.\n\n<CodeProject id="counter">\n\n```tsx file="app/page.tsx"\n{page}```\n\n{ui}</CodeProject>\n\nA counter.'


@pytest.fixture
def server(tmp_path: Path, fake_model: FakeOpenAIServer, request: pytest.FixtureRequest) -> Iterator[VzeroServer]:  # noqa: F811
    env = {
        "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_model.base_url, "VZERO_MODEL": "fake-model",
        "VZERO_PROVIDER_RETRIES": "0", "VZERO_PREVIEW_RUNTIME_DIR": str(require_runtime()),
        "VZERO_AUTO_FIX": "true" if getattr(request, "param", False) else "false",
    }
    with VzeroServer(tmp_path / "data", env=env) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


def wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def open_counter(browser: Any, server: VzeroServer, demo_url: str) -> tuple[Any, list[str]]:
    """Open the page, recording the URL of every request it makes."""
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(demo_url, wait_until="load")
    return page, requests


def test_counter_app_runs_in_chromium(server: VzeroServer, browser: Any, fake_model: FakeOpenAIServer) -> None:  # noqa: F811
    fake_model.enqueue(FakeReply(text=reply(COUNTER_PAGE)))
    with server.client(timeout=60) as api:
        chat = api.post("/v1/chats", json={"message": "Build a click counter"}).json()
        version = chat["latestVersion"]
        assert version["status"] == "completed"
        previews = f"http://localhost:{server.port}"  # the preview host of a server on 127.0.0.1 (vzero/origins.py)
        assert version["demoUrl"] == f"{previews}/preview/{chat['id']}/{version['id']}/"

        page, requests = open_counter(browser, server, version["demoUrl"])
        expect = playwright.expect
        expect(page.get_by_role("heading", name="Click counter")).to_be_visible()
        expect(page.locator("#count")).to_have_text("0")
        button = page.get_by_role("button", name="Increment")
        button.click()
        expect(page.locator("#count")).to_have_text("1")
        button.click()
        button.click()
        expect(page.locator("#count")).to_have_text("3")
        assert page.locator("#vzero-error-overlay").count() == 0
        # Tailwind ran in the page: the button is styled from the shadcn classes
        assert page.eval_on_selector("button", "b => getComputedStyle(b).borderRadius") not in ("", "0px")

        # every request went to the vzero server (the app, the vendor bundle, Tailwind: nothing from a CDN)
        assert requests and all(url.startswith(previews + "/") for url in requests), requests
        assert any(url.endswith("/app.js") for url in requests) and any("/vendor/react.js" in url for url in requests)
        # the page holds no credentials: no cookies, and its host serves no API
        assert page.evaluate("document.cookie") == ""
        assert page.evaluate("fetch('/v1/chats').then(r => r.status)") == 404
        page.close()

        # the screenshot is taken in the background once the version is built
        def screenshot() -> str | None:
            return api.get(f"/v1/chats/{chat['id']}/versions/{version['id']}").json().get("screenshotUrl")

        shot = httpx.get(wait_for(screenshot, "the version's screenshot"), timeout=30)
        assert shot.status_code == 200 and shot.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("server", [True], indirect=True)
def test_runtime_error_in_the_browser_is_fixed(server: VzeroServer, browser: Any, fake_model: FakeOpenAIServer) -> None:  # noqa: F811
    fake_model.enqueue(FakeReply(text=reply(THROWING_PAGE, with_ui=False)), FakeReply(text=reply(COUNTER_PAGE)))
    with server.client(timeout=60) as api:
        chat = api.post("/v1/chats", json={"message": "Build a list"}).json()
        broken = chat["latestVersion"]
        page, _ = open_counter(browser, server, broken["demoUrl"])
        overlay = page.locator("#vzero-error-overlay")
        playwright.expect(overlay).to_contain_text("reading 'map'")
        page.close()
        # the overlay reported it, and auto-fix sent it back to the model, which wrote a working counter
        fixed = wait_for(
            lambda: (c := api.get(f"/v1/chats/{chat['id']}").json())["latestVersion"]["id"] != broken["id"]
            and c["latestVersion"]["status"] == "completed" and c,
            "the automatic fix",
        )
        assert [m["type"] for m in fixed["messages"]] == ["message", "message", "auto-fix-with-v0", "message"]
        assert "reading 'map'" in fixed["messages"][2]["content"]
        page, _ = open_counter(browser, server, fixed["latestVersion"]["demoUrl"])
        page.get_by_role("button", name="Increment").click()
        playwright.expect(page.locator("#count")).to_have_text("1")
        assert page.locator("#vzero-error-overlay").count() == 0
