"""PackageStore against a registry on 127.0.0.1: versions, shared installs, the cache, and hostile packages."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fake_registry import FakeRegistry, tarball

from vzero.preview.packages import PackagePolicy, PackageStore
from vzero.preview.registry import PackageNotFound, PackageRefused, Registry, RegistryUnreachable, check_name


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    yield fake
    fake.close()


def store_for(root: Path, fake: FakeRegistry, **policy: object) -> PackageStore:
    settings = PackagePolicy(registry=fake.url, **policy)  # type: ignore[arg-type]
    return PackageStore(root, settings, registry=Registry(fake.url, timeout=settings.timeout, max_tarball_bytes=settings.max_tarball_bytes))


@pytest.fixture
async def store(tmp_path: Path, registry: FakeRegistry) -> AsyncIterator[PackageStore]:
    s = store_for(tmp_path / "packages", registry)
    yield s
    await s.aclose()


def publish_widget(registry: FakeRegistry, version: str = "1.2.0", **extra: object) -> None:
    registry.publish("widget", version, {"index.js": f"export const version = {json.dumps(version)};\n"}, **extra)  # type: ignore[arg-type]


async def test_a_range_picks_the_highest_matching_version(store: PackageStore, registry: FakeRegistry) -> None:
    for version in ("1.0.0", "1.2.0", "1.10.1", "2.0.0-beta.1", "2.0.0"):
        publish_widget(registry, version, tag="next" if "beta" in version else "latest")
    assert (await store.choose("widget", "^1.2.0")).version == "1.10.1"
    assert (await store.choose("widget", "~1.2.0")).version == "1.2.0"
    assert (await store.choose("widget", None)).version == "2.0.0"  # no range: dist-tag latest
    assert (await store.choose("widget", "next")).version == "2.0.0-beta.1"
    with pytest.raises(PackageNotFound, match=r"no published version matches '\^3' \(latest is 2.0.0\)"):
        await store.choose("widget", "^3")
    with pytest.raises(PackageNotFound, match="has no such package"):
        await store.choose("no-such-package", "^1")
    assert registry.requests["/widget"] == 1  # metadata is fetched once and kept


async def test_install_unpacks_the_package(store: PackageStore, registry: FakeRegistry) -> None:
    publish_widget(registry, manifest={"dependencies": {"tiny": "^1.0.0"}, "peerDependencies": {"react": ">=18"}})
    release = await store.choose("widget", "^1")
    folder = await store.install(release)
    assert (folder / "node_modules" / "widget" / "index.js").read_text() == 'export const version = "1.2.0";\n'
    assert store.is_installed("widget", "1.2.0") and store.installs == 1
    installed = store.installed_release("widget", "1.2.0")
    assert installed.dependencies == {"tiny": "^1.0.0"} and installed.peer_dependencies == {"react": ">=18"}


async def test_concurrent_installs_share_one_download(tmp_path: Path) -> None:
    slow = FakeRegistry(delay=0.3)
    try:
        publish_widget(slow)
        first, second = store_for(tmp_path / "packages", slow), store_for(tmp_path / "packages", slow)  # two "processes"
        release = await first.choose("widget", "1.2.0")
        folders = await asyncio.gather(*(first.install(release) for _ in range(5)), second.install(release))
        assert len(set(folders)) == 1
        assert slow.tarball_fetches("widget") == 1  # the second store waited for the first one's file lock
        assert first.installs + second.installs == 1
        await asyncio.gather(first.aclose(), second.aclose())
    finally:
        slow.close()


async def test_the_cache_answers_after_a_restart_and_offline(tmp_path: Path, registry: FakeRegistry) -> None:
    publish_widget(registry)
    store = store_for(tmp_path / "packages", registry)
    await store.install(await store.choose("widget", "^1.0.0"))
    await store.aclose()
    registry.close()  # now nothing answers on that port
    restarted = store_for(tmp_path / "packages", registry)
    try:
        release = await restarted.choose("widget", "^1.0.0")  # from the metadata kept on disk
        assert release.version == "1.2.0"
        assert (await restarted.install(release)).is_dir() and restarted.installs == 0
        assert (await restarted.choose("widget", "1.2.0")).version == "1.2.0"  # an exact version needs no metadata
        stale = await restarted.packument("widget", fresh=True)  # the registry is down: the old copy answers
        assert "1.2.0" in stale.versions
        with pytest.raises(RegistryUnreachable, match="could not be reached"):
            await restarted.choose("other", "^1")
    finally:
        await restarted.aclose()


@pytest.mark.parametrize(
    "name",
    ["../etc", "@scope/../x", "a b", "http://evil.example/x", ".hidden", "_private", "node_modules", "@a/b/c", "x" * 215, "", "a\nb"],
)
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(PackageRefused, match="is not a valid npm package name"):
        check_name(name)


@pytest.mark.parametrize(
    "spec",
    ["file:../../etc", "git+https://github.com/a/b.git", "github:user/repo", "user/repo", "npm:left-pad@1", "https://evil.example/x.tgz", "workspace:*", "link:../x", "1.0.0 || $(rm -rf /)"],
)
async def test_hostile_ranges_are_refused(store: PackageStore, registry: FakeRegistry, spec: str) -> None:
    publish_widget(registry)
    with pytest.raises(PackageRefused, match="is not a version range or dist-tag"):
        await store.choose("widget", spec)
    assert registry.requests == {}  # refused before anything was asked of the registry


async def test_deny_and_allow_lists(tmp_path: Path, registry: FakeRegistry) -> None:
    publish_widget(registry)
    denied = store_for(tmp_path / "a", registry, deny=("widget", "@evil/*"))
    allowed = store_for(tmp_path / "b", registry, allow=("@mui/*", "gsap"))
    try:
        with pytest.raises(PackageRefused, match="deny list"):
            await denied.choose("widget", "^1")
        with pytest.raises(PackageRefused, match="deny list"):
            await denied.choose("@evil/pkg", "^1")
        with pytest.raises(PackageRefused, match="not on the allow list"):
            await allowed.choose("widget", "^1")
    finally:
        await asyncio.gather(denied.aclose(), allowed.aclose())


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("escape", "has an entry that leaves its folder"),
        ("absolute", "has an entry that leaves its folder"),
        ("integrity", "does not match the integrity hash"),
        ("elsewhere", "is not on the registry"),
        ("other-package", "holds left-pad@1.2.0, not what was asked for"),
        ("not-a-tarball", "cannot be read"),
    ],
)
async def test_hostile_tarballs_are_refused(store: PackageStore, registry: FakeRegistry, tmp_path: Path, kind: str, message: str) -> None:
    files = {"index.js": "export default 1\n"}
    if kind == "escape":
        body = tarball(files, raw_names={"package/../../../../outside.js": b"pwned"})
        registry.publish("widget", "1.2.0", files, body=body)
    elif kind == "absolute":
        registry.publish("widget", "1.2.0", files, body=tarball(files, raw_names={"/tmp/vzero-pwned.js": b"pwned"}))
    elif kind == "integrity":
        registry.publish("widget", "1.2.0", files, stated_integrity="sha512-" + "A" * 86 + "==")
    elif kind == "elsewhere":
        registry.publish("widget", "1.2.0", files, tarball_url="http://169.254.169.254/widget.tgz")
    elif kind == "other-package":
        registry.publish("widget", "1.2.0", files, body=tarball({"package.json": json.dumps({"name": "left-pad", "version": "1.2.0"})}))
    else:
        registry.publish("widget", "1.2.0", files, body=b"<html>not a tarball</html>")
    release = await store.choose("widget", "1.2.0")
    with pytest.raises(PackageRefused, match=message):
        await store.install(release)
    assert not store.is_installed("widget", "1.2.0")
    assert not (tmp_path / "outside.js").exists() and not Path("/tmp/vzero-pwned.js").exists()
    leftovers = [p for p in (tmp_path / "packages" / "pkgs").rglob("*")] if (tmp_path / "packages" / "pkgs").exists() else []
    assert leftovers == []  # nothing half-unpacked stays behind


async def test_links_in_a_tarball_are_not_unpacked(store: PackageStore, registry: FakeRegistry) -> None:
    files = {"index.js": "export default 1\n", "package.json": json.dumps({"name": "widget", "version": "1.2.0"})}
    registry.publish("widget", "1.2.0", files, body=tarball(files, links={"passwd.js": "/etc/passwd", "up.js": "../../../x"}))
    folder = await store.install(await store.choose("widget", "1.2.0"))
    package = folder / "node_modules" / "widget"
    assert sorted(p.name for p in package.iterdir()) == ["index.js", "package.json"]


async def test_oversize_packages_are_refused(tmp_path: Path, registry: FakeRegistry) -> None:
    registry.publish("big", "1.0.0", {"blob.js": "x" * 50_000})
    registry.publish("many", "1.0.0", {f"f{i}.js": "1" for i in range(30)})
    store = store_for(tmp_path / "packages", registry, max_package_bytes=20_000, max_files=20)
    tiny_downloads = store_for(tmp_path / "other", registry, max_tarball_bytes=100)
    try:
        with pytest.raises(PackageRefused, match="unpacks to more than"):
            await store.install(await store.choose("big", "1.0.0"))
        with pytest.raises(PackageRefused, match="has more than 20 files"):
            await store.install(await store.choose("many", "1.0.0"))
        with pytest.raises(PackageRefused, match="more than the limit"):
            await tiny_downloads.install(await tiny_downloads.choose("big", "1.0.0"))
    finally:
        await asyncio.gather(store.aclose(), tiny_downloads.aclose())


async def test_install_time_limit(tmp_path: Path) -> None:
    slow = FakeRegistry(delay=1.5)
    try:
        publish_widget(slow)
        store = store_for(tmp_path / "packages", slow, timeout=1.0)
        with pytest.raises(RegistryUnreachable, match="did not answer within 1 s|took longer than 1 s"):
            await store.install(await store.choose("widget", "1.2.0"))
        await store.aclose()
    finally:
        slow.close()


async def test_least_recently_used_packages_are_evicted(tmp_path: Path, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    import vzero.preview.packages as packages

    monkeypatch.setattr(packages, "_KEEP_RECENT", 0.0)
    monkeypatch.setattr(packages, "_TOUCH_EVERY", 0.0)
    for name in ("old", "mid", "new"):
        registry.publish(name, "1.0.0", {"index.js": "x" * 10_000})
    store = store_for(tmp_path / "packages", registry)
    try:
        for name in ("old", "mid", "new"):
            await store.install(await store.choose(name, "1.0.0"))
        await store.aclose()  # the prune each install schedules has run (nothing to do under the default limit)
        store.policy = dataclasses.replace(store.policy, cache_bytes=25_000)
        for name in ("old", "mid", "new"):
            marker = store.package_dir(name, "1.0.0") / ".vzero-installed.json"
            stamp = time.time() - {"old": 300, "mid": 200, "new": 100}[name]
            os.utime(marker, (stamp, stamp))
        store.touch("old", "1.0.0")  # used just now: the least recently used one is "mid"
        evicted = await asyncio.to_thread(store.prune)
        assert evicted == ["mid@1.0.0"]
        assert store.is_installed("old", "1.0.0") and store.is_installed("new", "1.0.0")
    finally:
        await store.aclose()


async def test_old_metadata_answers_while_it_is_refreshed(store: PackageStore, registry: FakeRegistry) -> None:
    publish_widget(registry, "1.0.0")
    assert (await store.choose("widget", "^1")).version == "1.0.0"
    publish_widget(registry, "1.1.0")
    store.policy = dataclasses.replace(store.policy, metadata_ttl=0.0)  # everything is old now
    assert (await store.choose("widget", "^1")).version == "1.0.0"  # answered at once from what was known
    for _ in range(100):
        if registry.requests["/widget"] == 2 and not store._fetching:
            break
        await asyncio.sleep(0.02)
    assert (await store.choose("widget", "^1")).version == "1.1.0"  # the refresh made in the background


async def test_an_unreachable_registry_is_not_asked_again_at_once(tmp_path: Path, registry: FakeRegistry) -> None:
    publish_widget(registry)
    registry.close()  # nothing answers on that port any more
    store = store_for(tmp_path / "packages", registry)
    try:
        with pytest.raises(RegistryUnreachable, match="could not be reached"):
            await store.choose("widget", "^1")
        started = time.monotonic()
        with pytest.raises(RegistryUnreachable, match="could not be reached"):
            await store.choose("other", "^1")  # the next build learns it at once
        assert time.monotonic() - started < 0.05
    finally:
        await store.aclose()
