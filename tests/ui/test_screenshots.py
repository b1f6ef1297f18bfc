"""Screenshots of each main screen of the workspace, light and dark, written as test artifacts (not committed):
VZERO_TEST_ARTIFACTS, else test-artifacts/ at the repository root. Look at them."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeOpenAIServer, FakeReply
from tests.server import REPO_ROOT, VzeroServer
from tests.ui import sample_app
from tests.ui.conftest import require_ui, server_env, sign_in, wait_until
from tests.ui.test_workspace import THROWS, assistant, start_chat, wait_idle

expect = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect
# Read at import: the suite's autouse fixture clears VZERO_* variables.
ARTIFACTS = Path(os.environ.get("VZERO_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts") / "ui"


@pytest.fixture
def shots_server(tmp_path: Path, fake_model: FakeOpenAIServer) -> Iterator[VzeroServer]:
    """A server that takes version screenshots, as a real one does when Chromium is installed."""
    require_ui()
    with VzeroServer(tmp_path / "data", env=server_env(fake_model, VZERO_SCREENSHOTS="true")) as running:
        yield running


def shoot(page: Any, name: str, scheme: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{scheme}.png"
    page.wait_for_timeout(250)  # transitions settle
    page.screenshot(path=str(path))
    return path


def screenshot_ready(server: VzeroServer, chat_id: str) -> bool:
    with server.client() as c:
        return bool(c.get(f"/v1/chats/{chat_id}").json()["latestVersion"].get("screenshotUrl"))


def test_screenshots_of_every_screen(shots_server: VzeroServer, new_page: Callable[..., Any], fake_model: FakeOpenAIServer) -> None:
    server = shots_server
    # Content first: a chat with two versions, a broken one, a project, a key.
    setup = new_page(server.base_url)
    sign_in(setup, server.api_key)
    fake_model.enqueue(FakeReply(text=sample_app.reply(), reasoning=sample_app.REASONING), FakeReply(text=sample_app.tweak()))
    chat_id = start_chat(setup, "Build a pomodoro timer with a task list")
    wait_idle(setup)
    setup.get_by_label("Message", exact=True).fill("Make it warmer and call it deep work")
    setup.get_by_role("button", name="Send").click()
    wait_idle(setup)
    with server.client() as c:
        broken = c.post("/v1/chats/init", json={"type": "files", "name": "Reading list", "files": [{"name": "app/page.tsx", "content": THROWS}]}).json()
        c.post("/v1/chats/init", json={"type": "template", "templateId": "nextjs-starter", "name": "Marketing site"})
        project = c.post("/v1/projects", json={"name": "Side projects"}).json()
        c.post(f"/v1/projects/{project['id']}/assign", json={"chatId": chat_id})
        c.post("/v1/api-keys", json={"name": "CI pipeline"})
        c.patch(f"/v1/chats/{chat_id}", json={"privacy": "unlisted"})
        c.put(f"/v1/chats/{chat_id}/favorite", json={"isFavorite": True})
    wait_until(lambda: screenshot_ready(server, chat_id), "the version's screenshot", timeout=120)

    for scheme in ("light", "dark"):
        page = new_page(server.base_url, color_scheme=scheme)
        page.goto("/login")
        page.get_by_label("API key").wait_for()
        shoot(page, "login", scheme)
        sign_in(page, server.api_key)
        expect(page.locator(".chat-card img").first).to_be_visible()
        shoot(page, "home", scheme)

        page.goto(f"/chats/{chat_id}")
        expect(page.frame_locator('iframe[title="Preview"]').get_by_text("Deep work")).to_be_visible(timeout=60_000)
        shoot(page, "chat-preview", scheme)
        page.get_by_role("radio", name="Mobile").click()
        shoot(page, "chat-preview-mobile", scheme)
        page.get_by_role("radio", name="Desktop").click()

        page.get_by_role("tab", name="Code").click()
        page.get_by_role("tree", name="Files").get_by_role("treeitem", name="task-list.tsx").click()
        expect(page.locator(".cm-content")).to_contain_text("TaskList")
        shoot(page, "chat-code", scheme)
        page.get_by_role("button", name="Changes", exact=True).click()
        expect(page.get_by_text("Version 2 against version 1")).to_be_visible()
        shoot(page, "chat-changes", scheme)

        page.get_by_role("tab", name="Versions").click()
        expect(page.locator(".version-shot img").first).to_be_visible()
        shoot(page, "chat-versions", scheme)
        page.get_by_role("button", name="Share", exact=True).click()
        shoot(page, "chat-share", scheme)
        page.keyboard.press("Escape")

        page.goto(f"/chats/{broken['id']}")
        expect(page.get_by_role("region", name="Preview errors")).to_contain_text("Cannot read properties of null", timeout=60_000)
        shoot(page, "chat-errors", scheme)

        page.goto(f"/projects/{project['id']}")
        expect(page.get_by_role("heading", name="Side projects")).to_be_visible()
        shoot(page, "project", scheme)
        page.goto("/settings")
        expect(page.get_by_role("cell", name="CI pipeline", exact=True)).to_be_visible()
        shoot(page, "settings", scheme)

        stranger = new_page(server.base_url, color_scheme=scheme)
        stranger.goto(f"/chats/{chat_id}")
        expect(stranger.frame_locator('iframe[title="Preview"]').get_by_text("Deep work")).to_be_visible(timeout=60_000)
        shoot(stranger, "shared-signed-out", scheme)

    # a reply as it streams in: thinking, prose, files being written
    live = new_page(server.base_url)
    sign_in(live, server.api_key)
    fake_model.enqueue(FakeReply(text=sample_app.reply(), reasoning=sample_app.REASONING * 3, chunk_size=4, delay=0.02))
    start_chat(live, "Build a pomodoro timer")
    wait_until(lambda: "app/page.tsx" in assistant(live).inner_text(), "a file being written")
    shoot(live, "chat-streaming", "light")
    wait_idle(live)
    names = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    assert len(names) >= 24 and all(re.match(r"[\w-]+-(light|dark)\.png", n) for n in names)
