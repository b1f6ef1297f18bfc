"""ensure_runtime/install_runtime with a scripted `npm` on PATH (no registry needed)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from vzero.errors import PreviewUnavailable
from vzero.preview.runtime import ensure_runtime, install_runtime, is_installed, runtime_dir_for

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: install Node.js 20+ with npm")


def fake_bin(tmp_path: Path, npm_script: str | None) -> Path:
    """A PATH folder with the real node and, optionally, a scripted npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    assert NODE is not None
    (bin_dir / "node").symlink_to(NODE)
    if npm_script is not None:
        npm = bin_dir / "npm"
        npm.write_text("#!/bin/sh\n" + npm_script)
        npm.chmod(0o755)
    return bin_dir


GOOD_NPM = """echo "$@" >> "$PWD/../npm-calls.txt"
/usr/bin/sleep 0.3
/usr/bin/mkdir -p node_modules/esbuild && echo '{}' > node_modules/esbuild/package.json
"""


def test_install_runs_npm_ci_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_bin(tmp_path, GOOD_NPM)))
    target = tmp_path / "rt"
    threads = [threading.Thread(target=install_runtime, args=(target,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = (tmp_path / "npm-calls.txt").read_text().splitlines()
    assert calls == ["ci --no-audit --no-fund --loglevel=error"]
    assert is_installed(target)
    assert (target / "package-lock.json").is_file() and (target / "package.json").is_file()
    install_runtime(target)
    assert len((tmp_path / "npm-calls.txt").read_text().splitlines()) == 1


async def test_ensure_runtime_defaults_to_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_bin(tmp_path, GOOD_NPM.replace("$PWD/../npm-calls.txt", "/dev/null"))))
    path = await ensure_runtime(tmp_path / "data")
    assert path == runtime_dir_for(tmp_path / "data") == (tmp_path / "data" / "preview-runtime").resolve()
    assert is_installed(path)


def test_failed_npm_ci_reports_npms_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = 'echo "npm error code E404" >&2\necho "npm error 404 Not Found - GET left-pad - Not found" >&2\nexit 1\n'
    monkeypatch.setenv("PATH", str(fake_bin(tmp_path, script)))
    with pytest.raises(PreviewUnavailable) as caught:
        install_runtime(tmp_path / "rt")
    assert "npm ci failed" in caught.value.message and "exit 1" in caught.value.message
    assert "404 Not Found - GET left-pad - Not found" in caught.value.message
    assert not is_installed(tmp_path / "rt")


def test_missing_npm_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_bin(tmp_path, None)))
    with pytest.raises(PreviewUnavailable, match="npm was not found on PATH: install Node.js"):
        install_runtime(tmp_path / "rt")
