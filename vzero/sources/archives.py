"""Zip and tar archives from untrusted sources, read in memory with every member and byte bounded."""

from __future__ import annotations

import asyncio
import gzip
import io
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import IO, cast

from vzero.config import Settings
from vzero.core.files import safe_path
from vzero.errors import PayloadTooLarge, SourceError
from vzero.sources._types import ImportedFile, human_bytes
from vzero.sources.fetch import SafeFetcher
from vzero.sources.filters import IGNORED_DIRS, IGNORED_FILES, FileBudget, is_ignored

_CHUNK = 64 * 1024
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL_ENTRY = struct.Struct("<4s4B4HL2L5H2L")
# A lone top folder with one of these names is part of the project (a zipped `app/`), not a wrapper to strip.
_PROJECT_FOLDERS = frozenset({"app", "src", "pages", "components", "lib", "hooks", "public", "styles", "utils"})
_READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


async def import_archive(url: str, settings: Settings, fetcher: SafeFetcher | None = None) -> list[ImportedFile]:
    """Download a zip (or tar/tar.gz) archive through the safe fetcher and read its files."""
    fetched = await (fetcher or SafeFetcher(settings)).fetch(url)
    return await asyncio.to_thread(extract_archive, fetched.body, settings)


def extract_archive(data: bytes | Path, settings: Settings) -> list[ImportedFile]:
    """The files of a zip, tar or tar.gz archive, recognised by its first bytes."""
    with _open_binary(data) as raw:
        head = raw.read(512)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return extract_zip(data, settings)
    if head.startswith(b"\x1f\x8b") or head[257:262] == b"ustar":
        return extract_tar(data, settings)
    raise SourceError("The download is not a zip or tar.gz archive")


def extract_zip(data: bytes | Path, settings: Settings) -> list[ImportedFile]:
    """The regular files of a zip archive; escaping names are refused, links and devices skipped."""
    member_limit, member_setting = _member_limit(settings)
    try:
        with _open_binary(data) as raw:
            _check_zip_member_count(raw, settings.archive_max_members)
            with zipfile.ZipFile(raw) as archive:
                infos = archive.infolist()
                if len(infos) > settings.archive_max_members:
                    raise _too_many_members(settings)
                wanted = []
                for info in infos:
                    if _is_zip_regular_file(info):
                        wanted.append((safe_path(info.filename), info))
                chosen = _choose([path for path, _ in wanted])
                total = 0
                read: list[tuple[str, bytes]] = []
                for path, info in wanted:
                    final = chosen.get(path)
                    if final is None:
                        continue
                    if info.flag_bits & 0x1:
                        raise SourceError(f"The archive member {path} is encrypted; vzero cannot read it")
                    if info.compress_type not in _READABLE_METHODS:
                        raise SourceError(
                            f"The archive member {path} uses compression method {info.compress_type};"
                            " only stored and deflate members are supported"
                        )
                    if info.file_size > member_limit:
                        raise _member_too_large(path, member_limit, member_setting)
                    with archive.open(info) as member:
                        content, total = _read_bounded(member, path, total, settings, member_limit, member_setting)
                    read.append((final, content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError, ValueError) as exc:
        raise SourceError(f"The zip archive is damaged or unreadable ({exc})") from None
    except (OSError, RuntimeError) as exc:
        raise SourceError(f"The zip archive could not be read ({exc})") from None
    return _finish(read, settings)


def extract_tar(data: bytes | Path, settings: Settings) -> list[ImportedFile]:
    """The regular files of a tar or tar.gz archive; escaping names are refused, links and devices skipped."""
    member_limit, member_setting = _member_limit(settings)
    entries: list[tuple[str, bytes]] = []
    total = 0
    try:
        with _open_binary(data) as raw:
            compressed = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") if compressed else nullcontext(raw) as plain:
                # Every byte tarfile sees (headers, skipped members, pax records) passes this bound first.
                stream = _BoundedReader(cast(IO[bytes], plain), settings)
                with tarfile.open(fileobj=stream, mode="r|") as archive:
                    for count, member in enumerate(archive, start=1):
                        if count > settings.archive_max_members:
                            raise _too_many_members(settings)
                        if not member.isreg():
                            continue  # directories, links, devices, fifos: never materialised
                        path = safe_path(member.name)
                        if _is_ignored_anywhere(path):
                            continue
                        if member.size > member_limit:
                            raise _member_too_large(path, member_limit, member_setting)
                        handle = archive.extractfile(member)
                        if handle is None:
                            continue
                        content, total = _read_bounded(handle, path, total, settings, member_limit, member_setting)
                        entries.append((path, content))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise SourceError(f"The tar archive is damaged or unreadable ({exc})") from None
    except OSError as exc:
        raise SourceError(f"The tar archive could not be read ({exc})") from None
    chosen = _choose([path for path, _ in entries])
    return _finish([(chosen[path], content) for path, content in entries if path in chosen], settings)


def _choose(paths: list[str]) -> dict[str, str]:
    """Map each kept member path to its final path: one common top folder stripped, ignored paths dropped."""
    meaningful = [p for p in paths if not _is_litter(p)]
    prefix = ""
    if meaningful and all("/" in p for p in meaningful):
        first = meaningful[0].split("/", 1)[0]
        if first not in _PROJECT_FOLDERS and all(p.split("/", 1)[0] == first for p in meaningful):
            prefix = first + "/"
    chosen: dict[str, str] = {}
    for path in paths:
        final = path[len(prefix):] if prefix and path.startswith(prefix) else path
        if not is_ignored(final):
            chosen[path] = final
    return chosen


def _finish(entries: Iterable[tuple[str, bytes]], settings: Settings) -> list[ImportedFile]:
    budget = FileBudget(settings)
    files: dict[str, ImportedFile] = {}
    for path, content in entries:
        if path in files:
            raise SourceError(f"The archive holds {path} more than once")
        budget.add(path, len(content))
        files[path] = ImportedFile(path, content)
    return list(files.values())


def _read_bounded(
    handle: IO[bytes], path: str, total: int, settings: Settings, member_limit: int, member_setting: str
) -> tuple[bytes, int]:
    """Read one member in chunks, counting real (not declared) bytes; return it and the new archive total."""
    buffer = bytearray()
    while chunk := handle.read(_CHUNK):
        buffer += chunk
        total += len(chunk)
        if len(buffer) > member_limit:
            raise _member_too_large(path, member_limit, member_setting)
        if total > _kept_total_limit(settings):
            raise _too_large_total(settings, kept=True)
    return bytes(buffer), total


def _kept_total_limit(settings: Settings) -> int:
    """What the kept members may add up to: the archive's limit, or the files' limit when that is smaller."""
    return min(settings.archive_max_total_bytes, settings.max_total_file_bytes)


def _check_zip_member_count(raw: IO[bytes], limit: int) -> None:
    """Count central-directory entries without building them, so a million-entry archive never gets parsed."""
    raw.seek(0, io.SEEK_END)
    size = raw.tell()
    tail_size = min(size, _EOCD.size + 0xFFFF)
    raw.seek(size - tail_size)
    tail = raw.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return  # not a zip: zipfile will say so
    eocd_offset = size - tail_size + at
    fields = _EOCD.unpack_from(tail, at)
    declared, cd_size = fields[4], fields[5]
    end = eocd_offset
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at:locator_at + 4] == b"PK\x06\x07":
        # Zip64: the real counts live in a second record just before the locator.
        record_offset = eocd_offset - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
        if record_offset < 0:
            return
        raw.seek(record_offset)
        record = raw.read(_ZIP64_EOCD.size)
        if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
            return
        zip64 = _ZIP64_EOCD.unpack(record)
        declared, cd_size, end = zip64[7], zip64[8], record_offset
    if declared > limit:
        raise PayloadTooLarge(f"The archive declares {declared} members; the limit is {limit} (VZERO_ARCHIVE_MAX_MEMBERS)")
    start = end - cd_size
    if start < 0:
        return
    raw.seek(start)
    directory = raw.read(cd_size)
    count, position = 0, 0
    while position + _CENTRAL_ENTRY.size <= len(directory) and directory[position:position + 4] == b"PK\x01\x02":
        entry = _CENTRAL_ENTRY.unpack_from(directory, position)
        position += _CENTRAL_ENTRY.size + entry[12] + entry[13] + entry[14]
        count += 1
        if count > limit:
            raise PayloadTooLarge(f"The archive has more than {limit} members (VZERO_ARCHIVE_MAX_MEMBERS)")


