"""shadcn-style registry items served from 127.0.0.1: placement, dependencies, cycles and hostile items."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from vzero.config import Settings
from vzero.errors import PayloadTooLarge, SourceError, UnsafeSource
from vzero.sources.fetch import SafeFetcher
from vzero.sources.registry import MAX_REGISTRY_DEPTH, MAX_REGISTRY_ITEMS, import_registry

OPEN = Settings(allow_private_urls=True)


class Registry:
    """Serves registry JSON from a dict of paths; records what was asked for."""

    def __init__(self) -> None:
        self.items: dict[str, bytes] = {}
        self.seen: list[str] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                registry.seen.append(self.path)
                body = registry.items.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def put(self, path: str, item: dict[str, Any] | str) -> str:
        self.items[path] = (item if isinstance(item, str) else json.dumps(item)).encode()
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def registry() -> Iterator[Registry]:
    served = Registry()
    yield served
    served.httpd.shutdown()
    served.httpd.server_close()


def item(name: str, kind: str, files: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {"$schema": "https://ui.shadcn.com/schema/registry-item.json", "name": name, "type": kind, "files": files, **extra}


def by_path(files: list) -> dict[str, bytes]:
    return {f.path: f.content for f in files}


async def test_item_with_dependencies_is_placed_like_the_shadcn_cli(registry: Registry) -> None:
    other = registry.put(
        "/other/input.json",
        item("input", "registry:ui", [{"path": "ui/input.tsx", "type": "registry:ui", "content": "export function Input() {}"}]),
    )
    root = registry.put(
        "/r/login-form.json",
        item(
            "login-form",
            "registry:block",
            [
                {"path": "registry/new-york/blocks/login/components/login-form.tsx", "type": "registry:component", "content": "form"},
                {"path": "registry/new-york/blocks/login/page.tsx", "type": "registry:page", "target": "app/login/page.tsx", "content": "page"},
                {"path": "registry/new-york/blocks/login/use-mobile.ts", "type": "registry:hook", "content": "hook"},
                {"path": "env.example", "type": "registry:file", "target": "~/.env.example", "content": "KEY="},
            ],
            dependencies=["zod", "@radix-ui/react-label@^2.1.0"],
            registryDependencies=["button", other, "utils"],
            cssVars={"light": {"primary": "red"}},
        ),
    )
    registry.put(
        "/r/button.json",
        item(
            "button",
            "registry:ui",
            [{"path": "registry/new-york/ui/button.tsx", "type": "registry:ui", "content": "export function Button() {}"}],
            dependencies=["@radix-ui/react-slot"],
            registryDependencies=["utils"],
        ),
    )
    registry.put(
        "/r/utils.json",
        item("utils", "registry:lib", [{"path": "lib/utils.ts", "type": "registry:lib", "content": "export function cn() {}"}],
             registryDependencies=["button"]),  # a cycle back to button
    )
    files = by_path(await import_registry(root, OPEN))
    assert set(files) == {
        "components/login-form.tsx",
        "app/login/page.tsx",
        "hooks/use-mobile.ts",
        ".env.example",
        "components/ui/button.tsx",
        "components/ui/input.tsx",
        "lib/utils.ts",
        "package.json",
    }
    assert files["components/ui/button.tsx"] == b"export function Button() {}"
    assert json.loads(files["package.json"]) == {
        "name": "login-form",
        "private": True,
        "dependencies": {"@radix-ui/react-label": "^2.1.0", "@radix-ui/react-slot": "latest", "zod": "latest"},
    }
    assert sorted(registry.seen) == ["/other/input.json", "/r/button.json", "/r/login-form.json", "/r/utils.json"]


async def test_page_without_target_goes_under_app(registry: Registry) -> None:
    url = registry.put("/r/dashboard.json", item("dashboard", "registry:page", [{"path": "blocks/dashboard/page.tsx", "content": "p"}]))
    assert by_path(await import_registry(url, OPEN)) == {"app/dashboard/page.tsx": b"p"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected shape"),
        ('{"name": "x", "files": "nope"}', "files"),
        ('{"files": []}', "name"),
        ('{"name": "x", "files": [{"type": "registry:ui", "content": "x"}]}', "files.0.path"),
        ('{"name": "x", "files": [{"path": "ui/a.tsx", "type": "registry:ui"}]}', "no content"),
        ('{"name": "x", "files": [{"path": "a.txt", "type": "registry:file", "content": "x"}]}', "no target"),
        ('{"name": "x", "files": [], "registryDependencies": ["@acme/button"]}', "namespaced"),
        ('{"name": "x", "files": [], "registryDependencies": ["../../secret"]}', "invalid dependency"),
        ('{"name": "x", "files": [], "dependencies": ["rm -rf /"]}', "invalid npm dependency"),
        ('{"name": "x", "files": [], "registryDependencies": ["missing"]}', "answered 404"),
    ],
)
async def test_malformed_items_are_clear_source_errors(registry: Registry, body: str, message: str) -> None:
    url = registry.put("/r/bad.json", body)
    with pytest.raises(SourceError, match=message):
        await import_registry(url, OPEN)


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "~/../outside.ts", "app\\..\\..\\x"])
async def test_hostile_targets_are_refused(registry: Registry, target: str) -> None:
    url = registry.put("/r/evil.json", item("evil", "registry:ui", [{"path": "ui/x.tsx", "target": target, "content": "x"}]))
    with pytest.raises(UnsafeSource):
        await import_registry(url, OPEN)


async def test_dependency_chain_depth_is_limited(registry: Registry) -> None:
    for n in range(MAX_REGISTRY_DEPTH + 2):
        registry.put(f"/chain/d{n}.json", item(f"d{n}", "registry:lib", [], registryDependencies=[f"d{n + 1}"]))
    with pytest.raises(SourceError, match="nest deeper"):
        await import_registry(registry.url("/chain/d0.json"), OPEN)
    assert len(registry.seen) == MAX_REGISTRY_DEPTH + 1


async def test_dependency_count_is_limited(registry: Registry) -> None:
    names = [f"n{i}" for i in range(MAX_REGISTRY_ITEMS + 5)]
    url = registry.put("/wide/root.json", item("root", "registry:lib", [], registryDependencies=names))
    with pytest.raises(PayloadTooLarge, match="registry items"):
        await import_registry(url, OPEN)
    assert registry.seen == ["/wide/root.json"]


async def test_dependencies_go_through_the_same_address_check(registry: Registry) -> None:
    # The item is served as if from a public host; its dependency points at 127.0.0.1 directly.
    secret = registry.put("/internal/secret.json", item("secret", "registry:lib", [{"path": "lib/s.ts", "content": "s"}]))
    registry.put("/r/root.json", item("root", "registry:lib", [], registryDependencies=[secret]))
    fetcher = SafeFetcher(Settings())
    real = fetcher.vetted_addresses

    async def vetted(url: httpx.URL, *, action: str = "fetch") -> list[str]:
        return ["127.0.0.1"] if url.host == "registry.test" else await real(url, action=action)

    fetcher.vetted_addresses = vetted  # type: ignore[method-assign]
    with pytest.raises(UnsafeSource, match="loopback"):
        await import_registry(f"http://registry.test:{registry.port}/r/root.json", Settings(), fetcher)
    assert registry.seen == ["/r/root.json"]


async def test_registry_url_itself_is_checked(registry: Registry) -> None:
    url = registry.put("/r/x.json", item("x", "registry:lib", []))
    with pytest.raises(UnsafeSource, match="loopback"):
        await import_registry(url, Settings())
    with pytest.raises(UnsafeSource, match="only http and https"):
        await import_registry("file:///etc/passwd", Settings())
    assert registry.seen == []
