"""A version's files as a zip or a gzipped tarball, built in memory."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile

from vzero.core.files import FileSet


def to_zip(files: FileSet) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in files.entries():
            archive.writestr(entry.path, entry.content)
    return buffer.getvalue()


def to_tarball(files: FileSet) -> bytes:
    buffer = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for entry in files.entries():
            info = tarfile.TarInfo(entry.path)
            info.size = len(entry.content)
            info.mtime = int(now)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(entry.content))
    return buffer.getvalue()
