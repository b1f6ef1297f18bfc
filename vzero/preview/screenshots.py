"""Screenshots of built previews with headless Chromium; skipped when Chromium is not installed.

Chromium loads the page from a throwaway HTTP server on a random loopback port that serves only that one
build: it needs no public URL, and the page never shares an origin with the API while it is captured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from vzero.errors import PreviewUnavailable
from vzero.preview.result import BuildResult
from vzero.preview.static import preview_headers, read_asset

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1280, 800
TIMEOUT = 45.0
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio", "--disable-extensions",
    "--virtual-time-budget=3000",  # let effects, fonts and the Tailwind browser build settle before the capture
)


def find_chromium() -> str | None:
    """Path of Debian's Chromium (or a chromium on PATH), or None when there is none."""
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


class _OneBuild(ThreadingHTTPServer):
    """Serves one build at / on 127.0.0.1, the way the preview routes do; error reports are swallowed."""

    daemon_threads = True

    def __init__(self, result: BuildResult, runtime_dir: Path, packages_dir: Path | None = None) -> None:
        self.result = result
        self.runtime_dir = runtime_dir
        self.packages_dir = packages_dir
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: _OneBuild

    def do_GET(self) -> None:
        name = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        hit = read_asset(self.server.result, self.server.runtime_dir, name, self.server.packages_dir)
        self.send_response(200 if hit is not None else 404)
        for key, value in preview_headers(self.server.result.script_hashes if name in ("", "index.html") else ()).items():
            self.send_header(key, value)
        body = hit[0] if hit is not None else b"not found"
        self.send_header("Content-Type", hit[1] if hit is not None else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 65536)
        self.rfile.read(length)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(result: BuildResult, runtime_dir: Path, packages_dir: Path | None = None) -> Iterator[str]:
    server = _OneBuild(result, runtime_dir, packages_dir)
    # A short poll interval: shutdown() runs on the event loop and waits for the serving loop to notice.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="vzero-screenshot-server", daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()


async def capture(
    result: BuildResult,
    runtime_dir: Path,
    *,
    chromium: str | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    timeout: float = TIMEOUT,
    packages_dir: Path | None = None,
) -> bytes:
    """A PNG of the built page as Chromium renders it; PreviewUnavailable when Chromium is missing or fails."""
    browser = chromium or find_chromium()
    if browser is None:
        raise PreviewUnavailable("chromium is not installed: install Debian's chromium (apt-get install chromium) for screenshots")
    with tempfile.TemporaryDirectory(prefix="vzero-shot-") as scratch, _serving(result, Path(runtime_dir), packages_dir) as url:
        target = Path(scratch) / "shot.png"
        command = [browser, *_FLAGS, f"--user-data-dir={scratch}/profile", f"--window-size={width},{height}", f"--screenshot={target}", url]
        # Its own session: Chromium's helper processes are ended with it, by its process group id.
        proc = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            raise PreviewUnavailable(f"chromium did not take the screenshot within {timeout:.0f} s") from None
        finally:
            _kill_group(proc.pid)  # the browser on a timeout or cancel; otherwise helpers that outlived it
            if proc.returncode is None:
                await proc.wait()
        png = target.read_bytes() if target.is_file() else b""
    if not png.startswith(_PNG_MAGIC):
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise PreviewUnavailable(f"chromium exited with {proc.returncode} without a screenshot: {' | '.join(tail) or 'no output'}")
    return png


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
