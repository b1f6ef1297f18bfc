"""Zip and tar archives built to attack the importer: escapes, links, bombs, lies and floods."""

from __future__ import annotations

import io
import stat
import struct
import tarfile
import threading
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vzero.config import Settings
from vzero.errors import PayloadTooLarge, SourceError, UnsafeSource, VzeroError
from vzero.sources.archives import extract_archive, extract_tar, extract_zip, import_archive

PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(16)


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def raw_zip(members: list[tuple[str, bytes, int, int, int, int]], *, declared_count: int | None = None) -> bytes:
    """A zip written byte by byte: (name, payload, method, crc, uncompressed size, unix mode) per member."""
    out, central = bytearray(), bytearray()
    for name, payload, method, crc, size, mode in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(payload), size, len(encoded), 0)
        out += encoded + payload
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, 20, 0, method, 0, 0x21, crc, len(payload), size,
            len(encoded), 0, 0, 0, 0, mode << 16, offset,
        )
        central += encoded
    count = len(members) if declared_count is None else declared_count
    cd_offset = len(out)
    out += central
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), cd_offset, 0)
    return bytes(out)


def stored(name: str, content: bytes, mode: int = stat.S_IFREG | 0o644) -> tuple[str, bytes, int, int, int, int]:
    return (name, content, zipfile.ZIP_STORED, zlib.crc32(content), len(content), mode)


