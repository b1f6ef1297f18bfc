"""Workspace sign-in over HTTP: the session cookie, its CSRF defence, one-time links, signed-out reads of shared
chats, and the host split (vzero/api/web_sessions.py, api/signin.py, api/hosts.py)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests import conformance
from tests.conftest import API_KEY
from vzero.app import create_app
from vzero.config import Settings
from vzero.core.ids import utcnow
from vzero.store.tables import SignInLink, WebSession

PAGE = "export default function Page() { return <h1>Hi</h1> }\n"


@pytest.fixture
async def browser(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no key: what a browser sends (cookies kept between requests)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:  # type: ignore[arg-type]
        yield c


async def sign_in(browser: httpx.AsyncClient, key: str = API_KEY) -> str:
    response = await browser.post("/auth/login", json={"apiKey": key})
    assert response.status_code == 200, response.text
    return str(response.json()["csrfToken"])


def set_cookie_header(response: httpx.Response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie")


async def test_sign_in_with_a_key_sets_a_hardened_cookie(browser: httpx.AsyncClient, runtime: Any) -> None:
    response = await browser.post("/auth/login", json={"apiKey": API_KEY})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == "default" and body["csrfToken"] and API_KEY not in response.text
    cookie = set_cookie_header(response)
    token = cookie.split(";")[0].split("=", 1)[1]
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert cookie.startswith("vzero_session=") and {"httponly", "max-age", "path", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower() and "secure" not in attributes  # plain http: no Secure
    assert response.headers["cache-control"] == "no-store"
    # stored as its hash, with an expiry
    async with runtime.db.session() as session:
        rows = (await session.execute(select(WebSession))).scalars().all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert rows[0].expires_at is not None and token not in {r.csrf_token for r in rows}
    session_info = (await browser.get("/auth/session")).json()
    assert session_info["user"]["id"] == "default" and session_info["csrfToken"] == body["csrfToken"]


async def test_sign_in_refuses_bad_keys_and_cross_site_posts(browser: httpx.AsyncClient) -> None:
    wrong = await browser.post("/auth/login", json={"apiKey": "nope"})
    conformance.v1_error(wrong, 401, "unauthorized_error")
    assert "set-cookie" not in wrong.headers
    foreign = await browser.post("/auth/login", json={"apiKey": API_KEY}, headers={"Origin": "https://evil.example"})
    conformance.v1_error(foreign, 403, "forbidden_error")
    cross = await browser.post("/auth/login", json={"apiKey": API_KEY}, headers={"Sec-Fetch-Site": "cross-site"})
    conformance.v1_error(cross, 403, "forbidden_error")
    form = await browser.post("/auth/login", content=f"apiKey={API_KEY}", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 422 and "set-cookie" not in form.headers
    conformance.v1_error(await browser.get("/auth/session"), 401, "unauthorized_error")


async def test_a_stored_key_signs_its_own_user_in(browser: httpx.AsyncClient, other_key: str) -> None:
    await sign_in(browser, other_key)
    user = (await browser.get("/v1/user")).json()
    assert user["name"] == "other"


async def test_the_cookie_authenticates_like_a_key_and_changes_need_the_csrf_token(browser: httpx.AsyncClient) -> None:
    csrf = await sign_in(browser)
    assert (await browser.get("/v1/user")).json()["id"] == "default"
    body = {"type": "files", "files": [{"name": "app/page.tsx", "content": PAGE}]}
    conformance.v1_error(await browser.post("/v1/chats/init", json=body), 403, "forbidden_error")
    conformance.v1_error(await browser.post("/v1/chats/init", json=body, headers={"X-CSRF-Token": "guess"}), 403, "forbidden_error")
    for hostile in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        refused = await browser.post("/v1/chats/init", json=body, headers={"X-CSRF-Token": csrf, **hostile})
        conformance.v1_error(refused, 403, "forbidden_error")
    assert (await browser.get("/v1/chats")).json()["data"] == []
    made = await browser.post("/v1/chats/init", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    chat = conformance.v1("chats.init", made)
    # v2 too, and with the v2 error envelope
    refused = await browser.patch(f"/v2/chats/{chat['id']}", json={"title": "x"})
    assert refused.status_code == 403 and set(refused.json()) == {"message"}
    renamed = await browser.patch(f"/v2/chats/{chat['id']}", json={"title": "x"}, headers={"X-CSRF-Token": csrf})
    assert renamed.status_code == 200


async def test_a_key_in_the_header_needs_no_csrf_token(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    body = {"type": "files", "files": [{"name": "a.txt", "content": "a"}]}
    made = await browser.post("/v1/chats/init", json=body, headers={"Authorization": f"Bearer {API_KEY}"})
    assert made.status_code == 200


async def test_sign_out_ends_the_session(browser: httpx.AsyncClient, runtime: Any) -> None:
    csrf = await sign_in(browser)
    token = browser.cookies["vzero_session"]
    conformance.v1_error(await browser.post("/auth/logout"), 403, "forbidden_error")  # a forced sign-out needs the token too
    out = await browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200 and "max-age=0" in set_cookie_header(out).lower()
    browser.cookies.set("vzero_session", token)  # a copy of the cookie, kept from before
    conformance.v1_error(await browser.get("/v1/user"), 401, "unauthorized_error")
    async with runtime.db.session() as session:
        assert (await session.execute(select(WebSession))).scalars().all() == []


async def test_an_expired_session_is_refused(browser: httpx.AsyncClient, app: Any, runtime: Any) -> None:
    await sign_in(browser)
    async with runtime.db.session() as session:
        await session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    app.state.web_sessions.forget()
    refused = await browser.get("/v1/user")
    conformance.v1_error(refused, 401, "unauthorized_error")
    assert "sign in again" in refused.json()["error"]["message"]


async def test_revoking_a_key_ends_the_sessions_it_opened(client: httpx.AsyncClient, browser: httpx.AsyncClient) -> None:
    created = (await client.post("/v1/api-keys", json={"name": "laptop"})).json()
    assert created["key"].startswith("vz_") and created["object"] == "api_key"
    listed = (await client.get("/v1/api-keys")).json()["data"]
    assert [k["name"] for k in listed] == ["laptop"] and "key" not in listed[0]
    await sign_in(browser, created["key"])
    assert (await browser.get("/v1/user")).status_code == 200
    assert (await client.delete(f"/v1/api-keys/{created['id']}")).json() == {"id": created["id"], "object": "api_key", "deleted": True}
    conformance.v1_error(await browser.get("/v1/user"), 401, "unauthorized_error")
    conformance.v1_error(await client.get("/v1/user", headers={"Authorization": f"Bearer {created['key']}"}), 401, "unauthorized_error")
    conformance.v1_error(await client.delete(f"/v1/api-keys/{created['id']}"), 404, "not_found_error")


async def new_link(runtime: Any) -> str:
    from vzero.api.signin import sign_in_link

    url = await sign_in_link(runtime)
    assert url.startswith("http://testserver/auth/link?token=")
    return url.removeprefix("http://testserver")


async def test_a_sign_in_link_works_once_then_redirects_without_its_token(browser: httpx.AsyncClient, runtime: Any) -> None:
    link = await new_link(runtime)
    async with runtime.db.session() as session:
        stored = (await session.execute(select(SignInLink))).scalars().one()
    assert stored.token_hash == hashlib.sha256(link.split("token=")[1].encode()).hexdigest()
    first = await browser.get(link)
    assert first.status_code == 303 and first.headers["location"] == "/" and "token" not in first.headers["location"]
    assert first.headers["referrer-policy"] == "no-referrer" and "vzero_session=" in set_cookie_header(first)
    assert (await browser.get("/v1/user")).status_code == 200
    browser.cookies.clear()
    again = await browser.get(link)
    assert again.status_code == 400 and "already been used or has expired" in again.text


async def test_a_sign_in_link_expires_and_never_redirects_off_site(browser: httpx.AsyncClient, runtime: Any) -> None:
    expired = await new_link(runtime)
    async with runtime.db.session() as session:
        await session.execute(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert (await browser.get(expired)).status_code == 400
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"), ("/chats/abc", "/chats/abc")):
        followed = await browser.get(await new_link(runtime) + f"&next={target}")
        assert followed.headers["location"] == expected
    assert (await browser.get("/auth/link?token=")).status_code == 400


async def test_shared_chats_read_without_signing_in(client: httpx.AsyncClient, browser: httpx.AsyncClient) -> None:
    files = [{"name": "app/page.tsx", "content": PAGE}]
    shared = {}
    for privacy in ("public", "unlisted", "private", "team"):
        shared[privacy] = conformance.v1("chats.init", await client.post("/v1/chats/init", json={"type": "files", "files": files, "chatPrivacy": privacy}))
    for privacy in ("public", "unlisted"):
        chat = shared[privacy]
        got = conformance.v1("chats.getById", await browser.get(f"/v1/chats/{chat['id']}"))
        assert got["permissions"]["write"] is False
        conformance.v1("chats.findVersions", await browser.get(f"/v1/chats/{chat['id']}/versions"))
        conformance.v1("chats.getVersion", await browser.get(f"/v1/chats/{chat['id']}/versions/{chat['latestVersion']['id']}"))
        assert (await browser.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 10})).status_code == 200
        follow = await browser.post(f"/v2/chats/{chat['id']}/resume")  # nothing running: the closing snapshot only
        assert follow.status_code == 200 and follow.headers["content-type"].startswith("text/event-stream")
        # reading is all: no change, no fork, no list
        conformance.v1_error(await browser.patch(f"/v1/chats/{chat['id']}", json={"name": "mine"}), 401, "unauthorized_error")
        conformance.v1_error(await browser.post(f"/v1/chats/{chat['id']}/fork", json={}), 401, "unauthorized_error")
    for privacy in ("private", "team"):
        conformance.v1_error(await browser.get(f"/v1/chats/{shared[privacy]['id']}"), 404, "not_found_error")
        assert (await browser.post(f"/v2/chats/{shared[privacy]['id']}/resume")).status_code == 404
    assert (await browser.post(f"/v2/chats/{shared['public']['id']}/messages", json={"message": "hi"})).status_code == 401
    conformance.v1_error(await browser.get("/v1/chats"), 401, "unauthorized_error")
    conformance.v1_error(await browser.get("/v1/user"), 401, "unauthorized_error")


@pytest.fixture
def https_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "https", api_key=API_KEY, public_url="https://vzero.example", preview_url="https://previews.example.net")


async def test_over_https_the_cookie_is_secure_and_host_locked(https_settings: Settings) -> None:
    app = create_app(https_settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://vzero.example") as c:
        response = await c.post("/auth/login", json={"apiKey": API_KEY})
        cookie = set_cookie_header(response)
        assert cookie.startswith("__Host-vzero_session=") and "; secure" in cookie.lower() and "domain" not in cookie.lower()
        assert (await c.get("/v1/user")).status_code == 200


async def test_the_hosts_split(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "split", api_key=API_KEY, host="127.0.0.1", port=8123)
    assert settings.origins.preview == "http://localhost:8123"
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    key = {"Authorization": f"Bearer {API_KEY}"}
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8123", headers=key) as ui, \
            httpx.AsyncClient(transport=transport, base_url="http://localhost:8123", headers=key) as previews:
        chat = (await ui.post("/v1/chats/init", json={"type": "files", "files": [{"name": "a.txt", "content": "a"}]})).json()
        demo = chat["latestVersion"]["demoUrl"]
        assert demo.startswith("http://localhost:8123/preview/")
        path = demo.removeprefix("http://localhost:8123")
        # the UI host serves no preview, the preview host nothing else
        assert (await ui.get(path)).status_code == 404
        assert (await ui.get("/deployments/abc/")).status_code == 404
        for other in ("/", "/login", f"/chats/{chat['id']}", "/ui/index.html", "/auth/session", "/v2/chats"):
            assert (await previews.get(other)).status_code == 404, other
        conformance.v1_error(await previews.get("/v1/user"), 404, "not_found_error")
        assert (await previews.get("/healthz")).status_code == 200
        page = await previews.get(path)
        assert page.status_code != 404
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'self' http://127.0.0.1:8123" in csp and "sandbox" not in csp
        assert "access-control-allow-origin" not in page.headers
