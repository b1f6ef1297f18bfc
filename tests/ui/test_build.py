"""Building and serving the workspace (vzero/ui/build.py, routes.py): from sources, by digest, on first start."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.server import VzeroServer
from tests.ui.conftest import require_ui
from vzero.config import Settings
from vzero.ui import build as ui_build


def test_the_build_is_named_by_its_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digest = ui_build.source_digest()
    assert digest == ui_build.source_digest() and len(digest) == 20
    folder = require_ui()
    assert folder.name == digest and (folder / "manifest.json").is_file()
    assert ui_build.built(folder.parent.parent) == folder
    assert ui_build.built(tmp_path) is None
    # the default build dir is the source folder when it is writable, else the data dir's
    assert ui_build.build_dir_for(tmp_path) == ui_build.SOURCE_DIR
    assert ui_build.build_dir_for(tmp_path, tmp_path / "x") == (tmp_path / "x").resolve()
    monkeypatch.setattr(ui_build.os, "access", lambda *a: False)
    assert ui_build.build_dir_for(tmp_path) == (tmp_path / "ui").resolve()


def test_the_sources_typecheck() -> None:
    """tsc --noEmit over src/ (strict): the bundler strips types without checking them."""
    require_ui()
    tsc = ui_build.SOURCE_DIR / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.skip("the workspace is built outside its source folder (VZERO_UI_BUILD_DIR): no TypeScript to run here")
    done = subprocess.run([str(tsc), "-p", str(ui_build.SOURCE_DIR / "tsconfig.json"), "--noEmit"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_the_shell_and_its_files_are_served(client: httpx.AsyncClient, settings: Settings) -> None:
    require_ui()
    shell = await client.get("/chats/anything", headers={"Accept-Encoding": "gzip"})
    assert shell.status_code == 200 and shell.headers["content-type"].startswith("text/html")
    csp = shell.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "frame-src 'self'" in csp  # testserver: same-host previews
    assert shell.headers["cache-control"] == "no-cache" and shell.headers["x-content-type-options"] == "nosniff"
    script = re.search(r'<script type="module" src="([^"]+)"', shell.text).group(1)  # type: ignore[union-attr]
    assert script.startswith("/ui/") and "cdn" not in shell.text.lower() and "https://" not in shell.text
    asset = await client.get(script, headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200 and asset.headers["content-type"].startswith("text/javascript")
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable" and asset.headers["content-encoding"] == "gzip"
    assert 1000 < asset.num_bytes_downloaded < len(asset.content) / 2  # httpx decoded what came gzipped
    for missing in ("/ui/nope.js", "/ui/../build.py", "/ui/manifest.json", "/ui/%2e%2e/%2e%2e/config.py"):
        assert (await client.get(missing)).status_code == 404, missing
    # the API keeps its own 404s
    assert (await client.get("/v1/nope")).json()["error"]["type"] == "not_found_error"


def test_vzero_serve_builds_the_workspace_on_first_start(tmp_path: Path) -> None:
    """A fresh build dir: the server answers at once (the API works), says the workspace is being prepared, then
    serves it; `pip install -e . && vzero serve` is the whole set-up."""
    require_ui()
    build_dir = tmp_path / "ui-build"
    with VzeroServer(tmp_path / "data", env={"VZERO_UI_BUILD_DIR": str(build_dir)}) as server, httpx.Client(timeout=30) as c:
        assert c.get(server.base_url + "/v1/user", headers=server.headers).status_code == 200
        first = c.get(server.base_url + "/")
        assert first.status_code == 503 and "Preparing the workspace" in first.text and 'http-equiv="refresh"' in first.text
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            page = c.get(server.base_url + "/")
            if page.status_code == 200:
                break
            assert "could not be built" not in page.text, page.text
            time.sleep(1)
        assert page.status_code == 200 and '<div id="app">' in page.text
    assert ui_build.built(build_dir) is not None and (build_dir / "node_modules").is_dir()
    shutil.rmtree(build_dir, ignore_errors=True)
