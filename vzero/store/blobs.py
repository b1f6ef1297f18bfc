"""Content-addressed file blobs: each distinct content is stored once, keyed by its sha256.

A version's file list is a manifest blob, in one of two JSON forms (told apart by the JSON type):

- full: a list `[[path, sha256hex, locked], ...]` sorted by path (locked is 1 or 0);
- delta: an object `{"base": "<manifest hash>", "depth": n, "set": [[path, sha256hex, locked], ...], "del": [path, ...]}`:
  the base manifest's files, minus `del`, then with `set` written over (new files, changed contents, changed locks).
  `depth` is the number of deltas down to a full manifest (a delta on a full one has depth 1); empty `set`/`del` are
  left out. A delta is written only while depth stays <= MAX_DELTA_DEPTH and it is shorter than the full list, so
  reading a manifest resolves at most MAX_DELTA_DEPTH + 1 blobs.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from vzero.core.files import FileEntry, FileSet
from vzero.store.tables import Blob

# Contents below this size are stored raw: zlib's header costs more than it saves.
_COMPRESS_FROM = 64
# The longest chain of delta manifests; past it a full manifest is stored again.
MAX_DELTA_DEPTH = 16
# Guard against a corrupt chain (a loop cannot be built from content hashes, but a database can be edited by hand).
_CHAIN_LIMIT = 256


# What a transaction wrote is remembered in the caches only once it has committed: a cache that named a blob a
# rolled-back transaction wrote would make later writes of that content skip the insert, leaving a dangling hash.
_PENDING = "vzero.blobs.pending"


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    for remember in session.info.pop(_PENDING, ()):
        remember()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _after_commit(session: AsyncSession, remember: Callable[[], None]) -> None:
    session.info.setdefault(_PENDING, []).append(remember)


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _encode(content: bytes) -> tuple[str, bytes]:
    if len(content) >= _COMPRESS_FROM:
        packed = zlib.compress(content, 6)
        if len(packed) < len(content):
            return "zlib", packed
    return "raw", content


def _decode(encoding: str, data: bytes) -> bytes:
    return zlib.decompress(data) if encoding == "zlib" else bytes(data)


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _Manifest:
    """A resolved manifest: path -> (content hash, locked), and how many deltas it took. Never modified once built."""

    __slots__ = ("depth", "entries")

    def __init__(self, entries: dict[str, tuple[str, bool]], depth: int) -> None:
        self.entries = entries
        self.depth = depth

    @classmethod
    def full(cls, rows: Iterable[Sequence[Any]]) -> _Manifest:
        return cls({path: (digest, bool(locked)) for path, digest, locked in rows}, 0)

    def apply(self, delta: dict[str, Any]) -> _Manifest:
        entries = dict(self.entries)
        for path in delta.get("del", ()):
            entries.pop(path, None)
        for path, digest, locked in delta.get("set", ()):
            entries[path] = (digest, bool(locked))
        return _Manifest(entries, self.depth + 1)


class BlobStore:
    """Reads and writes blobs; blobs never change, so reads (and resolved manifests) are cached in memory."""

    def __init__(self, cache_bytes: int = 64 * 1024 * 1024, manifest_cache_entries: int = 250_000) -> None:
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = cache_bytes
        # Resolved manifests by hash, least recently used dropped first past a total number of file entries.
        self._manifests: OrderedDict[str, _Manifest] = OrderedDict()
        self._manifest_entries = 0
        self._manifest_limit = manifest_cache_entries

    def _remember_all(self, blobs: dict[str, bytes]) -> None:
        for digest, content in blobs.items():
            self._remember(digest, content)

    def _remember(self, digest: str, content: bytes) -> None:
        if digest in self._cache or len(content) > self._cache_limit // 8:
            return
        self._cache[digest] = content
        self._cache_bytes += len(content)
        while self._cache_bytes > self._cache_limit:
            _, dropped = self._cache.popitem(last=False)
            self._cache_bytes -= len(dropped)

    async def put_many(self, session: AsyncSession, contents: Iterable[bytes]) -> list[str]:
        """Store contents not stored yet; returns their hashes in order."""
        digests: list[str] = []
        new: dict[str, bytes] = {}
        for content in contents:
            digest = content_hash(content)
            digests.append(digest)
            if digest not in self._cache:
                new[digest] = content
        if new:
            existing = set(
                (await session.execute(select(Blob.hash).where(Blob.hash.in_(list(new))))).scalars()
            )
            rows = []
            for digest, content in new.items():
                if digest not in existing:
                    encoding, data = _encode(content)
                    rows.append({"hash": digest, "size": len(content), "encoding": encoding, "data": data})
            if rows:
                dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
                insert = pg_insert if dialect == "postgresql" else sqlite_insert
                # Two writers may store the same content at once: the second insert is a no-op.
                await session.execute(insert(Blob).on_conflict_do_nothing(index_elements=["hash"]), rows)
            _after_commit(session, lambda: self._remember_all(new))
        return digests

    def _remember_manifest(self, digest: str, manifest: _Manifest) -> None:
        if digest in self._manifests:
            self._manifests.move_to_end(digest)
            return
        size = len(manifest.entries) + 1
        if size > self._manifest_limit // 8:
            return
        self._manifests[digest] = manifest
        self._manifest_entries += size
        while self._manifest_entries > self._manifest_limit:
            _, dropped = self._manifests.popitem(last=False)
            self._manifest_entries -= len(dropped.entries) + 1

    async def get_many(self, session: AsyncSession, digests: Iterable[str], *, remember: bool = True) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        missing: list[str] = []
        for digest in set(digests):
            cached = self._cache.get(digest)
            if cached is None:
                missing.append(digest)
            else:
                found[digest] = cached
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            rows = await session.execute(select(Blob.hash, Blob.encoding, Blob.data).where(Blob.hash.in_(chunk)))
            for digest, encoding, data in rows:
                content = _decode(encoding, data)
                found[digest] = content
                if remember:
                    self._remember(digest, content)
        return found

    async def _manifest(self, session: AsyncSession, manifest_hash: str) -> _Manifest:
        """The resolved manifest: follows deltas down to a full manifest (or one already resolved), then applies them."""
        cached = self._manifests.get(manifest_hash)
        if cached is not None:
            self._manifests.move_to_end(manifest_hash)
            return cached
        deltas: list[tuple[str, dict[str, Any]]] = []
        digest = manifest_hash
        while True:
            # The resolved form is what is kept; the raw blob is not worth a place in the content cache.
            doc = json.loads((await self.get_many(session, [digest], remember=False))[digest])
            if isinstance(doc, list):
                resolved = _Manifest.full(doc)
                self._remember_manifest(digest, resolved)
                break
            deltas.append((digest, doc))
            if len(deltas) > _CHAIN_LIMIT:
                raise ValueError(f"manifest {manifest_hash} has a chain of more than {_CHAIN_LIMIT} deltas")
            digest = doc["base"]
            found = self._manifests.get(digest)
            if found is not None:
                resolved = found
                break
        for digest, doc in reversed(deltas):
            resolved = resolved.apply(doc)
            self._remember_manifest(digest, resolved)
        return resolved

    async def put_files(self, session: AsyncSession, files: FileSet, base: str | None = None) -> str:
        """Store every file and the manifest naming them; returns the manifest's hash.

        `base` is the manifest hash of files these were derived from (the parent version's): the manifest is then
        stored as a delta against it when that is shorter and the chain stays short enough. Files identical to the
        base's get the base's hash itself.
        """
        entries = files.entries()
        digests = await self.put_many(session, (f.content for f in entries))
        rows = [(f.path, digest, 1 if f.locked else 0) for f, digest in zip(entries, digests, strict=False)]
        full = _dumps(rows)
        data = full
        resolved: _Manifest | None = None
        parent = await self._base(session, base) if base is not None else None
        if parent is not None and base is not None:
            old = parent.entries
            changed = [row for row in rows if old.get(row[0]) != (row[1], bool(row[2]))]
            deleted = [path for path in sorted(old) if path not in files]
            if not changed and not deleted:
                return base
            if parent.depth < MAX_DELTA_DEPTH:
                delta: dict[str, Any] = {"base": base, "depth": parent.depth + 1}
                if changed:
                    delta["set"] = changed
                if deleted:
                    delta["del"] = deleted
                packed = _dumps(delta)
                if len(packed) < len(full):
                    data = packed
                    resolved = parent.apply(delta)
        (manifest_hash,) = await self.put_many(session, [data])
        if resolved is None:
            resolved = _Manifest.full(rows)
        _after_commit(session, lambda: self._remember_manifest(manifest_hash, resolved))
        return manifest_hash

    async def _base(self, session: AsyncSession, base: str) -> _Manifest | None:
        """The base's resolved manifest; None (store a full manifest) when it cannot be read."""
        try:
            return await self._manifest(session, base)
        except (KeyError, ValueError, TypeError):
            return None

    async def get_files(self, session: AsyncSession, manifest_hash: str | None) -> FileSet:
        if manifest_hash is None:
            return FileSet()
        manifest = (await self._manifest(session, manifest_hash)).entries
        contents = await self.get_many(session, (digest for digest, _ in manifest.values()))
        return FileSet(FileEntry(path, contents[digest], locked) for path, (digest, locked) in manifest.items())
