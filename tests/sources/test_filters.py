"""Path safety, import filters, limits, and inline files (v1 `type: files`) built on them."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vzero.config import Settings
from vzero.core.files import safe_path
from vzero.errors import InvalidInput, PayloadTooLarge, SourceError, UnsafeSource
from vzero.sources import ImportedFile, is_binary, lock_all
from vzero.sources.fetch import SafeFetcher
from vzero.sources.files import InlineFile, import_inline_files
from vzero.sources.filters import FileBudget, in_model_context, is_ignored, select_files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app/page.tsx", "app/page.tsx"),
        ("./app/page.tsx", "app/page.tsx"),
        ("components\\ui\\button.tsx", "components/ui/button.tsx"),
        (".env.example", ".env.example"),
        ("a/...b/c", "a/...b/c"),
        ("über/straße.ts", "über/straße.ts"),
    ],
)
def test_safe_path_accepts_and_normalises(name: str, expected: str) -> None:
    assert safe_path(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "..",
        "../x",
        "a/../../x",
        "a/..",
        "/etc/passwd",
        "\\\\server\\share\\x",
        "\\x",
        "..\\x",
        "C:\\Windows\\x",
        "c:x",
        "a//b",
        "a/./b",
        "a/",
        ".",
        "a\x00b",
        "a\nb",
        "x" * 1025,
    ],
)
def test_safe_path_refuses_escapes_and_tricks(name: str) -> None:
    with pytest.raises(UnsafeSource):
        safe_path(name)


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        (".git/config", True),
        ("node_modules/react/index.js", True),
        ("packages/ui/node_modules/x.js", True),
        (".next/server/app.js", True),
        ("src/__pycache__/a.pyc", True),
        (".vercel/project.json", True),
        (".turbo/cache", True),
        ("coverage/lcov.info", True),
        ("__MACOSX/._a", True),
        ("app/.DS_Store", True),
        ("dist/index.js", True),
        ("build/index.html", True),
        ("out/index.html", True),
        ("packages/ui/dist/index.js", True),
        ("app/build/page.tsx", False),  # a route called /build, not build output
        ("components/out/x.tsx", False),
        ("package-lock.json", False),  # kept, but out of the model's context
        ("app/page.tsx", False),
        (".gitignore", False),
        (".github/workflows/ci.yml", False),
    ],
)
def test_is_ignored(path: str, ignored: bool) -> None:
    assert is_ignored(path) is ignored


@pytest.mark.parametrize(
    ("path", "visible"),
    [
        ("app/page.tsx", True),
        ("package.json", True),
        (".env.example", True),
        ("package-lock.json", False),
        ("pnpm-lock.yaml", False),
        ("yarn.lock", False),
        ("bun.lockb", False),
        (".env", False),
        (".env.local", False),
        ("public/app.min.js", False),
        ("dist.js.map", False),
    ],
)
def test_in_model_context(path: str, visible: bool) -> None:
    assert in_model_context(path) is visible


def test_is_binary_by_extension_and_content() -> None:
    assert is_binary("logo.png", b"anything")
    assert is_binary("font.woff2", b"")
    assert is_binary("blob.dat", b"abc\x00def")
    assert is_binary("latin1.txt", "café".encode("latin-1") + b" more text here")
    assert not is_binary("app/page.tsx", "export const x = 'é'".encode())
    assert ImportedFile("a.png", b"x").is_binary


def test_budget_counts_files_and_bytes() -> None:
    budget = FileBudget(Settings(max_files=3, max_file_bytes=10, max_total_file_bytes=25))
    budget.add("a", 10)
    budget.add("b", 10)
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILE_BYTES"):
        budget.add("c", 11)
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_TOTAL_FILE_BYTES"):
        budget.add("d", 6)
    single = FileBudget(Settings(max_files=1))
    single.add("x", 0)
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILES"):
        single.add("y", 0)


def test_select_files_normalises_drops_and_refuses_duplicates() -> None:
    chosen = select_files(
        [ImportedFile("./app/page.tsx", b"p", True), ImportedFile("node_modules/x.js", b"x"), ImportedFile("a.ts", b"a")],
        Settings(),
    )
    assert chosen == [ImportedFile("app/page.tsx", b"p", True), ImportedFile("a.ts", b"a")]
    with pytest.raises(SourceError, match="more than once"):
        select_files([ImportedFile("a.ts", b"1"), ImportedFile("./a.ts", b"2")], Settings())
    assert lock_all(chosen)[1].locked


@pytest.fixture
def file_server() -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            body = b"fetched:" + self.path.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield httpd.server_address[1], seen
    httpd.shutdown()
    httpd.server_close()


async def test_inline_files_with_content_urls_and_data_uris(file_server: tuple[int, list[str]]) -> None:
    port, seen = file_server
    settings = Settings(allow_private_urls=True)
    png = b"\x89PNG\r\n\x1a\n" + bytes(20)
    files = await import_inline_files(
        [
            {"name": "app/page.tsx", "content": "export default function Page() {}", "locked": True},
            InlineFile(name="lib/remote.ts", url=f"http://127.0.0.1:{port}/remote.ts"),
            {"name": "public/logo.png", "url": "data:image/png;base64," + base64.b64encode(png).decode()},
            {"name": "notes.txt", "url": "data:,hello%20world"},
        ],
        SafeFetcher(settings),
        settings,
    )
    assert [(f.path, f.content, f.locked) for f in files] == [
        ("app/page.tsx", b"export default function Page() {}", True),
        ("lib/remote.ts", b"fetched:/remote.ts", False),
        ("public/logo.png", png, False),
        ("notes.txt", b"hello world", False),
    ]
    assert files[2].is_binary
    assert seen == ["/remote.ts"]


async def test_inline_file_urls_go_through_the_address_check(file_server: tuple[int, list[str]]) -> None:
    port, seen = file_server
    with pytest.raises(UnsafeSource, match="loopback"):
        await import_inline_files(
            [{"name": "a.ts", "url": f"http://127.0.0.1:{port}/a.ts"}], SafeFetcher(Settings()), Settings()
        )
    assert seen == []


async def test_inline_file_names_are_checked_before_anything_is_fetched(file_server: tuple[int, list[str]]) -> None:
    port, seen = file_server
    settings = Settings(allow_private_urls=True)
    with pytest.raises(UnsafeSource):
        await import_inline_files(
            [{"name": "ok.ts", "url": f"http://127.0.0.1:{port}/ok"}, {"name": "../../etc/cron.d/x", "content": "x"}],
            SafeFetcher(settings),
            settings,
        )
    assert seen == []


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"name": "a.ts"}, InvalidInput),
        ({"name": "a.ts", "content": "x", "url": "http://example.com/x"}, InvalidInput),
        ({"content": "x"}, InvalidInput),
        ({"name": "a.ts", "url": "data:text/plain;base64,@@@"}, InvalidInput),
        ({"name": "a.ts", "url": "data:nocomma"}, InvalidInput),
        ({"name": "a.ts", "url": "file:///etc/passwd"}, UnsafeSource),
    ],
)
async def test_inline_file_mistakes_are_clear_errors(spec: dict[str, str], error: type[Exception]) -> None:
    settings = Settings()
    with pytest.raises(error):
        await import_inline_files([spec], SafeFetcher(settings), settings)


async def test_inline_files_limits() -> None:
    settings = Settings(max_files=2, max_file_bytes=100)
    fetcher = SafeFetcher(settings)
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILES"):
        await import_inline_files([{"name": f"f{i}", "content": "x"} for i in range(3)], fetcher, settings)
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILE_BYTES"):
        await import_inline_files([{"name": "big.txt", "content": "x" * 101}], fetcher, settings)
    big = base64.b64encode(bytes(1000)).decode()
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILE_BYTES"):
        await import_inline_files([{"name": "big.bin", "url": f"data:application/octet-stream;base64,{big}"}], fetcher, settings)
