"""Content-addressed file blobs: each distinct content is stored once, keyed by its sha256."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import OrderedDict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.files import FileEntry, FileSet
from vzero.store.tables import Blob

# Contents below this size are stored raw: zlib's header costs more than it saves.
_COMPRESS_FROM = 64


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


class BlobStore:
    """Reads and writes blobs; blobs never change, so reads are cached in memory."""

    def __init__(self, cache_bytes: int = 64 * 1024 * 1024) -> None:
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = cache_bytes

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
            for digest, content in new.items():
                self._remember(digest, content)
        return digests

    async def get_many(self, session: AsyncSession, digests: Iterable[str]) -> dict[str, bytes]:
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
                self._remember(digest, content)
        return found

    async def put_files(self, session: AsyncSession, files: FileSet) -> str:
        """Store every file and the manifest naming them; returns the manifest's hash."""
        entries = files.entries()
        digests = await self.put_many(session, (f.content for f in entries))
        manifest = [[f.path, digest, 1 if f.locked else 0] for f, digest in zip(entries, digests)]
        (manifest_hash,) = await self.put_many(session, [json.dumps(manifest, separators=(",", ":")).encode()])
        return manifest_hash

    async def get_files(self, session: AsyncSession, manifest_hash: str | None) -> FileSet:
        if manifest_hash is None:
            return FileSet()
        manifest = json.loads((await self.get_many(session, [manifest_hash]))[manifest_hash])
        contents = await self.get_many(session, (digest for _, digest, _ in manifest))
        return FileSet(FileEntry(path, contents[digest], bool(locked)) for path, digest, locked in manifest)