def _is_zip_regular_file(info: zipfile.ZipInfo) -> bool:
    """True for plain files; directories, symlinks, devices and fifos (by their Unix mode bits) are skipped."""
    if info.is_dir():
        return False
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind in (0, stat.S_IFREG)


def _is_litter(path: str) -> bool:
    """OS litter that must not stop a GitHub-style top folder from being recognised."""
    segments = path.split("/")
    return segments[-1] in IGNORED_FILES or "__MACOSX" in segments


def _is_ignored_anywhere(path: str) -> bool:
    """Ignored whatever the top folder turns out to be (used to avoid buffering node_modules and the like)."""
    segments = path.split("/")
    return segments[-1] in IGNORED_FILES or any(segment in IGNORED_DIRS for segment in segments[:-1])


def _member_limit(settings: Settings) -> tuple[int, str]:
    if settings.max_file_bytes < settings.archive_max_member_bytes:
        return settings.max_file_bytes, "VZERO_MAX_FILE_BYTES"
    return settings.archive_max_member_bytes, "VZERO_ARCHIVE_MAX_MEMBER_BYTES"


def _member_too_large(path: str, limit: int, setting: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"The archive member {path} is larger than {human_bytes(limit)} ({setting})")


def _too_many_members(settings: Settings) -> PayloadTooLarge:
    limit = settings.archive_max_members
    return PayloadTooLarge(f"The archive has more than {limit} members (VZERO_ARCHIVE_MAX_MEMBERS)")


def _too_large_total(settings: Settings, kept: bool = False) -> PayloadTooLarge:
    if kept and settings.max_total_file_bytes < settings.archive_max_total_bytes:
        limit = human_bytes(settings.max_total_file_bytes)
        return PayloadTooLarge(f"The archive's files add up to more than {limit} (VZERO_MAX_TOTAL_FILE_BYTES)")
    limit = human_bytes(settings.archive_max_total_bytes)
    return PayloadTooLarge(f"The archive unpacks to more than {limit} (VZERO_ARCHIVE_MAX_TOTAL_BYTES)")


def _open_binary(data: bytes | Path) -> IO[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(data)
    return open(data, "rb")


class _BoundedReader(io.RawIOBase):
    """A read-only stream that fails with PayloadTooLarge once more than `limit` bytes went through it."""

    def __init__(self, inner: IO[bytes], settings: Settings) -> None:
        self.inner = inner
        self.settings = settings
        # Room for the tar headers (512 bytes each) on top of the members' data.
        self.limit = settings.archive_max_total_bytes + 512 * 2 * (settings.archive_max_members + 2)
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.limit - self.count + 1
        data = self.inner.read(min(size, self.limit - self.count + 1))
        self.count += len(data)
        if self.count > self.limit:
            raise _too_large_total(self.settings)
        return data
