"""The bundler worker: one long-lived `node worker.mjs` speaking JSON lines, restarted when it dies."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import logging
from pathlib import Path
from typing import Any

from vzero.errors import PreviewUnavailable
from vzero.preview.runtime import SHIMS_DIR, WORKER_SCRIPT, find_node

log = logging.getLogger(__name__)

_LINE_LIMIT = 512 * 1024 * 1024  # one response carries a whole bundle
START_TIMEOUT = 300.0  # the first start of a fresh install builds the vendor bundle
REQUEST_TIMEOUT = 60.0


class WorkerDied(PreviewUnavailable):
    """The node process exited (or was killed) before answering."""


def _close_transport(proc: asyncio.subprocess.Process) -> None:
    # asyncio closes a subprocess transport only once every pipe has reported EOF, in a callback that
    # may never run if the loop stops first; closing it here (idempotent) avoids a warning at GC.
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


class BundleWorker:
    """Client of worker.mjs: request ids, one reader task, lazy (re)start."""

    def __init__(
        self,
        runtime_dir: Path,
        *,
        start_timeout: float = START_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.runtime_dir = Path(runtime_dir)
        self.start_timeout = start_timeout
        self.request_timeout = request_timeout
        self.starts = 0  # how many processes were started, for tests and diagnostics
        self.requests = 0
        self.info: dict[str, Any] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._stderr: collections.deque[str] = collections.deque(maxlen=60)
        self._closed = False

    @property
    def pid(self) -> int | None:
        """Process id of the running node process, if any."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def start(self) -> dict[str, Any]:
        """Start node if it is not running and wait until it is ready; returns its hello message."""
        async with self._start_lock:
            if self._closed:
                raise PreviewUnavailable("the preview builder is closed")
            if self.pid is None or self._ready is None:
                await self._spawn()
            assert self._ready is not None
            ready = self._ready
        try:
            return await asyncio.wait_for(asyncio.shield(ready), self.start_timeout)
        except TimeoutError:
            await self._kill()
            raise PreviewUnavailable(
                f"the preview worker did not start within {self.start_timeout:.0f} s{self._stderr_tail()}"
            ) from None

    async def _spawn(self) -> None:
        node = await asyncio.to_thread(find_node)
        self._stderr.clear()
        try:
            proc = await asyncio.create_subprocess_exec(
                node,
                str(WORKER_SCRIPT),
                str(self.runtime_dir),
                str(SHIMS_DIR),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=_LINE_LIMIT,
            )
        except OSError as exc:
            raise PreviewUnavailable(f"could not start the preview worker ({node}): {exc}") from exc
        self.starts += 1
        self._proc = proc
        self._ready = asyncio.get_running_loop().create_future()
        self._tasks = [
            asyncio.create_task(self._read_stdout(proc, self._ready)),
            asyncio.create_task(self._read_stderr(proc)),
        ]

    async def request(self, op: str, **payload: Any) -> dict[str, Any]:
        """Send one request and wait for its answer; raises WorkerDied if node exits meanwhile."""
        await self.start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self.requests += 1
        try:
            proc.stdin.write(json.dumps({"id": request_id, "op": op, **payload}).encode() + b"\n")
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            self._pending.pop(request_id, None)
            await self._reap(proc)
            raise WorkerDied(f"the preview worker exited{self._stderr_tail()}") from exc
        try:
            answer = await asyncio.wait_for(future, self.request_timeout)
        except TimeoutError:
            # A build that hangs would also hold every later one: start over.
            await self._kill()
            raise PreviewUnavailable(f"the preview worker did not answer {op!r} within {self.request_timeout:.0f} s") from None
        finally:
            self._pending.pop(request_id, None)
        if "error" in answer:
            raise PreviewUnavailable(f"the preview worker failed on {op!r}: {answer['error']}")
        return answer

    async def _read_stdout(self, proc: asyncio.subprocess.Process, ready: asyncio.Future[dict[str, Any]]) -> None:
        assert proc.stdout is not None
        try:
            while line := await proc.stdout.readline():
                try:
                    message = json.loads(line)
                except ValueError:
                    log.warning("preview worker wrote a non-JSON line: %.200r", line)
                    continue
                if message.get("id") == 0:
                    if message.get("ready") and not ready.done():
                        self.info = message
                        ready.set_result(message)
                    elif not ready.done():
                        ready.set_exception(PreviewUnavailable(f"the preview worker could not start: {message.get('error')}"))
                    continue
                future = self._pending.get(message.get("id", -1))
                if future is not None and not future.done():
                    future.set_result(message)
        except (ValueError, asyncio.LimitOverrunError) as exc:
            log.error("preview worker output could not be read: %s", exc)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        code = await proc.wait()
        _close_transport(proc)
        # Let the stderr reader catch the last words before they are quoted.
        await asyncio.sleep(0.05)
        died = WorkerDied(f"the preview worker exited with code {code}{self._stderr_tail()}")
        if not ready.done():
            ready.set_exception(died)
        if self._proc is proc:
            self._proc = None
            self._ready = None
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(died)
        # Nobody may be waiting on a failed start any more; don't warn about an unretrieved exception.
        if ready.done() and not ready.cancelled():
            ready.exception()

    async def _read_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self._stderr.append(text)
            log.debug("preview worker: %s", text)

    def _stderr_tail(self) -> str:
        tail = "\n".join(list(self._stderr)[-15:])
        return f":\n{tail}" if tail else ""

    async def _reap(self, proc: asyncio.subprocess.Process) -> None:
        """A process whose stdin broke is gone: wait until its reader has forgotten it (and failed what was pending on
        it), so that the next request starts a new process instead of writing to this one again."""
        if self._proc is not proc or not self._tasks:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.kill()  # in case only the pipe broke
        await asyncio.wait([self._tasks[0]], timeout=5)

    async def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def aclose(self) -> None:
        """Stop node (closing stdin lets it finish and dispose its esbuild contexts)."""
        self._closed = True
        proc = self._proc
        if proc is not None and proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                await self._kill()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 2)
        if proc is not None:
            _close_transport(proc)
