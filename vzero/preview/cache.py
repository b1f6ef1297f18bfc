"""Finished builds by content digest: an in-memory LRU in front of `<data_dir>/previews/<digest>/`."""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import re
import shutil
import uuid
from pathlib import Path

from vzero.preview.result import BuildResult

log = logging.getLogger(__name__)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def safe_asset_name(name: str) -> bool:
    """True for a relative, normalised asset path that cannot leave its folder."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and all(p not in ("", ".", "..") for p in parts)


class ResultCache:
    """Keeps the last `memory_entries` results in memory and up to `disk_entries` on disk."""

    def __init__(self, root: Path, *, memory_entries: int = 64, disk_entries: int = 500) -> None:
        self.root = Path(root)
        self.memory_entries = memory_entries
        self.disk_entries = disk_entries
        self._memory: collections.OrderedDict[str, BuildResult] = collections.OrderedDict()

    def peek(self, digest: str) -> BuildResult | None:
        """The result for `digest` if it is in memory (no disk access)."""
        if (hit := self._memory.get(digest)) is not None:
            self._memory.move_to_end(digest)
        return hit

    def get(self, digest: str) -> BuildResult | None:
        """The stored result for `digest`, from memory or disk; None if unknown or unreadable."""
        if not _DIGEST.match(digest):
            return None
        if (hit := self._memory.get(digest)) is not None:
            self._memory.move_to_end(digest)
            return hit
        result = self._read(self.root / digest)
        if result is not None:
            self._remember(digest, result)
        return result

    def put(self, result: BuildResult) -> None:
        """Store `result` under its digest, in memory and on disk (best effort: a full disk only logs)."""
        stored = BuildResult(**{**result.__dict__, "cached": True})
        self._remember(result.digest, stored)
        try:
            self._write(stored)
            self._prune()
        except OSError as exc:
            log.warning("could not store preview %s on disk: %s", result.digest, exc)

    def _remember(self, digest: str, result: BuildResult) -> None:
        self._memory[digest] = result
        self._memory.move_to_end(digest)
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)

    def _read(self, folder: Path) -> BuildResult | None:
        try:
            meta = json.loads((folder / "result.json").read_text())
            page = (folder / "index.html").read_text()
            assets = {}
            for name in meta.get("assets", []):
                if not safe_asset_name(name):
                    return None
                assets[name] = (folder / "assets" / name).read_bytes()
            with contextlib.suppress(OSError):
                os.utime(folder)  # recently used: pruned last
            return BuildResult.from_meta(meta, page, assets)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if folder.exists():
                log.warning("ignoring unreadable cached preview %s: %s", folder, exc)
            return None

    def _write(self, result: BuildResult) -> None:
        if not _DIGEST.match(result.digest):
            return
        final = self.root / result.digest
        if final.exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tmp-{result.digest[:16]}-{uuid.uuid4().hex[:8]}"
        try:
            (tmp / "assets").mkdir(parents=True)
            for name, content in result.assets.items():
                if not safe_asset_name(name):
                    continue
                target = tmp / "assets" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            (tmp / "index.html").write_text(result.html)
            meta = result.meta()
            meta["assets"] = [n for n in meta["assets"] if safe_asset_name(n)]
            (tmp / "result.json").write_text(json.dumps(meta))  # written last: its presence marks a whole entry
            try:
                tmp.rename(final)
            except OSError:
                if not final.exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _prune(self) -> None:
        entries = [p for p in self.root.iterdir() if _DIGEST.match(p.name)]
        if len(entries) <= self.disk_entries:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for old in entries[: len(entries) - self.disk_entries]:
            self._memory.pop(old.name, None)
            shutil.rmtree(old, ignore_errors=True)
