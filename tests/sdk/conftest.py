"""The v0-sdk harness: installs the pinned npm client once per session and runs node scenarios against a server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.server import VzeroServer

SDK_DIR = Path(__file__).resolve().parent
PINNED_VERSION = "0.16.7"
NEED_NODE = "install Node.js 20+ and npm to run the v0-sdk tests"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    return int(out.lstrip("v").split(".")[0])


def _installed_version() -> str | None:
    manifest = SDK_DIR / "node_modules" / "v0-sdk" / "package.json"
    if not manifest.exists():
        return None
    return str(json.loads(manifest.read_text()).get("version"))


def install_sdk() -> str:
    """Install tests/sdk's npm dependencies if missing; returns the node executable, or skips/fails the session."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None or _node_major(node) < 20:
        pytest.skip(NEED_NODE)
    if _installed_version() == PINNED_VERSION:
        return node
    locked = (SDK_DIR / "package-lock.json").exists()
    # v0-sdk >= 0.10 declares node >= 22 but runs on 20: never let npm refuse or re-resolve the pinned version.
    command = [npm, "ci" if locked else "install", "--no-audit", "--no-fund", "--engine-strict=false"]
    try:
        done = subprocess.run(command, cwd=SDK_DIR, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
        failure = None if done.returncode == 0 else f"exit {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    except subprocess.TimeoutExpired:
        failure = "timed out after 600 s"
    if failure is None and _installed_version() != PINNED_VERSION:
        failure = f"installed v0-sdk {_installed_version()}, expected exactly {PINNED_VERSION}"
    if failure is not None:
        message = f"`npm {command[1]}` in {SDK_DIR} failed ({failure})"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message + "; the v0-sdk tests need the npm registry once")
    return node


@dataclass(frozen=True)
class Sdk:
    """Runs `node run.mjs <scenario>` (scenarios/<scenario>.mjs) against a server and returns its JSON results."""

    node: str

    def run(self, server: VzeroServer, scenario: str, *, env: dict[str, str] | None = None, timeout: float = 120.0) -> dict[str, Any]:
        if not (SDK_DIR / "scenarios" / f"{scenario}.mjs").exists():
            raise FileNotFoundError(f"no scenario {scenario!r} in {SDK_DIR / 'scenarios'}")
        done = subprocess.run(
            [self.node, "run.mjs", scenario],
            cwd=SDK_DIR,
            env={**os.environ, "V0_BASE_URL": server.base_url + "/v1", "V0_API_KEY": server.api_key, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"scenario {scenario} exited {done.returncode}:\n{done.stderr[-4000:]}\n--- server log ---\n{server.log_text(4000)}"
            )
        results: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return results


@pytest.fixture(scope="session")
def sdk() -> Sdk:
    """The pinned v0-sdk, installed on first use."""
    return Sdk(install_sdk())
