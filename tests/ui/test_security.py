"""The workspace's security in Chromium: previews never see the session, other sites cannot act with it, each
host serves only its own, and the postMessage bridge ignores anyone but the two windows it connects."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeOpenAIServer, FakeReply
from tests.server import VzeroServer, free_port
from tests.ui.conftest import COUNTER, page_reply, require_ui, server_env, sign_in, wait_until
from tests.ui.test_workspace import THROWS, start_chat, wait_idle

expect = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect
FILES = {"type": "files", "files": [{"name": "app/page.tsx", "content": COUNTER}]}


class Attacker:
    """Another site (evil.vzero.test, which the test browser resolves to 127.0.0.1) serving pages that try
    to use the workspace's session: a form that posts, and a script that fetches with credentials."""

    def __init__(self, target: str) -> None:
        pages = {
            "/form.html": f'''<!doctype html><form id="f" method="POST" action="{target}/v1/chats/init" enctype="text/plain">
<input name='{{"type":"files","files":[{{"name":"x.txt","content":"' value='pwned"}}]}}'></form>
<script>document.getElementById("f").submit()</script>''',
            "/fetch.html": f'''<!doctype html><script>
window.done = Promise.all([
  fetch("{target}/v1/chats/init", {{method: "POST", credentials: "include", mode: "no-cors",
    headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{type: "files", files: [{{name: "y.txt", content: "pwned"}}]}})}}).catch(String),
  fetch("{target}/v1/user", {{credentials: "include", mode: "no-cors"}}).then(r => r.type).catch(String),
]);
</script>''',
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = pages.get(self.path, "not here").encode()
                self.send_response(200 if self.path in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.origin = f"http://evil.vzero.test:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def attacker(server: VzeroServer) -> Iterator[Attacker]:
    site = Attacker(server.base_url)
    yield site
    site.close()


def statuses(page: Any, fragment: str) -> list[int]:
    """Record the status of every response whose URL contains `fragment`, as the browser received it (a no-cors
    fetch gives the page an opaque answer, but the browser still sees its status)."""
    seen: list[int] = []
    page.context.on("response", lambda r: seen.append(r.status) if fragment in r.url else None)
    return seen


def frame_where(page: Any, fragment: str, timeout: float = 60.0) -> Any:
    """The page's frame whose URL contains `fragment` (waiting through the page, so Playwright's events flow)."""
    for _ in range(int(timeout * 10)):
        found = next((f for f in page.frames if fragment in f.url), None)
        if found is not None:
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame at {fragment}")


def preview_frame(page: Any) -> Any:
    return frame_where(page, "/preview/")


def chat_count(server: VzeroServer) -> int:
    with server.client() as c:
        return len(c.get("/v1/chats").json()["data"])


def test_the_preview_frame_sees_no_session_and_gets_401_from_the_api(
    server: VzeroServer, page: Any, new_page: Callable[..., Any], fake_model: FakeOpenAIServer
) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    chat_id = start_chat(page, "A counter in its own origin")
    wait_idle(page)
    expect(page.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    frame = preview_frame(page)
    assert frame.url.startswith(f"http://localhost:{server.port}/preview/")
    assert "vzero_session" in {c["name"] for c in page.context.cookies()}
    assert frame.evaluate("document.cookie") == ""
    assert frame.evaluate("(() => { try { return window.parent.document && 'reached'; } catch (e) { return 'blocked'; } })()") == "blocked"
    # the preview's CSP keeps it from even sending to the workspace's origin; on its own origin there is no API
    outcome = frame.evaluate(f"fetch('{server.base_url}/v1/user', {{credentials: 'include'}}).then(r => r.status, e => 'unreadable')")
    assert outcome == "unreadable"
    assert frame.evaluate("fetch('/v1/user').then(r => r.status)") == 404
    assert frame.evaluate("fetch('/auth/session').then(r => r.status)") == 404

    # Without the CSP (a browser that ignored it), the request goes out, but the cookie stays behind: another site.
    loose = new_page(server.base_url, bypass_csp=True)
    sign_in(loose, server.api_key)
    loose.goto(f"/chats/{chat_id}")
    expect(loose.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    seen = statuses(loose, "/v1/user")
    outcome = preview_frame(loose).evaluate(f"fetch('{server.base_url}/v1/user', {{credentials: 'include', mode: 'no-cors'}}).then(r => r.type)")
    assert outcome == "opaque"  # the page cannot read the answer either
    wait_until(lambda: seen, "the fetch to reach the server", page=loose)
    assert seen == [401]


def test_a_cross_site_post_without_the_csrf_defence_is_refused(server: VzeroServer, page: Any, attacker: Attacker) -> None:
    before = chat_count(server)
    seen = statuses(page, "/v1/")
    page.goto(f"{attacker.origin}/form.html")
    wait_until(lambda: seen, "the form's post", page=page)
    assert seen[0] in (401, 403)
    page.goto(f"{attacker.origin}/fetch.html")
    page.evaluate("window.done")
    wait_until(lambda: len(seen) >= 3, "the fetches", page=page)
    assert all(status in (401, 403) for status in seen), seen
    # with the cookie but without the token, even the workspace's own origin is refused
    page.goto(f"{server.base_url}/")
    own = page.evaluate(
        """body => fetch('/v1/chats/init', {method: 'POST', headers: {'Content-Type': 'application/json'}, body}).then(r => r.status)""",
        '{"type":"files","files":[{"name":"z.txt","content":"z"}]}',
    )
    assert own == 403
    assert chat_count(server) == before


def test_each_host_serves_only_its_own(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    chat_id = start_chat(page, "A counter on two hosts")
    wait_idle(page)
    with server.client() as c:
        demo = c.get(f"/v1/chats/{chat_id}").json()["latestVersion"]["demoUrl"]
    preview_host = f"http://localhost:{server.port}"
    assert demo.startswith(preview_host + "/preview/")
    path = demo.removeprefix(preview_host)
    with httpx.Client(timeout=30) as c:
        assert c.get(preview_host + path).status_code == 200
        assert c.get(server.base_url + path).status_code == 404
        for other in ("/", "/login", f"/chats/{chat_id}", "/settings", "/auth/session", "/v1/user", "/v2/chats"):
            assert c.get(preview_host + other, headers={"Authorization": f"Bearer {server.api_key}"}).status_code == 404, other
        assert c.get(server.base_url + "/").status_code == 200


def test_post_messages_from_anyone_but_the_preview_are_ignored(server: VzeroServer, page: Any, fake_model: FakeOpenAIServer) -> None:
    with server.client() as c:
        broken = c.post("/v1/chats/init", json={"type": "files", "files": [{"name": "app/page.tsx", "content": THROWS}]}).json()
    assert httpx.get(broken["latestVersion"]["demoUrl"], timeout=120).status_code == 200  # built before it is framed
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    start_chat(page, "A counter next to a broken page")
    wait_idle(page)
    expect(page.frame_locator('iframe[title="Preview"]').get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    errors = page.get_by_role("button", name="0 errors")
    expect(errors).to_be_visible()
    # the workspace's own window, and another preview framed beside the real one (right origin, wrong source)
    page.evaluate("""() => window.postMessage({vzero: 1, type: "vzero:error", error: {source: "window", message: "forged by the page"}}, "*")""")
    page.evaluate(
        """url => { const f = document.createElement("iframe"); f.src = url; f.id = "intruder"; document.body.appendChild(f); }""",
        broken["latestVersion"]["demoUrl"],
    )
    intruder = frame_where(page, broken["id"])
    intruder.wait_for_load_state()
    wait_until(lambda: "Cannot read properties of null" in (intruder.evaluate("document.body.innerText") or ""), "the other preview's error", page=page)
    intruder.evaluate("""() => parent.postMessage({vzero: 1, type: "vzero:error", error: {source: "window", message: "forged by a frame"}}, "*")""")
    page.wait_for_timeout(1500)
    expect(errors).to_be_visible()
    expect(page.get_by_text("forged")).to_have_count(0)
    # the bridge on the preview's side takes orders from the framing workspace only
    frame = next(f for f in page.frames if "/preview/" in f.url and broken["id"] not in f.url)
    frame.evaluate("""() => window.postMessage({vzero: 1, type: "vzero:navigate", path: "/forged"}, "*")""")
    intruder.evaluate("""() => parent.frames[0].postMessage({vzero: 1, type: "vzero:navigate", path: "/forged"}, "*")""")
    page.wait_for_timeout(500)
    assert frame.evaluate("location.hash") == ""
    address = page.get_by_label("Page path")
    address.fill("/about")
    address.press("Enter")
    wait_until(lambda: frame.evaluate("location.hash") == "#/about", "the workspace's own navigation", page=page)


@pytest.fixture
def sandboxed(tmp_path: Path, fake_model: FakeOpenAIServer) -> Iterator[VzeroServer]:  # noqa: F811
    """A server whose public URL is not a loopback name (and no VZERO_PREVIEW_URL): previews share its host."""
    require_ui()
    port = free_port()
    env = server_env(fake_model, VZERO_PUBLIC_URL=f"http://app.vzero.test:{port}")
    with VzeroServer(tmp_path / "sandboxed", env=env, port=port) as running:
        yield running


def test_previews_on_the_workspace_host_are_sandboxed(sandboxed: VzeroServer, new_page: Callable[..., Any], fake_model: FakeOpenAIServer) -> None:
    base = f"http://app.vzero.test:{sandboxed.port}"
    page = new_page(base)
    sign_in(page, sandboxed.api_key)
    fake_model.enqueue(FakeReply(text=page_reply(COUNTER)))
    start_chat(page, "A sandboxed counter")
    wait_idle(page)
    preview = page.frame_locator('iframe[title="Preview"]')
    expect(preview.get_by_role("heading", name="Click counter")).to_be_visible(timeout=60_000)
    preview.get_by_role("button", name="Clicked 0 times").click()
    expect(preview.get_by_role("button", name="Clicked 1 times")).to_be_visible()
    frame = preview_frame(page)
    assert frame.url.startswith(base + "/preview/")
    assert frame.evaluate("(() => { try { return document.cookie; } catch (e) { return 'sandboxed'; } })()") == "sandboxed"
    assert frame.evaluate("origin") == "null"
    seen = statuses(page, "/v1/user")
    frame.evaluate("fetch('/v1/user', {credentials: 'include', mode: 'no-cors'}).then(r => r.type)")
    frame.evaluate("fetch('/v1/user', {mode: 'no-cors'}).then(r => r.type)")
    wait_until(lambda: len(seen) >= 2, "the fetches", page=page)
    assert seen == [401, 401]
    assert page.evaluate("fetch('/v1/user').then(r => r.status)") == 200  # the workspace itself is signed in
