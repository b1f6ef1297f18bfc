"""A real `vzero serve` process for end-to-end tests: start, stop, kill -9 and restart on one data directory.

Use the fixtures by importing them into a test module (`from tests.server import vzero_server  # noqa: F401`),
or drive `VzeroServer` yourself:

    with VzeroServer(tmp_path / "data", env={"VZERO_DATABASE_URL": url}) as server:
        httpx.get(server.base_url + "/v1/chats", headers=server.headers)
        server.kill()     # SIGKILL, as a crash would
        server.start()    # same port, same data directory
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_API_KEY = "server-test-key-0123456789"
# Variables of the developer's shell that would change the server's behaviour; the caller passes what it wants.
_LEAKY_PREFIXES = ("VZERO_",)
_LEAKY_NAMES = frozenset({"OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"})


class ServerError(RuntimeError):
    """The server did not start, or did not stop, as asked; the message carries the end of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the server may still lose a race for it; `start` retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class VzeroServer:
    """One `python -m vzero.cli serve` subprocess bound to 127.0.0.1, with its own data directory and key."""

    def __init__(
        self,
        data_dir: Path,
        *,
        api_key: str = DEFAULT_API_KEY,
        env: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_path: Path | None = None,
        log_level: str = "warning",
        startup_timeout: float = 60.0,
        repo: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.repo = Path(repo) if repo is not None else REPO_ROOT  # the checkout whose `vzero` the process runs
        self.api_key = api_key
        self.extra_env = dict(env or {})
        self.host = host
        self._fixed_port = port is not None
        self.port = port if port is not None else free_port(host)
        self.log_path = log_path or self.data_dir.parent / f"{self.data_dir.name}-server.log"
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # --- what tests use ---------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, **kwargs: object) -> httpx.Client:
        """A sync client on the base URL, authorised with the server's key."""
        return httpx.Client(base_url=self.base_url, headers=self.headers, **kwargs)  # type: ignore[arg-type]

    def async_client(self, **kwargs: object) -> httpx.AsyncClient:
        """An async client on the base URL, authorised with the server's key."""
        return httpx.AsyncClient(base_url=self.base_url, headers=self.headers, **kwargs)  # type: ignore[arg-type]

    def log_text(self, tail: int = 8000) -> str:
        """The end of the server's combined stdout/stderr (all starts append to one file)."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def environment(self) -> dict[str, str]:
        """The environment the server process gets: the caller's, minus vzero/provider settings, plus ours."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_LEAKY_PREFIXES) and k not in _LEAKY_NAMES}
        env.update(
            VZERO_DATA_DIR=str(self.data_dir),
            VZERO_API_KEY=self.api_key,
            VZERO_HOST=self.host,
            VZERO_PORT=str(self.port),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    # --- lifecycle ----------------------------------------------------------------------------------------------------
    def start(self, timeout: float | None = None) -> VzeroServer:
        """Start the process and wait until `GET /healthz` answers 200; same port and data dir on a restart."""
        if self.running:
            raise ServerError(f"server already running (pid {self.pid})")
        attempts = 1 if self._fixed_port or self.starts else 3
        for attempt in range(attempts):
            self._spawn()
            try:
                self.wait_healthy(timeout if timeout is not None else self.startup_timeout)
                self.starts += 1
                return self
            except ServerError:
                lost_port_race = "address already in use" in self.log_text(2000).lower()
                self._reap(signal.SIGKILL, 5.0)
                if not lost_port_race or attempt == attempts - 1:
                    raise
                self.port = free_port(self.host)
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start on port {self.port} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vzero.cli", "serve", "--host", self.host, "--port", str(self.port), "--log-level", self.log_level],
                cwd=self.repo,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: children it spawns can be cleaned up with it
            )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Poll /healthz until 200; ServerError with the log if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        with httpx.Client(timeout=2.0) as probe:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    code = None if self.process is None else self.process.returncode
                    raise ServerError(f"vzero serve exited with {code} before it was healthy; log:\n{self.log_text()}")
                try:
                    response = probe.get(self.base_url + "/healthz")
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.TransportError as exc:
                    last = exc.__class__.__name__
                time.sleep(0.05)
        raise ServerError(f"vzero serve was not healthy after {timeout:.0f} s ({last}); log:\n{self.log_text()}")

    def stop(self, timeout: float = 15.0) -> int | None:
        """Graceful stop (SIGTERM, then SIGKILL after `timeout`); returns the exit code."""
        return self._reap(signal.SIGTERM, timeout)

    def kill(self) -> int | None:
        """`kill -9` the server process only, as a crash would; its children (if any) are left running."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        return self.process.wait(10)

    def restart(self, *, hard: bool = False, timeout: float | None = None) -> VzeroServer:
        """Stop (or kill -9 with hard=True) and start again on the same port and data directory."""
        if hard:
            self.kill()
        else:
            self.stop()
        self._kill_group()
        return self.start(timeout)

    def close(self) -> None:
        """Stop the server and anything left in its process group."""
        if self.process is not None:
            self.stop()
            self._kill_group()

    def _reap(self, sig: signal.Signals, timeout: float) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def _kill_group(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already empty

    def __enter__(self) -> VzeroServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class ServerFactory:
    """Starts servers on demand in one test and closes them all at its end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[VzeroServer] = []

    def __call__(self, name: str = "data", *, start: bool = True, **kwargs: object) -> VzeroServer:
        server = VzeroServer(self.root / name, **kwargs)  # type: ignore[arg-type]
        self.servers.append(server)
        return server.start() if start else server

    def close(self) -> None:
        for server in reversed(self.servers):
            server.close()


@pytest.fixture
def vzero_server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """`factory(name, env={...}, api_key=..., start=True)` → a VzeroServer; all are stopped after the test."""
    factory = ServerFactory(tmp_path / "servers")
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def vzero_server(vzero_server_factory: ServerFactory) -> VzeroServer:
    """A running server on SQLite in a fresh data directory."""
    return vzero_server_factory()
