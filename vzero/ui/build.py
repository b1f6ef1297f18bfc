"""Building the workspace from its sources: `npm ci` of the pinned packages, then `node build.mjs` (esbuild).

A build lives in `<build dir>/build/<digest>/`, the digest taken over every input (sources, manifests, build
script), so a server always serves the build of its own sources and builds again after an update; a folder is
complete once it holds manifest.json. The build dir is this folder in a source checkout (node_modules beside
package.json, as in any npm project; both are gitignored), else `<data_dir>/ui`; VZERO_UI_BUILD_DIR picks
another. A file lock lets many servers (and the test suite) share one. Packages install with --ignore-scripts.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent
MANIFESTS = ("package.json", "package-lock.json")
INPUTS = (*MANIFESTS, "tsconfig.json", "build.mjs")
MANIFEST = "manifest.json"
TIMEOUT = 900.0
_STAMP = ".vzero-ui-deps.json"


class UiBuildError(RuntimeError):
    """The workspace could not be built; the message says what to install or what failed."""


def _files() -> list[Path]:
    return [SOURCE_DIR / name for name in INPUTS] + sorted(p for p in (SOURCE_DIR / "src").rglob("*") if p.is_file())


def source_digest() -> str:
    """Hash of everything a build is made from: a build is current when its folder carries this name."""
    digest = hashlib.sha256()
    for path in _files():
        digest.update(str(path.relative_to(SOURCE_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def _lock_digest() -> str:
    return hashlib.sha256(b"".join((SOURCE_DIR / n).read_bytes() for n in MANIFESTS)).hexdigest()


def build_dir_for(data_dir: Path, build_dir: Path | None = None) -> Path:
    """The build dir in force: the explicit one, this source folder when writable, else `<data_dir>/ui`."""
    if build_dir is not None:
        return Path(build_dir).resolve()
    if os.access(SOURCE_DIR, os.W_OK):
        return SOURCE_DIR
    return (Path(data_dir) / "ui").resolve()


def built(build_dir: Path, digest: str | None = None) -> Path | None:
    """The finished build of the current sources, or None."""
    folder = Path(build_dir) / "build" / (digest or source_digest())
    return folder if (folder / MANIFEST).is_file() else None


def build(build_dir: Path, *, timeout: float = TIMEOUT) -> Path:
    """Build the workspace into `build_dir` unless its current build is there; safe across processes."""
    build_dir = Path(build_dir).resolve()
    digest = source_digest()
    if (done := built(build_dir, digest)) is not None:
        return done
    (build_dir / "build").mkdir(parents=True, exist_ok=True)
    with open(build_dir / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if (done := built(build_dir, digest)) is not None:
                return done
            node, npm = _tools()
            _install(build_dir, npm, timeout)
            return _bundle(build_dir, node, digest, timeout)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise UiBuildError("The workspace is built with Node.js: install Node.js 20 or newer with npm, then restart vzero")
    return node, npm


def _run(command: list[str], cwd: Path, timeout: float, what: str) -> None:
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise UiBuildError(f"{what} did not finish within {timeout:.0f} s (is the npm registry reachable?)") from exc
    except OSError as exc:
        raise UiBuildError(f"could not run {what}: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-15:])
        raise UiBuildError(f"{what} failed (exit {done.returncode}):\n{tail}")


def _install(build_dir: Path, npm: str, timeout: float) -> None:
    """`npm ci` of the pinned packages into build_dir/node_modules, once per lockfile."""
    stamp = build_dir / "node_modules" / _STAMP
    try:
        if json.loads(stamp.read_text()).get("lock") == _lock_digest():
            return
    except (OSError, ValueError):
        pass
    if build_dir != SOURCE_DIR:
        for name in (*MANIFESTS, "build.mjs"):  # build.mjs imports esbuild from the node_modules beside it
            shutil.copyfile(SOURCE_DIR / name, build_dir / name)
    _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], build_dir, timeout, f"npm ci in {build_dir}")
    stamp.write_text(json.dumps({"lock": _lock_digest()}))


def _bundle(build_dir: Path, node: str, digest: str, timeout: float) -> Path:
    """Bundle into a fresh folder, then rename it into place; all but the three newest builds are removed."""
    builds = build_dir / "build"
    scratch = builds / f".{digest}.{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    if build_dir != SOURCE_DIR:
        shutil.copyfile(SOURCE_DIR / "build.mjs", build_dir / "build.mjs")
    command = [node, str(build_dir / "build.mjs"), "--src", str(SOURCE_DIR / "src"), "--out", str(scratch), "--node-path", str(build_dir / "node_modules")]
    _run(command, build_dir, timeout, "the workspace build (node build.mjs)")
    final = builds / digest
    shutil.rmtree(final, ignore_errors=True)
    scratch.rename(final)
    kept = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "dev"), key=lambda p: p.stat().st_mtime)
    for old in kept[:-3]:  # a server still running an older build keeps its files a while
        shutil.rmtree(old, ignore_errors=True)
    return final
