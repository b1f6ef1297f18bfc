"""Load built previews in headless Chromium (Debian's package) over a real local HTTP server."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from preview_apps import COUNTER_APP, PreviewServer, require_runtime

from vzero.preview import BuildResult, PreviewBuilder

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="install Debian's chromium (apt-get install chromium) to load previews in a browser")


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
