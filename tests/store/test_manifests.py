"""Manifests stored as deltas against their parent's: same FileSets back, bounded chains, old full lists still read."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY, _truncate_pg
from vzero.config import Settings
from vzero.core.files import FileEntry, FileSet
from vzero.store.blobs import MAX_DELTA_DEPTH, BlobStore
from vzero.store.db import Database


def app_files(count: int = 30, seed: int = 1) -> FileSet:
    rng = random.Random(seed)
    return FileSet(
        FileEntry(f"components/part_{i:03}.tsx", f"export const P{i} = {rng.random()}\n".encode() * rng.randint(1, 40), i % 7 == 0)
        for i in range(count)
    )


def as_rows(files: FileSet) -> list[tuple[str, bytes, bool]]:
    """Everything a FileSet says, in its own order."""
    return [(f.path, f.content, f.locked) for f in files.entries()] + [("|order", repr(list(files)).encode(), False)]


async def raw_manifest(db: Database, digest: str) -> Any:
    async with db.session() as session:
        return json.loads((await BlobStore().get_many(session, [digest]))[digest])


async def read_cold(db: Database, digest: str | None) -> FileSet:
    """Read through a store with empty caches: every blob of the chain comes from the database."""
    async with db.session() as session:
        return await BlobStore().get_files(session, digest)


async def put(db: Database, blobs: BlobStore, files: FileSet, base: str | None = None) -> str:
    async with db.session() as session:
        digest = await blobs.put_files(session, files, base=base)
        await session.commit()
    return digest


def edit(files: FileSet, rng: random.Random, step: int) -> FileSet:
    """What a model edit does: rewrite one or two files, now and then add, delete, move or (un)lock one."""
    paths = list(files)
    for path in rng.sample(paths, rng.randint(1, 2)):
        files = files.with_written(path, files[path].content + f"// edit {step}\n".encode())
    kind = step % 5
    if kind == 1:
        files = files.with_written(f"lib/new_{step}.ts", f"export const n = {step}\n".encode())
    elif kind == 2:
        files = files.with_deleted([rng.choice(list(files))])
    elif kind == 3:
        source = rng.choice(list(files))
        files = files.with_moved(source, f"moved/{step}/{source.rsplit('/', 1)[-1]}")
    elif kind == 4:
        path = rng.choice(list(files))
        files = files.with_written(path, files[path].content, not files[path].locked)
    return files


async def test_chain_longer_than_the_max_depth_round_trips(runtime) -> None:  # type: ignore[no-untyped-def]
    db, blobs = runtime.db, runtime.blobs
    rng = random.Random(7)
    files = app_files()
    history: list[tuple[str, FileSet]] = [(await put(db, blobs, files), files)]
    for step in range(1, 3 * MAX_DELTA_DEPTH + 5):
        files = edit(files, rng, step)
        history.append((await put(db, blobs, files, base=history[-1][0]), files))

    depths = []
    for digest, expected in history:
        doc = await raw_manifest(db, digest)
        depths.append(0 if isinstance(doc, list) else doc["depth"])
        assert as_rows(await read_cold(db, digest)) == as_rows(expected)  # from the database, chain and all
        async with db.session() as session:
            assert as_rows(await blobs.get_files(session, digest)) == as_rows(expected)  # from the warm cache
    # Full, then deltas 1..MAX, then full again: never deeper than the bound.
    assert depths == [i % (MAX_DELTA_DEPTH + 1) for i in range(len(depths))]


async def test_a_cold_read_resolves_at_most_max_depth_plus_one_blobs(runtime) -> None:  # type: ignore[no-untyped-def]
    db, blobs = runtime.db, runtime.blobs
    files = app_files()
    digest = await put(db, blobs, files)
    for step in range(MAX_DELTA_DEPTH):
        files = files.with_written("components/part_001.tsx", f"v{step}".encode())
        digest = await put(db, blobs, files, base=digest)
    assert (await raw_manifest(db, digest))["depth"] == MAX_DELTA_DEPTH

    reads: list[list[str]] = []

    class Counting(BlobStore):
        async def get_many(self, session, digests, *, remember=True):  # type: ignore[no-untyped-def]
            wanted = list(digests)
            reads.append(wanted)
            return await super().get_many(session, wanted, remember=remember)

    async with db.session() as session:
        store = Counting()
        assert as_rows(await store.get_files(session, digest)) == as_rows(files)
        manifest_reads = len(reads) - 1  # the last read fetches the contents
        assert manifest_reads == MAX_DELTA_DEPTH + 1
        reads.clear()
        await store.get_files(session, digest)  # resolved manifests are cached: only the contents are asked for
        assert len(reads) == 1


async def test_deletes_moves_and_lock_changes_are_in_the_delta(runtime) -> None:  # type: ignore[no-untyped-def]
    db, blobs = runtime.db, runtime.blobs
    files = app_files()
    base = await put(db, blobs, files)
    changed = (
        files.with_deleted(["components/part_002.tsx"])
        .with_moved("components/part_003.tsx", "moved/part_003.tsx")
        .with_written("components/part_004.tsx", files["components/part_004.tsx"].content, True)  # lock only
        .with_written("components/part_000.tsx", files["components/part_000.tsx"].content, False)  # unlock only
        .with_written("new.txt", b"")
    )
    digest = await put(db, blobs, changed, base=base)
    doc = await raw_manifest(db, digest)
    assert doc["base"] == base and doc["depth"] == 1
    assert doc["del"] == ["components/part_002.tsx", "components/part_003.tsx"]
    assert [row[0] for row in doc["set"]] == ["components/part_000.tsx", "components/part_004.tsx", "moved/part_003.tsx", "new.txt"]
    assert [row[2] for row in doc["set"]] == [0, 1, 0, 0]
    got = await read_cold(db, digest)
    assert as_rows(got) == as_rows(changed)
    assert got["moved/part_003.tsx"].content == files["components/part_003.tsx"].content
    assert got.locked_paths() == changed.locked_paths()

    # Deleting everything, then writing it all anew: the delta would not be smaller, so full lists are stored.
    empty = await put(db, blobs, FileSet(), base=digest)
    assert await raw_manifest(db, empty) == [] and len(await read_cold(db, empty)) == 0
    again = await put(db, blobs, changed, base=empty)
    assert isinstance(await raw_manifest(db, again), list)
    assert as_rows(await read_cold(db, again)) == as_rows(changed)


async def test_unchanged_files_keep_the_base_manifest(runtime) -> None:  # type: ignore[no-untyped-def]
    db, blobs = runtime.db, runtime.blobs
    files = app_files()
    base = await put(db, blobs, files)
    child = await put(db, blobs, files.with_written("a.txt", b"a"), base=base)
    assert await put(db, blobs, files.with_written("a.txt", b"a"), base=child) == child
    assert await put(db, blobs, FileSet(files.entries()), base=base) == base
    # Without a base, the same files give the full manifest's hash, as they always did.
    assert await put(db, blobs, files) == base


async def test_delta_on_a_legacy_full_list_manifest(runtime) -> None:  # type: ignore[no-untyped-def]
    db, blobs = runtime.db, runtime.blobs
    files = app_files(12)
    async with db.session() as session:
        # Written the way the store wrote every manifest before deltas.
        digests = await blobs.put_many(session, [f.content for f in files.entries()])
        legacy = [[f.path, d, 1 if f.locked else 0] for f, d in zip(files.entries(), digests)]
        (legacy_hash,) = await blobs.put_many(session, [json.dumps(legacy, separators=(",", ":")).encode()])
        await session.commit()
    assert as_rows(await read_cold(db, legacy_hash)) == as_rows(files)

    edited = files.with_written("components/part_005.tsx", b"changed").with_deleted(["components/part_006.tsx"])
    digest = await put(db, BlobStore(), edited, base=legacy_hash)  # a fresh store: the base is read from the database
    doc = await raw_manifest(db, digest)
    assert doc == {"base": legacy_hash, "depth": 1, "set": [["components/part_005.tsx", doc["set"][0][1], 0]], "del": ["components/part_006.tsx"]}
    assert as_rows(await read_cold(db, digest)) == as_rows(edited)


async def test_a_base_that_cannot_be_read_gives_a_full_manifest(runtime) -> None:  # type: ignore[no-untyped-def]
    db, blobs = runtime.db, runtime.blobs
    files = app_files(5)
    digest = await put(db, blobs, files, base="0" * 64)
    assert isinstance(await raw_manifest(db, digest), list)
    assert as_rows(await read_cold(db, digest)) == as_rows(files)


async def test_the_manifest_cache_stays_within_its_budget(runtime) -> None:  # type: ignore[no-untyped-def]
    db = runtime.db
    blobs = BlobStore(manifest_cache_entries=8 * 40)
    files = app_files(30)
    digest = await put(db, blobs, files)
    for step in range(20):
        files = files.with_written("x.txt", str(step).encode())
        digest = await put(db, blobs, files, base=digest)
        assert blobs._manifest_entries <= 8 * 40
    assert as_rows(await read_cold(db, digest)) == as_rows(files)
    async with db.session() as session:
        assert as_rows(await blobs.get_files(session, digest)) == as_rows(files)


async def test_same_manifests_and_files_on_sqlite_and_postgresql(tmp_path: Path, pg_database: str) -> None:
    """Both stores write the same blobs, byte for byte, and read back the same FileSets."""
    _truncate_pg(pg_database)
    results = []
    for url in (None, pg_database):
        settings = Settings(data_dir=tmp_path / "data", database_url=url, api_key=API_KEY)
        db = Database(settings.resolved_database_url)
        await db.open()
        try:
            blobs, rng = BlobStore(), random.Random(3)
            files = app_files()
            digests = [await put(db, blobs, files)]
            for step in range(1, 25):
                files = edit(files, rng, step)
                digests.append(await put(db, blobs, files, base=digests[-1]))
            read = [as_rows(await read_cold(db, d)) for d in digests]
            raw = [await raw_manifest(db, d) for d in digests]
        finally:
            await db.close()
        results.append((digests, raw, read))
    assert results[0] == results[1]
    assert sum(isinstance(doc, dict) for doc in results[0][1]) == 23  # all but the first and the one past the bound


@pytest.mark.parametrize("count", [0, 1])
async def test_small_file_sets(runtime, count: int) -> None:  # type: ignore[no-untyped-def]
    db, blobs = runtime.db, runtime.blobs
    files = app_files(count)
    base = await put(db, blobs, files)
    grown = files.with_written("b.txt", b"b")
    digest = await put(db, blobs, grown, base=base)
    assert as_rows(await read_cold(db, digest)) == as_rows(grown)
    assert await read_cold(db, None) == FileSet()


async def test_a_rolled_back_write_is_not_remembered_as_stored(runtime) -> None:  # type: ignore[no-untyped-def]
    """The caches learn a blob only when its transaction commits: otherwise a later write would skip the insert."""
    blobs = runtime.blobs
    files = app_files(5, seed=9)
    async with runtime.db.session() as session:
        digest = await blobs.put_files(session, files)
        await session.rollback()
    assert await put(runtime.db, blobs, files) == digest
    assert as_rows(await read_cold(runtime.db, digest)) == as_rows(files)
