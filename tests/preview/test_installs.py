"""Builds that need packages beyond the pinned set: installed from the real npm registry, shared and cached.

These tests skip when the registry npm is configured for cannot be reached; the air-gapped ones point vzero at
a closed port on 127.0.0.1 instead, so they always run.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_registry import FakeRegistry
from preview_apps import COUNTER_APP, PreviewServer, require_registry, require_runtime

from vzero.preview import PreviewBuilder, read_asset
from vzero.preview.builder import PackagesInstalling
from vzero.preview.packages import PackagePolicy
from vzero.preview.screenshots import find_chromium

ODD_PAGE = b'''"use client"
import isOdd from "is-odd"
export default function Page() {
  return <p id="odd">{[1, 2, 3].filter((n) => isOdd(n)).join(",")}</p>
}
'''


def app(page: bytes, dependencies: dict[str, str] | None = None, *, tag: str = "") -> dict[str, bytes]:
    files = {**COUNTER_APP, "app/page.tsx": page + f"\n// {tag}\n".encode()}
    files["package.json"] = json.dumps({"name": "app", "dependencies": {"next": "15.2.4", **(dependencies or {})}}).encode()
    return files


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


@pytest.fixture
async def fresh(tmp_path: Path) -> AsyncIterator[PreviewBuilder]:
    """A builder with an empty package cache of its own: everything it needs is installed from the registry."""
    require_registry()
    builder = PreviewBuilder(tmp_path / "data", runtime_dir=require_runtime(), packages_dir=tmp_path / "packages")
    yield builder
    await builder.aclose()


async def test_a_package_outside_the_pinned_set_is_installed_and_bundled(fresh: PreviewBuilder) -> None:
    result = await fresh.build(app(ODD_PAGE, {"is-odd": "^3.0.1"}))
    assert result.ok, result.errors
    # is-odd requires is-number: both are installed, each bundled once, and the page's import map finds them.
    packages = sorted(b.rsplit("/", 1)[0] for b in result.bundles if not b.startswith("@fontsource"))  # the layout's Inter
    assert packages == ["is-number@6.0.0", "is-odd@3.0.1"]
    assert {"is-odd@3.0.1", "is-number@6.0.0"} <= {p.parent.name + "/" + p.name if p.parent.name.startswith("@") else p.name for p in (fresh.packages_dir / "pkgs").iterdir()}
    import_map = json.loads(result.html.split('<script type="importmap">')[1].split("</script>")[0])
    odd_url = import_map["imports"]["is-odd"]
    assert odd_url.startswith("./vendor/npm/is-odd@3.0.1/") and import_map["imports"]["is-number"].startswith("./vendor/npm/is-number@6.0.0/")
    served = read_asset(result, fresh.runtime_dir, odd_url.removeprefix("./"), fresh.packages_dir)
    assert served is not None and served[1].startswith("text/javascript")
    assert b'from"is-number"' in served[0].replace(b" ", b"")  # its own import of is-number stays bare
    assert 'from "is-odd"' in result.assets["app.js"].decode()
    assert result.script_hashes and fresh.packages.installs == 2


async def test_a_view_that_will_not_wait_says_what_is_being_installed(tmp_path: Path) -> None:
    slow = FakeRegistry(delay=0.5)
    slow.publish("slow-widget", "1.0.0", {"index.js": "export default function Widget() { return 'widget' }\n"})
    builder = PreviewBuilder(tmp_path / "data", runtime_dir=require_runtime(), packages_dir=tmp_path / "packages", policy=PackagePolicy(registry=slow.url))
    page = b'import Widget from "slow-widget"\nexport default function Page() { return <p>{Widget()}</p> }\n'
    try:
        with pytest.raises(PackagesInstalling, match=r"Installing slow-widget(@1\.0\.0)? from the npm registry for this preview"):
            await builder.build(app(page, {"slow-widget": "^1.0.0"}), wait=0.2)
        result = await builder.build(app(page, {"slow-widget": "^1.0.0"}))  # the same build, which went on meanwhile
        assert result.ok and builder.packages.installs == 1 and slow.tarball_fetches("slow-widget") == 1
    finally:
        await builder.aclose()
        slow.close()


async def test_concurrent_builds_share_one_install(fresh: PreviewBuilder, tmp_path: Path) -> None:
    first, second = app(ODD_PAGE, {"is-odd": "^3.0.1"}, tag="a"), app(ODD_PAGE, {"is-odd": "^3.0.1"}, tag="b")
    other = PreviewBuilder(tmp_path / "data2", runtime_dir=fresh.runtime_dir, packages_dir=fresh.packages_dir)  # another process
    try:
        results = await asyncio.gather(fresh.build(first), fresh.build(second), other.build(second))
        assert all(r.ok for r in results), [r.errors for r in results]
        assert fresh.packages.installs + other.packages.installs == 2  # is-odd and is-number, each downloaded once
    finally:
        await other.aclose()


async def test_the_cache_is_reused_across_apps_and_restarts(fresh: PreviewBuilder, tmp_path: Path) -> None:
    assert (await fresh.build(app(ODD_PAGE, {"is-odd": "^3.0.1"}))).ok
    restarted = PreviewBuilder(tmp_path / "other-data", runtime_dir=fresh.runtime_dir, packages_dir=fresh.packages_dir)
    try:
        result = await restarted.build(app(ODD_PAGE, {"is-odd": "3.x"}, tag="another app"))
        assert result.ok, result.errors
        assert restarted.packages.installs == 0 and restarted.packages.fetches == 0  # no download, no metadata asked for
        assert restarted.resolver.bundles_built == 0  # the bundles too are reused
    finally:
        await restarted.aclose()


async def test_evicted_bundles_are_built_again(fresh: PreviewBuilder) -> None:
    files = app(ODD_PAGE, {"is-odd": "^3.0.1"})
    first = await fresh.build(files)
    import shutil

    shutil.rmtree(fresh.packages_dir / "bundles")  # e.g. evicted by the cache's size limit
    again = await fresh.build(files)
    assert again is not first and again.ok and not again.cached and fresh.resolver.bundles_built == 4


async def test_two_versions_side_by_side_in_chromium(tmp_path: Path) -> None:
    """lucide-react 0.454 (with the brand icons 1.x dropped) in one app, the pinned 1.x in another."""
    require_registry()
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("install Debian's chromium (apt-get install chromium) to load previews in a browser")
    runtime_dir = require_runtime()
    old = app(b'import { Github } from "lucide-react"\nexport default function Page() { return <Github id="icon" /> }\n', {"lucide-react": "^0.454.0"})
    new = app(b'import { Plus } from "lucide-react"\nexport default function Page() { return <Plus id="icon" /> }\n')
    builder = PreviewBuilder(tmp_path / "data", runtime_dir=runtime_dir)  # the runtime's shared package cache
    try:
        with_old, with_new = await asyncio.gather(builder.build(old), builder.build(new))
    finally:
        await builder.aclose()
    assert with_old.ok and with_new.ok, (with_old.errors, with_new.errors)
    assert [b.rsplit("/", 1)[0] for b in with_old.bundles if b.startswith("lucide")] == ["lucide-react@0.454.0"]
    assert 'from "lucide-react"' in with_old.assets["app.js"].decode()
    assert 'from "./vendor/lucide-react.js"' in with_new.assets["app.js"].decode() and not any(b.startswith("lucide") for b in with_new.bundles)
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

    def load() -> list[tuple[str, list[str]]]:
        server = PreviewServer(runtime_dir, builder.packages_dir)
        seen = []
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for result in (with_old, with_new):
                page = browser.new_page()
                problems: list[str] = []
                page.on("pageerror", lambda e, problems=problems: problems.append(str(e)))
                page.on("console", lambda m, problems=problems: problems.append(m.text) if m.type == "error" else None)
                page.goto(server.url(result), wait_until="networkidle")
                seen.append((page.get_attribute("#icon", "class") or "", problems))
                page.close()
            browser.close()
        server.close()
        return seen

    (old_icon, old_problems), (new_icon, new_problems) = await asyncio.to_thread(load)
    assert "lucide-github" in old_icon and old_problems == []
    assert "lucide-plus" in new_icon and new_problems == []


async def test_air_gapped_falls_back_to_the_pinned_set(tmp_path: Path) -> None:
    builder = PreviewBuilder(
        tmp_path / "data", runtime_dir=require_runtime(), packages_dir=tmp_path / "packages",
        policy=PackagePolicy(registry=closed_port(), timeout=5.0),
    )
    try:
        pinned = await builder.build(app(b'import { Plus } from "lucide-react"\nexport default function P() { return <Plus /> }\n', {"lucide-react": "^0.454.0"}))
        assert pinned.ok, pinned.errors  # lucide-react is pinned: its 1.x answers, with a note in the log
        assert "note: lucide-react: ^0.454.0 was asked for; the pinned 1." in pinned.log and "could not be reached" in pinned.log
        missing = await builder.build(app(ODD_PAGE, {"is-odd": "^3.0.1"}))
        assert not missing.ok and missing.transient
        [error] = missing.errors
        assert error.message.startswith("Module not found: 'is-odd' is not among the preview's pinned packages")
        assert "could not be reached" in error.message and "VZERO_PREVIEW_NPM_REGISTRY" in error.message
        assert (error.file, error.line) == ("app/page.tsx", 2)
        assert not (tmp_path / "data" / "previews" / missing.digest).exists()  # not kept: it may build once the registry is back
    finally:
        await builder.aclose()


async def test_installs_turned_off(tmp_path: Path) -> None:
    builder = PreviewBuilder(tmp_path / "data", runtime_dir=require_runtime(), packages_dir=tmp_path / "packages", policy=PackagePolicy(installs=False))
    try:
        result = await builder.build(app(ODD_PAGE, {"is-odd": "^3.0.1"}))
        assert not result.ok and "on-demand installs are off (VZERO_PREVIEW_NPM_INSTALLS=false)" in result.errors[0].message
        assert not (tmp_path / "packages" / "pkgs").exists()
    finally:
        await builder.aclose()


@pytest.mark.parametrize(
    ("dependencies", "policy", "message"),
    [
        ({"is-odd": "file:../../../etc"}, {}, "'is-odd' was refused: is-odd: 'file:../../../etc' is not a version range or dist-tag"),
        ({"is-odd": "github:someone/is-odd"}, {}, "is not a version range or dist-tag"),
        ({"is-odd": "^3.0.1"}, {"deny": ("is-*",)}, "'is-odd' was refused: is-odd is on the deny list (VZERO_PREVIEW_NPM_DENY)"),
        ({"is-odd": "^3.0.1"}, {"allow": ("@mui/*",)}, "is-odd is not on the allow list (VZERO_PREVIEW_NPM_ALLOW)"),
        ({"is-odd": "^3.0.1"}, {"max_package_bytes": 500}, "unpacks to more than"),
    ],
)
async def test_refused_packages_are_clear_build_errors(tmp_path: Path, dependencies: dict[str, str], policy: dict[str, object], message: str) -> None:
    if "max_package_bytes" in policy:
        require_registry()
    builder = PreviewBuilder(tmp_path / "data", runtime_dir=require_runtime(), packages_dir=tmp_path / "packages", policy=PackagePolicy(**policy))  # type: ignore[arg-type]
    try:
        result = await builder.build(app(ODD_PAGE, dependencies))
    finally:
        await builder.aclose()
    assert not result.ok
    assert message in result.errors[0].message
    assert result.errors[0].file == "app/page.tsx"
