"""Load built previews in headless Chromium (Debian's package) over a real local HTTP server."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from preview_apps import COUNTER_APP, require_runtime

from vzero.preview import BuildResult, PreviewBuilder, preview_headers, read_asset

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="install Debian's chromium (apt-get install chromium) to load previews in a browser")


class PreviewServer:
    """Serves built previews at /p/<n>/ the way the app will: read_asset plus preview_headers."""

    def __init__(self, runtime_dir: Path, packages_dir: Path | None = None) -> None:
        self.runtime_dir = runtime_dir
        self.packages_dir = packages_dir or runtime_dir / "packages"
        self.results: list[BuildResult] = []
        self.reports: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                _, _, index, name = (self.path.split("?")[0] + "/").split("/", 3)
                name = name.rstrip("/") if name != "/" else ""
                result = outer.results[int(index)]
                hit = read_asset(result, outer.runtime_dir, name, outer.packages_dir)
                if hit is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", hit[1])
                for key, value in preview_headers(result.script_hashes if name in ("", "index.html") else ()).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(hit[0])

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.endswith("/__errors"):
                    outer.reports.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, result: BuildResult) -> str:
        self.results.append(result)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/p/{len(self.results) - 1}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[PreviewServer]:
    s = PreviewServer(require_runtime())
    yield s
    s.close()


def dump_dom(url: str, tmp_path: Path) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'chrome'}",
         "--virtual-time-budget=5000", "--dump-dom", url],
        capture_output=True, text=True, timeout=60,
    )
    return done.stdout


async def build(tmp_path: Path, runtime_dir: Path, files: dict[str, bytes]) -> BuildResult:
    builder = PreviewBuilder(tmp_path / "data", runtime_dir=runtime_dir)
    try:
        result = await builder.build(files)
    finally:
        await builder.aclose()
    assert result.ok, result.errors
    return result


async def test_counter_app_renders_in_chromium(server: PreviewServer, tmp_path: Path) -> None:
    files = {
        **COUNTER_APP,
        "app/page.tsx": COUNTER_APP["app/page.tsx"].replace(
            b"<main", b'<><a id="about" href="/about">about</a><img id="logo" src="/logo.svg" alt="" /></>\n    <main'
        ).replace(b"return (", b"return (<>").replace(b"</main>\n  )", b"</main></>\n  )"),
    }
    result = await build(tmp_path, server.runtime_dir, files)
    dom = await asyncio.to_thread(dump_dom, server.url(result), tmp_path)
    assert '<p id="count" class="text-4xl font-bold">0</p>' in dom
    assert "lucide-plus" in dom and "Increment" in dom  # the shadcn button with its icon
    assert 'href="#/about"' in dom  # root-relative links become routes of the hash router
    assert 'src="./logo.svg"' in dom  # root-relative images stay inside the preview
    assert "<title>Counter</title>" in dom  # from the layout's metadata
    assert server.reports == []


async def test_runtime_error_is_shown_and_reported(server: PreviewServer, tmp_path: Path) -> None:
    files = {**COUNTER_APP, "app/page.tsx": b'export default function Page() { const x: any = null; return <p>{x.boom}</p> }\n'}
    result = await build(tmp_path, server.runtime_dir, files)
    dom = await asyncio.to_thread(dump_dom, server.url(result), tmp_path)
    assert 'id="vzero-error-overlay"' in dom
    assert any("reading 'boom'" in r["message"] and r["source"] == "react" and "Page" in r["stack"] for r in server.reports)