def zero_bomb(mebibytes: int = 1024) -> tuple[str, bytes, int, int, int, int]:
    """That many MiB of zeros as one deflate member, built from one repeated 1 MiB block (never all in memory)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    payload = block * mebibytes + b"\x03\x00"  # independent full-flush blocks, then an empty final block
    crc = 0
    chunk = bytes(1 << 20)
    for _ in range(mebibytes):
        crc = zlib.crc32(chunk, crc)
    return ("bomb.bin", payload, zipfile.ZIP_DEFLATED, crc, mebibytes << 20, stat.S_IFREG | 0o644)


def paths(files: list) -> set[str]:
    return {f.path for f in files}


def test_github_style_zip_is_unwrapped_and_filtered() -> None:
    data = make_zip(
        {
            "repo-main/package.json": b'{"name": "x"}',
            "repo-main/app/page.tsx": b"export default function Page() {}",
            "repo-main/app/build/page.tsx": b"export default function Build() {}",
            "repo-main/public/logo.png": PNG,
            "repo-main/node_modules/react/index.js": b"module.exports = {}",
            "repo-main/dist/bundle.js": b"compiled",
            "repo-main/.DS_Store": b"\0\0",
            "__MACOSX/repo-main/._package.json": b"\0",
            "repo-main/pnpm-lock.yaml": b"lockfileVersion: 9",
        }
    )
    files = extract_zip(data, Settings())
    assert paths(files) == {"package.json", "app/page.tsx", "app/build/page.tsx", "public/logo.png", "pnpm-lock.yaml"}
    logo = next(f for f in files if f.path == "public/logo.png")
    assert logo.content == PNG and logo.is_binary
    assert not any(f.locked for f in files)


def test_zip_without_a_single_top_folder_keeps_its_paths() -> None:
    files = extract_zip(make_zip({"a/x.ts": b"1", "b/y.ts": b"2", "README.md": b"# hi"}), Settings())
    assert paths(files) == {"a/x.ts", "b/y.ts", "README.md"}


@pytest.mark.parametrize("name", ["../evil.txt", "ok/../../evil.txt", "/etc/passwd", "..\\..\\evil.txt", "C:/Windows/x.txt", "a//b.txt"])
def test_zip_member_escaping_the_project_is_refused(name: str) -> None:
    with pytest.raises(UnsafeSource):
        extract_zip(make_zip({"app/page.tsx": b"ok", name: b"owned"}), Settings())


def test_zip_symlinks_and_devices_are_skipped_never_followed() -> None:
    data = raw_zip(
        [
            stored("app/page.tsx", b"ok"),
            stored("package.json", b"{}"),
            stored("link-to-passwd", b"/etc/passwd", stat.S_IFLNK | 0o777),
            stored("../escape-link", b"/", stat.S_IFLNK | 0o777),
            stored("tty", b"", stat.S_IFCHR | 0o600),
            stored("fifo", b"", stat.S_IFIFO | 0o600),
        ]
    )
    files = extract_zip(data, Settings())
    assert [(f.path, f.content) for f in files] == [("app/page.tsx", b"ok"), ("package.json", b"{}")]


def test_a_lone_project_folder_is_not_mistaken_for_a_wrapper() -> None:
    files = extract_zip(make_zip({"app/page.tsx": b"p", "app/layout.tsx": b"l"}), Settings())
    assert paths(files) == {"app/page.tsx", "app/layout.tsx"}


def test_zip_bomb_stops_at_the_member_limit_with_bounded_memory() -> None:
    data = raw_zip([zero_bomb(1024)])  # 1 GiB unpacked
    assert len(data) < 2 * 1024 * 1024
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge, match="bomb.bin"):
            extract_zip(data, Settings())  # default limits: 5 MiB per file, 10 MiB per member
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024
    assert time.monotonic() - started < 5


def test_zip_bomb_with_a_lying_small_size_is_not_trusted() -> None:
    name, payload, method, crc, _, mode = zero_bomb(64)
    data = raw_zip([(name, payload, method, crc, 10, mode)])  # claims 10 bytes
    tracemalloc.start()
    try:
        with pytest.raises(VzeroError):
            extract_zip(data, Settings())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024


def test_many_members_adding_up_past_the_total_limit() -> None:
    settings = Settings(archive_max_total_bytes=1_000_000)
    data = make_zip({f"f{i}.txt": bytes(300_000) for i in range(5)})
    with pytest.raises(PayloadTooLarge, match="VZERO_ARCHIVE_MAX_TOTAL_BYTES"):
        extract_zip(data, settings)


def test_too_many_members_is_refused_before_parsing() -> None:
    data = make_zip({f"f{i}.txt": b"x" for i in range(21)})
    with pytest.raises(PayloadTooLarge, match="VZERO_ARCHIVE_MAX_MEMBERS"):
        extract_zip(data, Settings(archive_max_members=20))


def test_central_directory_lying_about_its_count_is_still_counted() -> None:
    data = raw_zip([stored(f"f{i}.txt", b"x") for i in range(30)], declared_count=1)
    with pytest.raises(PayloadTooLarge, match="VZERO_ARCHIVE_MAX_MEMBERS"):
        extract_zip(data, Settings(archive_max_members=20))


def test_file_count_limit_applies_after_filtering() -> None:
    data = make_zip({**{f"src/f{i}.ts": b"x" for i in range(4)}, "README.md": b"r"})
    with pytest.raises(PayloadTooLarge, match="VZERO_MAX_FILES"):
        extract_zip(data, Settings(max_files=4))


def test_encrypted_and_exotic_members_are_refused() -> None:
    name, payload, _, crc, size, mode = stored("secret.txt", b"data")
    encrypted = bytearray(raw_zip([(name, payload, zipfile.ZIP_STORED, crc, size, mode)]))
    encrypted[6] |= 1  # local header flag
    encrypted[encrypted.index(b"PK\x01\x02") + 8] |= 1  # central directory flag
    with pytest.raises(SourceError, match="encrypted"):
        extract_zip(bytes(encrypted), Settings())
    with pytest.raises(SourceError, match="only stored and deflate"):
        extract_zip(make_zip({"a.txt": b"x" * 100}, compression=zipfile.ZIP_BZIP2), Settings())


def test_corrupt_and_non_zip_data_are_source_errors() -> None:
    good = make_zip({"a.txt": b"hello" * 100})
    with pytest.raises(SourceError):
        extract_zip(good[: len(good) // 2], Settings())
    with pytest.raises(SourceError):
        extract_zip(b"not a zip at all", Settings())
    with pytest.raises(SourceError, match="not a zip or tar"):
        extract_archive(b"<html>nope</html>", Settings())


def test_duplicate_member_names_are_refused() -> None:
    data = raw_zip([stored("a.txt", b"1"), stored("a.txt", b"2")])
    with pytest.raises(SourceError, match="more than once"):
        extract_zip(data, Settings())


def test_zip_from_a_path_on_disk(tmp_path: Path) -> None:
    archive = tmp_path / "project.zip"
    archive.write_bytes(make_zip({"p/index.ts": b"1", "p/lib/a.ts": b"2"}))
    assert paths(extract_archive(archive, Settings())) == {"index.ts", "lib/a.ts"}


def make_tar(add: list[tuple[tarfile.TarInfo, bytes | None]], *, gz: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as archive:
        for info, content in add:
            if content is not None:
                info.size = len(content)
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()


def tar_entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def test_github_style_tarball_is_read_with_links_skipped() -> None:
    data = make_tar(
        [
            (tar_entry("owner-repo-abc123", tarfile.DIRTYPE), None),
            (tar_entry("owner-repo-abc123/package.json"), b"{}"),
            (tar_entry("owner-repo-abc123/app/page.tsx"), b"page"),
            (tar_entry("owner-repo-abc123/passwd", tarfile.SYMTYPE, "/etc/passwd"), None),
            (tar_entry("owner-repo-abc123/hard", tarfile.LNKTYPE, "/etc/shadow"), None),
            (tar_entry("owner-repo-abc123/dev", tarfile.CHRTYPE), None),
            (tar_entry("owner-repo-abc123/node_modules/x.js"), b"dep"),
        ]
    )
    files = extract_archive(data, Settings())
    assert {(f.path, f.content) for f in files} == {("package.json", b"{}"), ("app/page.tsx", b"page")}


@pytest.mark.parametrize("name", ["../evil", "/abs/evil", "x/../../evil"])
def test_tar_member_escaping_the_project_is_refused(name: str) -> None:
    with pytest.raises(UnsafeSource):
        extract_tar(make_tar([(tar_entry("ok.txt"), b"1"), (tar_entry(name), b"2")]), Settings())


def test_tar_bomb_is_bounded() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 16 * 1024 * 1024
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    with pytest.raises(PayloadTooLarge):
        extract_tar(buffer.getvalue(), Settings(archive_max_member_bytes=1024 * 1024))
    # Members that are skipped still count against the total: the stream is bounded as a whole.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("node_modules/zeros.bin")
        info.size = 8 * 1024 * 1024
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    with pytest.raises(PayloadTooLarge, match="VZERO_ARCHIVE_MAX_TOTAL_BYTES"):
        extract_tar(buffer.getvalue(), Settings(archive_max_total_bytes=1024 * 1024, archive_max_members=10))


def test_tar_with_too_many_members() -> None:
    data = make_tar([(tar_entry(f"f{i}"), b"x") for i in range(12)], gz=False)
    with pytest.raises(PayloadTooLarge, match="VZERO_ARCHIVE_MAX_MEMBERS"):
        extract_archive(data, Settings(archive_max_members=10))


@pytest.fixture
def zip_server() -> Iterator[tuple[int, dict[str, bytes]]]:
    bodies: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd.server_address[1], bodies
    httpd.shutdown()
    httpd.server_close()


async def test_import_archive_downloads_through_the_safe_fetcher(zip_server: tuple[int, dict[str, bytes]]) -> None:
    port, bodies = zip_server
    bodies["/project.zip"] = make_zip({"project/app/page.tsx": b"page"})
    files = await import_archive(f"http://127.0.0.1:{port}/project.zip", Settings(allow_private_urls=True))
    assert [(f.path, f.content) for f in files] == [("app/page.tsx", b"page")]
    with pytest.raises(UnsafeSource, match="loopback"):
        await import_archive(f"http://127.0.0.1:{port}/project.zip", Settings())
