"""The preview's npm runtime: pinned packages (esbuild, React, the UI libraries) installed once with `npm ci`.

The pinned package.json and package-lock.json ship beside this module. They are installed into a writable
runtime folder, by default `<data_dir>/preview-runtime/`, never into the package folder itself: that may be a
read-only site-packages, and 190 MB of node_modules do not belong in a source checkout. Several data
directories (and the test suite) can share one install through VZERO_PREVIEW_RUNTIME_DIR.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

from vzero.errors import PreviewUnavailable

SOURCE_DIR = Path(__file__).resolve().parent
PREVIEW_DIR = SOURCE_DIR.parent
BUNDLER_DIR = PREVIEW_DIR / "bundler"
WORKER_SCRIPT = BUNDLER_DIR / "main.mjs"
SHIMS_DIR = PREVIEW_DIR / "shims"
MANIFESTS = ("package.json", "package-lock.json")
INSTALL_TIMEOUT = 900.0
MIN_NODE_MAJOR = 18
_STAMP = ".vzero-runtime.json"
_thread_locks: dict[Path, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def lock_digest() -> str:
    """Hash of the pinned manifests: an install is current when its stamp carries this value."""
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((SOURCE_DIR / name).read_bytes())
    return digest.hexdigest()


def runtime_dir_for(data_dir: Path, runtime_dir: Path | None = None) -> Path:
    """The runtime folder in force: the explicit one, else `<data_dir>/preview-runtime`."""
    return Path(runtime_dir if runtime_dir is not None else Path(data_dir) / "preview-runtime").resolve()


def is_installed(path: Path) -> bool:
    """True when `path` holds a completed install of the current pinned manifests."""
    try:
        stamp = json.loads((path / _STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("lock") == lock_digest() and (path / "node_modules" / "esbuild" / "package.json").is_file()


def find_node() -> str:
    """Path of a usable `node` (18 or newer), or a PreviewUnavailable saying what to install."""
    node = shutil.which("node")
    if node is None:
        raise PreviewUnavailable("node was not found on PATH: install Node.js 20 or newer (with npm) to build previews")
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        major = int(version.lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise PreviewUnavailable(f"could not run {node} --version: {exc}") from exc
    if major < MIN_NODE_MAJOR:
        raise PreviewUnavailable(f"node {version} is too old for the preview bundler: install Node.js 20 or newer")
    return node


def _thread_lock(path: Path) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(path, threading.Lock())


def install_runtime(path: Path, *, timeout: float = INSTALL_TIMEOUT) -> Path:
    """Install the pinned packages into `path` unless already there; safe to call from many threads and processes."""
    path = Path(path).resolve()
    if is_installed(path):
        return path
    path.mkdir(parents=True, exist_ok=True)
    # The thread lock serialises this process's callers; the file lock, other vzero processes on the same folder.
    with _thread_lock(path), open(path.parent / f".{path.name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            if is_installed(path):
                return path
            _npm_ci(path, timeout)
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    return path


def _npm_ci(path: Path, timeout: float) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise PreviewUnavailable("npm was not found on PATH: install Node.js 20 or newer with npm to build previews")
    find_node()
    (path / _STAMP).unlink(missing_ok=True)
    for name in MANIFESTS:
        shutil.copyfile(SOURCE_DIR / name, path / name)
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        done = subprocess.run(command, cwd=path, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise PreviewUnavailable(f"npm ci in {path} did not finish within {timeout:.0f} s; is the npm registry reachable?") from exc
    except OSError as exc:
        raise PreviewUnavailable(f"could not run npm ci in {path}: {exc}") from exc
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        tail = "\n".join(output[-15:])
        raise PreviewUnavailable(f"npm ci failed in {path} (exit {done.returncode}):\n{tail}")
    (path / _STAMP).write_text(json.dumps({"lock": lock_digest()}))


async def ensure_runtime(data_dir: Path, *, runtime_dir: Path | None = None) -> Path:
    """Install the runtime for `data_dir` if needed (once, even under concurrent calls) and return its folder."""
    path = runtime_dir_for(data_dir, runtime_dir)
    if is_installed(path):
        return path
    return await asyncio.to_thread(install_runtime, path)


__all__ = [
    "BUNDLER_DIR",
    "SHIMS_DIR",
    "WORKER_SCRIPT",
    "ensure_runtime",
    "find_node",
    "install_runtime",
    "is_installed",
    "lock_digest",
    "runtime_dir_for",
]
