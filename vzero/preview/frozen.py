"""The files deployments serve, frozen on disk, and the build log and errors their rows record.

A deployment's files live under `<data_dir>/deployments/<id>/` (the page and its assets, in the preview cache's
layout) and `<data_dir>/deployments/_vendor/<key>/vendor/` (a snapshot of the shared vendor bundle the build was made
against, hard-linked when the file system allows), so neither pruning the preview cache nor upgrading the runtime
changes what a deployment serves.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vzero.errors import NotFound, PreviewUnavailable
from vzero.preview.cache import ResultCache
from vzero.preview.result import BuildResult
from vzero.store.deployments import log_entry

_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")
_VENDOR_KEY = re.compile(r"^[0-9a-f]{16}$")


def build_logs(result: BuildResult, *, chat_id: str, version_id: str) -> list[dict[str, Any]]:
    """The log of a deployment's build: what was built, the bundler's lines, and the outcome."""
    now = time.time()
    lines = [log_entry(f"Building version {version_id} of chat {chat_id}", at=now)]
    for line in result.log.splitlines():
        level = "error" if line.startswith(("error:", "failed:")) else "warning" if line.startswith("warning:") else "info"
        lines.append(log_entry(line, level=level, at=now))
    done = f"Build completed in {result.duration_ms:.0f} ms" if result.ok else f"Build failed with {len(result.errors)} error(s)"
    lines.append(log_entry(done, level="info" if result.ok else "error", at=now))
    return lines


def build_errors(result: BuildResult) -> list[dict[str, Any]]:
    """A failed build's errors as stored on the deployment."""
    return [{"source": "build", **{k: v for k, v in asdict(e).items() if v is not None}} for e in result.errors]



class FrozenBuilds:
    """The files deployments serve, on disk, with the most recently served ones kept in memory."""

    def __init__(self, root: Path, *, memory_entries: int = 32) -> None:
        self.root = Path(root)
        self.memory_entries = memory_entries
        self._memory: collections.OrderedDict[str, tuple[BuildResult, Path]] = collections.OrderedDict()

    def _folder(self, deployment_id: str) -> Path:
        if not _ID.match(deployment_id):
            raise NotFound(f"Deployment not found: {deployment_id}")
        return self.root / deployment_id

    def freeze(self, deployment_id: str, result: BuildResult, runtime_dir: Path) -> None:
        """Write the build and snapshot the vendor bundle it loads (blocking: run it in a thread)."""
        folder = self._folder(deployment_id)
        vendor_key = self._snapshot_vendor(Path(runtime_dir) / "vendor")
        ResultCache(folder, memory_entries=1, disk_entries=1).put(result)  # logs, rather than raises, a failed write
        if not (folder / result.digest / "result.json").is_file():
            raise PreviewUnavailable(f"could not store the build of deployment {deployment_id} in {folder}: is the disk full?")
        (folder / "deployment.json").write_text(json.dumps({"digest": result.digest, "vendor": vendor_key}))

    def load(self, deployment_id: str) -> tuple[BuildResult, Path] | None:
        """The frozen build and the folder holding its `vendor/` (for `read_asset`); None if there is none."""
        if (hit := self._memory.get(deployment_id)) is not None:
            self._memory.move_to_end(deployment_id)
            return hit
        try:
            folder = self._folder(deployment_id)
            meta = json.loads((folder / "deployment.json").read_text())
        except (NotFound, OSError, ValueError):
            return None
        result = ResultCache(folder, memory_entries=1).get(str(meta.get("digest", "")))
        vendor_key = str(meta.get("vendor", ""))
        if result is None or not _VENDOR_KEY.match(vendor_key):
            return None
        frozen = (result, self.root / "_vendor" / vendor_key)
        self._memory[deployment_id] = frozen
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)
        return frozen

    def remove(self, deployment_id: str) -> None:
        """Delete a deployment's files (its vendor snapshot stays: other deployments share it)."""
        self._memory.pop(deployment_id, None)
        with contextlib.suppress(NotFound):
            shutil.rmtree(self._folder(deployment_id), ignore_errors=True)

    def _snapshot_vendor(self, vendor: Path) -> str:
        """Key of the snapshot of `vendor` (made once per distinct vendor bundle)."""
        stamp = vendor / "stamp.json"
        key = hashlib.sha256(stamp.read_bytes() if stamp.is_file() else b"no-stamp").hexdigest()[:16]
        target = self.root / "_vendor" / key
        if (target / "vendor").is_dir():
            return key
        target.mkdir(parents=True, exist_ok=True)
        tmp = target / f".tmp-{uuid.uuid4().hex[:8]}"
        try:
            shutil.copytree(vendor, tmp, copy_function=_link_or_copy)
            try:
                tmp.rename(target / "vendor")
            except OSError:
                if not (target / "vendor").is_dir():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return key


def _link_or_copy(source: str, target: str) -> None:
    # The vendor bundle is replaced by renaming a new folder into place, never rewritten file by file,
    # so a hard link is as good as a copy and costs no space.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
