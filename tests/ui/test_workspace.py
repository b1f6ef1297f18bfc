"""The workspace in Chromium against a real `vzero serve` and the fake model: sign-in, chats that stream and
resume, code edits and locks, diffs, restore and undo, fork, download, shared chats, device widths and fixes."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fakes import FakeOpenAIServer, FakeReply
from tests.server import VzeroServer
from tests.ui.conftest import COUNTER, page_reply, require_ui, server_env, sign_in, sign_in_link, wait_until

expect = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect
THROWS = '''"use client"
export default function Page() {
  const items: any = null
  return <ul>{items.map((i: string) => <li key={i}>{i}</li>)}</ul>
}
'''
LONG_PROSE = " ".join(f"Step {i}: the counter keeps its state in React and renders a button." for i in range(40))


def api(server: VzeroServer) -> httpx.Client:
    return server.client(timeout=30)


def chat_id_of(page: Any) -> str:
    page.wait_for_url(re.compile(r"/chats/\w+$"))
    return str(page.url.rsplit("/", 1)[1])


def assistant(page: Any) -> Any:
    return page.locator("li.msg-assistant").last


def start_chat(page: Any, prompt: str) -> str:
    if not page.url.endswith("/"):
        page.get_by_role("button", name="New chat").click()
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Start chat").click()
    return chat_id_of(page)


def wait_idle(page: Any) -> None:
    """The reply is done: the message box offers Send again."""
    expect(page.get_by_role("button", name="Send")).to_be_visible(timeout=60_000)
    expect(page.locator("li.msg-assistant[aria-busy=true]")).to_have_count(0, timeout=60_000)


def versions(server: VzeroServer, chat_id: str) -> list[dict[str, Any]]:
    with api(server) as c:
        return list(c.get(f"/v1/chats/{chat_id}/versions").json()["data"])


def files_of(server: VzeroServer, chat_id: str, version_id: str) -> dict[str, dict[str, Any]]:
    with api(server) as c:
        return {f["name"]: f for f in c.get(f"/v1/chats/{chat_id}/versions/{version_id}").json()["files"]}


def test_sign_in_with_a_key_keeps_only_a_session_cookie(server: VzeroServer, page: Any) -> None:
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["vzero_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["expires"] > 0
    assert server.api_key not in page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
    expect(page.get_by_role("navigation", name="Chats and projects")).to_be_visible()
    page.get_by_role("button", name="Account").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert "vzero_session" not in {c["name"] for c in page.context.cookies()}
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    assert page.errors == []


def test_sign_in_with_the_one_time_link(server: VzeroServer, new_page: Callable[..., Any]) -> None:
    link = sign_in_link(server)
    first = new_page(server.base_url)
    first.goto(link)
    first.wait_for_url(f"{server.base_url}/")
    assert "token" not in first.url
    expect(first.get_by_role("heading", name="What do you want to build?")).to_be_visible()
    again = new_page(server.base_url)
    again.goto(link)
    expect(again.get_by_text("already been used or has expired")).to_be_visible()
    again.goto("/")
    again.wait_for_url(re.compile(r"/login$"))


def test_a_chat_started_from_the_home_prompt_streams_in(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER, prose=LONG_PROSE), chunk_size=12, delay=0.02))
    chat_id = start_chat(page, "Build a click counter")
    expect(page.get_by_role("list", name="Messages").get_by_text("Build a click counter")).to_be_visible()
    seen: list[int] = []

    def grows() -> bool:
        text = assistant(page).inner_text()
        if text and (not seen or len(text) != seen[-1]):
            seen.append(len(text))
        return len(seen) >= 3

    wait_until(grows, "the reply to grow as it streams")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    wait_idle(page)
    expect(assistant(page)).to_contain_text("Step 39")
    expect(assistant(page).get_by_role("button", name="app/page.tsx")).to_be_visible()
    frame = page.frame_locator('iframe[title="Preview"]')
    expect(frame.get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    frame.get_by_role("button", name="Clicked 0 times").click()
    expect(frame.get_by_role("button", name="Clicked 1 times")).to_be_visible()
    assert len(versions(server, chat_id)) == 1
    # the sidebar lists it, and the chat's webUrl is the page's address
    expect(page.get_by_role("navigation", name="Chats and projects").get_by_role("link", name="Build a click counter")).to_be_visible()
    with api(server) as c:
        assert c.get(f"/v1/chats/{chat_id}").json()["webUrl"] == page.url
    assert page.errors == []


def test_a_reload_during_a_stream_resumes_it_here_and_in_another_tab(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER, prose=LONG_PROSE), chunk_size=6, delay=0.03))
    chat_id = start_chat(page, "Build a counter slowly")
    wait_until(lambda: "Step 2" in assistant(page).inner_text(), "the reply to start")
    page.reload()
    wait_until(lambda: "Step" in assistant(page).inner_text(), "the resumed reply")
    expect(page.locator("li.msg-assistant[aria-busy=true]")).to_have_count(1)
    other = page.context.new_page()
    other.goto(f"/chats/{chat_id}")
    wait_until(lambda: "Step" in other.locator("li.msg-assistant").last.inner_text(), "the reply in another tab")
    wait_idle(page)
    expect(assistant(page)).to_contain_text("Step 39")
    expect(other.locator("li.msg-assistant").last).to_contain_text("Step 39", timeout=60_000)
    # nothing doubled: the resumed parts replaced, not appended to, what the page had
    assert assistant(page).inner_text().count("Step 39:") == 1
    assert page.errors == []


def test_code_edit_lock_diff_restore_undo_fork_and_download(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    chat_id = start_chat(page, "A counter to edit")
    wait_idle(page)
    first = versions(server, chat_id)[0]
    page.get_by_role("tab", name="Code").click()
    tree = page.get_by_role("tree", name="Files")
    expect(tree.get_by_role("treeitem", name="page.tsx")).to_be_visible()
    tree.get_by_role("treeitem", name="page.tsx").click()
    page.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.type("\n// edited in the workspace\n")
    expect(tree.get_by_role("treeitem", name="page.tsx, modified")).to_be_visible()
    page.keyboard.press("ControlOrMeta+s")
    expect(page.get_by_role("status").filter(has_text="version 2")).to_be_visible()
    second = wait_until(lambda: (v := versions(server, chat_id)) and len(v) == 2 and v[0], "a second version")
    assert "// edited in the workspace" in files_of(server, chat_id, second["id"])["app/page.tsx"]["content"]

    # lock from the keyboard: L on the focused tree item makes a version with the file locked
    item = tree.get_by_role("treeitem", name="page.tsx")
    item.focus()
    page.keyboard.press("l")
    expect(tree.get_by_role("treeitem", name="page.tsx, locked")).to_be_visible()
    third = wait_until(lambda: (v := versions(server, chat_id)) and len(v) == 3 and v[0], "a locked version")
    assert files_of(server, chat_id, third["id"])["app/page.tsx"]["locked"] is True
    page.get_by_role("button", name="Unlock file").click()
    fourth = wait_until(lambda: (v := versions(server, chat_id)) and len(v) == 4 and v[0], "an unlocked version")
    assert files_of(server, chat_id, fourth["id"])["app/page.tsx"]["locked"] is False

    # the changes of version 2 against version 1, with +/- counts
    page.get_by_role("tab", name="Versions").click()
    page.get_by_role("button", name="Changes in version 2").click()
    dialog = page.get_by_role("dialog", name="Changes in version 2")
    expect(dialog).to_contain_text("1 file changed")
    expect(dialog.get_by_label("2 lines added")).to_be_visible()
    expect(dialog.get_by_label("0 lines removed")).to_be_visible()
    expect(dialog.get_by_text("// edited in the workspace")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()

    # restore version 1 (a new version), then undo it (another one)
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_role("status").filter(has_text="Restored version 1 as version 5")).to_be_visible()
    restored = wait_until(lambda: (v := versions(server, chat_id)) and len(v) == 5 and v[0], "the restored version")
    assert files_of(server, chat_id, restored["id"]) == files_of(server, chat_id, first["id"])
    page.get_by_role("button", name="Undo").click()
    undone = wait_until(lambda: (v := versions(server, chat_id)) and len(v) == 6 and v[0], "the undo")
    assert files_of(server, chat_id, undone["id"]) == files_of(server, chat_id, fourth["id"])

    # download the viewed version as a zip
    page.get_by_role("tab", name="Code").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:
        assert "// edited in the workspace" in archive.read("app/page.tsx").decode()

    # fork from version 1: a new chat of the caller's
    page.get_by_role("tab", name="Versions").click()
    page.get_by_role("button", name="Fork from version 1").click()
    page.wait_for_url(lambda url: "/chats/" in url and chat_id not in url)
    fork_id = page.url.rsplit("/", 1)[1]
    with api(server) as c:
        fork = c.get(f"/v1/chats/{fork_id}").json()
        assert {f["name"]: f["content"] for f in fork["latestVersion"]["files"]} == {k: v["content"] for k, v in files_of(server, chat_id, first["id"]).items()}
    assert page.errors == []


def test_a_shared_chat_opens_read_only_signed_out(server: VzeroServer, page: Any, new_page: Callable[..., Any], fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    chat_id = start_chat(page, "A counter to share")
    wait_idle(page)
    page.get_by_role("button", name="Share", exact=True).click()
    dialog = page.get_by_role("dialog", name="Share this chat")
    dialog.get_by_label(re.compile("^Public")).check()
    expect(page.get_by_role("button", name="Sharing: Public. Change")).to_be_visible()
    web_url = dialog.get_by_label("Share link").input_value()
    dialog.get_by_role("button", name="Close").click()

    stranger = new_page(server.base_url)
    stranger.goto(web_url)
    expect(stranger.get_by_role("list", name="Messages").get_by_text("A counter to share")).to_be_visible()
    expect(stranger.get_by_text("You are viewing a shared chat")).to_be_visible()
    expect(stranger.get_by_label("Message", exact=True)).to_have_count(0)
    expect(stranger.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    stranger.get_by_role("tab", name="Code").click()
    expect(stranger.get_by_role("tree", name="Files")).to_be_visible()
    expect(stranger.get_by_role("button", name="Save")).to_have_count(0)

    # a reply being written in it streams to the signed-out reader too
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER, prose=LONG_PROSE), chunk_size=6, delay=0.03))
    page.get_by_label("Message", exact=True).fill("Explain it step by step")
    page.get_by_role("button", name="Send").click()
    wait_until(lambda: "Step 1" in assistant(page).inner_text(), "the owner's reply to start")
    stranger.reload()
    expect(stranger.locator("li.msg-assistant[aria-busy=true]")).to_have_count(1)
    expect(stranger.locator("li.msg-assistant").last).to_contain_text("Step 39", timeout=60_000)
    expect(stranger.locator("li.msg-assistant[aria-busy=true]")).to_have_count(0)
    wait_idle(page)

    # a private chat is not shown to the signed-out browser
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    private_id = start_chat(page, "A private counter")
    wait_idle(page)
    stranger.goto(f"/chats/{private_id}")
    expect(stranger.get_by_text("It may be private: sign in to open it.")).to_be_visible()
    assert chat_id != private_id and stranger.errors == []


def test_the_preview_at_each_device_width(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    start_chat(page, "A counter at every width")
    wait_idle(page)
    frame = page.get_by_title("Preview", exact=True)
    expect(page.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    stage = page.locator(".stage").bounding_box()
    widths = page.get_by_role("radiogroup", name="Device width")
    for name, expected in (("Mobile", 390), ("Tablet", 768), ("Desktop", None), ("Custom", 1024)):
        widths.get_by_role("radio", name=name).click()
        expect(widths.get_by_role("radio", name=name)).to_be_checked()
        want = expected if expected is not None else stage["width"]
        wait_until(lambda want=want: abs(frame.bounding_box()["width"] - want) <= 3, f"the {name} width")
    page.get_by_label("Custom width in pixels").fill("600")
    page.get_by_label("Custom width in pixels").press("Enter")
    wait_until(lambda: abs(frame.bounding_box()["width"] - 600) <= 3, "the custom width")
    expect(page.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible()
    # reload and open in a new tab
    page.get_by_role("button", name="Reload preview").click()
    expect(page.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open preview in a new tab").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(f"http://localhost:{server.port}/preview/")
    assert page.errors == []


def test_fix_the_previews_errors_from_the_error_panel(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(THROWS)), FakeReply(text=page_reply(COUNTER, prose="Fixed: the list starts empty.")))
    chat_id = start_chat(page, "A list that breaks")
    wait_idle(page)
    panel = page.get_by_role("region", name="Preview errors")
    expect(panel).to_contain_text("Cannot read properties of null", timeout=60_000)
    expect(page.get_by_role("button", name=re.compile(r"^\d+ errors?$"))).to_be_visible()
    before = len(fake_model.requests)
    panel.get_by_role("button", name="Fix").click()
    expect(page.get_by_text("Fix request")).to_be_visible()
    wait_idle(page)
    expect(assistant(page)).to_contain_text("Fixed: the list starts empty.")
    sent = fake_model.requests[before:]
    assert sent, "the fix was not sent to the model"
    prompt = json.dumps(sent[-1].body["messages"])
    assert "Fix these errors in the preview of version 1" in prompt and "Cannot read properties of null" in prompt
    with api(server) as c:
        messages = c.get(f"/v1/chats/{chat_id}").json()["messages"]
    assert [m["type"] for m in messages if m["role"] == "user"][-1] == "fix-with-v0"
    expect(page.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    assert len(versions(server, chat_id)) == 2


PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.fixture
def mapped_server(tmp_path: Any, fake_model: FakeOpenAIServer) -> Any:
    """A server whose v0 model ids map to provider models (VZERO_MODEL_MAP), to see the model choice arrive."""
    require_ui()
    env = server_env(fake_model, VZERO_MODEL_MAP=json.dumps({"v0-mini": "fake-mini", "v0-max": "fake-max"}))
    with VzeroServer(tmp_path / "mapped", env=env) as running:
        yield running


def test_attachments_model_choice_stop_and_deploy(mapped_server: VzeroServer, new_page: Callable[..., Any], fake_model: FakeOpenAIServer) -> None:
    server = mapped_server
    page = new_page(server.base_url)
    sign_in(page, server.api_key)
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    page.get_by_label("Model").select_option("v0-max")
    page.locator("form.composer input[type=file]").set_input_files(files=[{"name": "sketch.png", "mimeType": "image/png", "buffer": PIXEL}])
    expect(page.get_by_role("list", name="Attachments").get_by_text("sketch.png")).to_be_visible()
    chat_id = start_chat(page, "Build what the sketch shows")
    wait_idle(page)
    request = fake_model.requests[-1].body
    assert request["model"] == "fake-max"
    parts = request["messages"][-1]["content"]
    assert any(p.get("type") == "image_url" and p["image_url"]["url"].startswith("data:image/png;base64,") for p in parts)
    expect(page.get_by_role("list", name="Messages").get_by_role("img", name=re.compile(r"\.png$|Attached"))).to_have_count(1)

    # the model choice is kept for the next message; stop cuts a long reply and keeps the previous version
    expect(page.get_by_label("Model")).to_have_value("v0-max")
    page.get_by_label("Model").select_option("v0-mini")
    fake_model.enqueue(FakeReply(text=page_reply(THROWS, prose=LONG_PROSE * 3), chunk_size=4, delay=0.05))
    page.get_by_label("Message", exact=True).fill("Rewrite it slowly")
    page.get_by_role("button", name="Send").click()
    wait_until(lambda: "Step 3" in assistant(page).inner_text(), "the reply to start")
    page.get_by_role("button", name="Stop").click()
    wait_idle(page)
    expect(assistant(page)).to_contain_text("Stopped.")
    assert fake_model.requests[-1].body["model"] == "fake-mini"
    listed = versions(server, chat_id)
    assert [v["status"] for v in listed] == ["failed", "completed"]
    expect(page.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)

    # deploy the version on screen: its URL is on the preview host and serves the app
    page.get_by_role("button", name="Deploy", exact=True).click()
    dialog = page.get_by_role("dialog", name="Deployment")
    url = dialog.get_by_label("Deployment URL")
    expect(url).to_have_value(re.compile(rf"^http://localhost:{server.port}/deployments/\w+/$"), timeout=60_000)
    deployed = httpx.get(url.input_value(), timeout=60)
    assert deployed.status_code == 200 and "./app.js" in deployed.text
    assert page.errors == []


def test_the_workspace_works_from_the_keyboard(server: VzeroServer, new_page: Callable[..., Any], fake_model: FakeOpenAIServer) -> None:
    page = new_page(server.base_url)
    page.goto("/login")
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(server.api_key)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Prompt")).to_be_focused()
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    page.keyboard.type("A counter, by keyboard")
    page.keyboard.press("Enter")
    chat_id_of(page)
    wait_idle(page)
    # the skip link is the first stop of a page, and leads to its content
    page.reload()
    expect(page.get_by_role("tab", name="Preview")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    # tabs: arrow keys move the selection
    page.get_by_role("tab", name="Preview").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Code")).to_be_focused()
    expect(page.get_by_role("tab", name="Code")).to_have_attribute("aria-selected", "true")
    # the file tree: arrows move and open folders, Enter opens a file in the editor
    tree = page.get_by_role("tree", name="Files")
    tree.get_by_role("treeitem", name="app").focus()
    page.keyboard.press("ArrowLeft")  # close the folder
    expect(tree.get_by_role("treeitem", name="app")).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowRight")  # open it
    page.keyboard.press("ArrowRight")  # into it
    expect(tree.get_by_role("treeitem", name="page.tsx")).to_be_focused()
    page.keyboard.press("Enter")
    expect(tree.get_by_role("treeitem", name="page.tsx")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".cm-content")).to_contain_text("Click counter")
    # menus open with the keyboard and close with Escape, giving focus back
    more = page.get_by_role("button", name="More actions")
    more.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Rename")).to_be_focused()
    page.keyboard.press("Escape")
    expect(more).to_be_focused()
    # the split between conversation and workspace moves with the arrow keys
    splitter = page.get_by_role("separator", name="Resize the conversation")
    before = splitter.get_attribute("aria-valuenow")
    splitter.focus()
    page.keyboard.press("ArrowRight")
    assert int(splitter.get_attribute("aria-valuenow") or 0) == int(before or 0) + 2
    assert page.errors == []


def test_a_chat_starts_from_a_template_or_from_uploaded_files(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    page.get_by_role("button", name="Start from").click()
    page.get_by_role("menuitem", name="A template…").click()
    dialog = page.get_by_role("dialog", name="Start from a template")
    dialog.get_by_role("button", name=re.compile("Nextjs starter")).click()
    expect(page.get_by_text("Starting from")).to_contain_text("Nextjs starter")
    page.get_by_role("button", name="Start chat").click()  # no prompt needed: the chat starts with the template's files
    chat_id = chat_id_of(page)
    expect(page.get_by_text("No messages yet")).to_be_visible()
    with api(server) as c:
        names = {f["name"] for f in c.get(f"/v1/chats/{chat_id}").json()["latestVersion"]["files"]}
    assert "app/page.tsx" in names and "package.json" in names

    # files from this computer, with a prompt: the chat starts from them and the model is asked at once
    page.get_by_role("button", name="New chat").click()
    page.get_by_role("button", name="Start from").click()
    page.get_by_role("menuitem", name="Files from this computer…").click()
    page.get_by_label("Choose files").set_input_files(files=[
        {"name": "page.tsx", "mimeType": "text/plain", "buffer": COUNTER.encode()},
        {"name": "logo.png", "mimeType": "image/png", "buffer": PIXEL},
    ])
    expect(page.get_by_text("Starting from")).to_contain_text("2 files")
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER, prose="I looked at your files.")))
    page.get_by_label("Prompt").fill("Tidy these files")
    page.get_by_role("button", name="Start chat").click()
    uploaded = chat_id_of(page)
    wait_idle(page)
    expect(assistant(page)).to_contain_text("I looked at your files.")
    with api(server) as c:
        first = c.get(f"/v1/chats/{uploaded}/versions").json()["data"][-1]
        files = {f["name"]: f for f in c.get(f"/v1/chats/{uploaded}/versions/{first['id']}").json()["files"]}
    assert files["page.tsx"]["content"] == COUNTER and set(files) == {"page.tsx", "logo.png"}
    assert page.errors == []
