"""The server's own overhead on a streamed reply: a client reading the model directly vs. through vzero.

    python bench/bench_stream.py                      # 3 routes x 1, 50, 200, 500 streams x SQLite and PostgreSQL
    python bench/bench_stream.py --streams 200 --stores sqlite --routes v2
    python bench/bench_stream.py --server-repo ../vzero-before   # the same load on another checkout's server

Routes, side by side in one run: `create` (POST /v1/chats, experimental_stream: a new chat per stream), `send`
(POST /v1/chats/{id}/messages, experimental_stream, on chats made beforehand) and `v2` (POST
/v2/chats/{id}/messages/stream, likewise). "close" is the time from the model's last chunk (its send stamp) to the
stream's closing event ([DONE] in v1, the closing message snapshot in v2): what storing the reply and rendering the
last events cost a client waiting for the end.

A timed fake model (bench/timed_model.py, its own process) stamps every chunk with the time it was sent; the
client computes each chunk's latency (arrival - send). "added" is the latency through vzero minus the latency
of the same load read directly from the model. vzero's CPU time comes from /proc for the server process only.
Model, server and client share this machine's cores, so absolute figures include that contention.

All streams are opened at once, so the first seconds are a burst of starts (each creates a chat, three rows and a
model call) while the first replies already stream; "all streams under way" repeats the added latency for the chunks
that arrived once every stream had its first chunk, i.e. the steady state without the burst.

The default client is a minimal asyncio HTTP/1.1 client (httptools parses the responses): ~15-35 us of CPU per chunk,
by machine, against ~80 us for httpx, whose CPU would otherwise be taken from the server it measures. `--client httpx`
uses httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httptools
import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server import VzeroServer, free_port

STAMP = re.compile(rb"t(\d{9,11}\.\d{6}) ")
FILES = [{"name": "app/page.tsx", "content": "export default function Page() { return <h1>Hi</h1> }\n"}]
ROUTES = {
    # name: (path of a new stream (chat id filled in), body, the closing event's marker)
    "create": ("/v1/chats", {"message": "stream a reply", "responseMode": "experimental_stream"}, b"data: [DONE]"),
    "send": ("/v1/chats/{id}/messages", {"message": "stream a reply", "responseMode": "experimental_stream"}, b"data: [DONE]"),
    "v2": ("/v2/chats/{id}/messages/stream", {"message": "stream a reply"}, b'{"object":"message","'),
}


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    closes: list[float] = field(default_factory=list)  # from the last chunk's send stamp to the closing event
    arrivals: list[float] = field(default_factory=list)  # when each chunk of `latencies` arrived
    first_token: list[float] = field(default_factory=list)
    first_arrival: list[float] = field(default_factory=list)  # when each stream's first chunk arrived
    complete: int = 0
    lost: int = 0
    chunks: int = 0

    def record(self, data: bytes, now: float, started: float, seen: int, last: bytes) -> tuple[int, bytes]:
        """The stamped chunks in `data`, arrived at `now` on a stream opened at `started` that had `seen` so far, the
        newest stamped `last` (its text); returns both updated. A v2 delta of a growing text repeats the text so far:
        only what follows the newest stamp already seen is scanned (the client must not take the CPU it measures)."""
        start = data.rfind(last) + len(last) if last else 0
        if start < len(last):
            start = 0  # not in this data
        newest = _stamp(last)
        for match in STAMP.finditer(data, start):
            stamp = float(match.group(1))
            if stamp <= newest:
                continue  # a repeat: several deltas of one text arrived together
            last, newest = match.group(0), stamp
            if seen == 0:
                self.first_token.append(now - started)
                self.first_arrival.append(now)
            seen += 1
            self.latencies.append(now - stamp)
            self.arrivals.append(now)
        return seen, last

    def steady(self) -> list[float]:
        """Latencies of the chunks that arrived once every stream was under way (no stream still starting)."""
        if not self.first_arrival:
            return []
        since = max(self.first_arrival)
        return [latency for latency, at in zip(self.latencies, self.arrivals, strict=False) if at >= since]


def _stamp(raw: bytes) -> float:
    """The send time in a stamp's text (`t<unix time> `); 0 for none."""
    return float(raw[1:-1]) if raw else 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def read_stream(
    client: httpx.AsyncClient, method: str, url: str, json: dict, expected: int, run: Run, done_marker: bytes, skip_opening: bool = False
) -> None:
    started = time.time()
    seen, last = 0, b""
    finished = False
    try:
        async with client.stream(method, url, json=json) as response:
            if response.status_code != 200:
                run.lost += 1
                return
            opening: bytes | None = b"" if skip_opening else None
            async for data in response.aiter_bytes():
                now = time.time()
                if opening is not None:
                    # The first frame (vzero's opening snapshot) may already hold the reply when the server is busy:
                    # only the chunks streamed after it count.
                    opening += data
                    end = opening.find(b"\n\n")
                    if end == -1:
                        continue
                    data, opening = opening[end + 2 :], None
                seen, last = run.record(data, now, started, seen, last)
                if done_marker in data and not finished:
                    finished = True
                    run.closes.append(now - _stamp(last))
    except httpx.HTTPError:
        pass
    run.chunks += seen
    if finished and seen == expected:
        run.complete += 1
    else:
        run.lost += 1


class _SSEClient(asyncio.Protocol):
    """One POST whose event stream is scanned for chunk stamps as it arrives (line by line, so none is split)."""

    def __init__(self, run: Run, done_marker: bytes, skip_opening: bool, started: float, finished: asyncio.Future[bool]) -> None:
        self.run, self.done_marker, self.started, self.finished = run, done_marker, started, finished
        self.parser = httptools.HttpResponseParser(self)
        self.opening = skip_opening  # vzero's first frame (the opening snapshot) may hold the whole reply when the server is busy
        self.tail = b""
        self.seen = 0
        self.last = b""
        self.done = False
        self.status = 0

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._end()

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        now = time.time()
        data = self.tail + body
        if self.opening:
            end = data.find(b"\n\n")
            if end == -1:
                self.tail = data
                return
            data, self.opening = data[end + 2 :], False
        cut = data.rfind(b"\n") + 1
        data, self.tail = data[:cut], data[cut:]
        self.seen, self.last = self.run.record(data, now, self.started, self.seen, self.last)
        if not self.done and self.done_marker in data:
            self.done = True
            self.run.closes.append(now - _stamp(self.last))

    def on_message_complete(self) -> None:
        self._end()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def _end(self) -> None:
        if not self.finished.done():
            self.finished.set_result(self.status == 200 and self.done)


async def read_stream_raw(base_url: str, path: str, headers: dict[str, str], body: dict, expected: int, run: Run, done_marker: bytes, skip_opening: bool = False) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[bool] = loop.create_future()
    started = time.time()
    try:
        transport, protocol = await loop.create_connection(lambda: _SSEClient(run, done_marker, skip_opening, started, finished), host, int(port))
    except OSError:
        run.lost += 1
        return
    transport.write(head.encode() + payload)
    ok = await finished
    transport.close()
    run.chunks += protocol.seen
    if ok and protocol.seen == expected:
        run.complete += 1
    else:
        run.lost += 1


@dataclass
class ProcessCounters:
    """What /proc says a process has used: user and system CPU seconds, and minor page faults."""

    user: float
    system: float
    faults: int

    @classmethod
    def of(cls, pid: int) -> ProcessCounters:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return cls(int(fields[11]) / tick, int(fields[12]) / tick, int(fields[7]))

    def __sub__(self, other: ProcessCounters) -> ProcessCounters:
        return ProcessCounters(self.user - other.user, self.system - other.system, self.faults - other.faults)

    @property
    def cpu(self) -> float:
        return self.user + self.system


def steal_share(before: list[int], after: list[int]) -> float:
    """The share of this machine's CPU time its hypervisor gave to other guests between two /proc/stat readings."""
    spent = [b - a for a, b in zip(before, after, strict=False)]
    return spent[7] / max(1, sum(spent)) if len(spent) > 7 else 0.0


def machine_times() -> list[int]:
    """The machine's CPU times (user, nice, system, idle, iowait, irq, softirq, steal, ...) from /proc/stat."""
    try:
        return [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return []


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def direct(model_url: str, streams: int, chunks: int, client: str) -> tuple[Run, float]:
    """The same load read straight from the model; returns this client's CPU seconds as the baseline."""
    run = Run()
    before = own_cpu()
    body = {"model": "timed", "stream": True, "messages": [{"role": "user", "content": "go"}]}
    if client == "raw":
        await asyncio.gather(*(read_stream_raw(model_url, "/v1/chat/completions", {}, body, chunks, run, b"[DONE]") for _ in range(streams)))
        return run, own_cpu() - before
    limits = httpx.Limits(max_connections=streams + 8, max_keepalive_connections=streams + 8)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        await asyncio.gather(*(read_stream(http, "POST", f"{model_url}/v1/chat/completions", body, chunks, run, b"[DONE]") for _ in range(streams)))
    return run, own_cpu() - before


class Chats:
    """Chats made beforehand (from files, no model) for the routes that send to an existing chat."""

    def __init__(self, server: VzeroServer) -> None:
        self.server = server
        self.ids: list[str] = []

    async def take(self, count: int) -> list[str]:
        missing = count - len(self.ids)
        if missing > 0:
            limits = httpx.Limits(max_connections=64)
            async with httpx.AsyncClient(base_url=self.server.base_url, headers=self.server.headers, limits=limits, timeout=120) as http:
                gate = asyncio.Semaphore(32)

                async def one() -> None:
                    async with gate:
                        response = await http.post("/v1/chats/init", json={"type": "files", "files": FILES})
                        response.raise_for_status()
                        self.ids.append(response.json()["id"])

                await asyncio.gather(*(one() for _ in range(missing)))
        return self.ids[:count]


async def through_vzero(server: VzeroServer, route: str, chats: Chats, streams: int, chunks: int, client: str = "raw") -> tuple[Run, ProcessCounters]:
    path, body, done = ROUTES[route]
    paths = [path.format(id=chat_id) for chat_id in await chats.take(streams)] if "{id}" in path else [path] * streams
    run = Run()
    before = ProcessCounters.of(server.pid or 0)
    if client == "raw":
        await asyncio.gather(*(read_stream_raw(server.base_url, p, server.headers, body, chunks, run, done, skip_opening=True) for p in paths))
        return run, ProcessCounters.of(server.pid or 0) - before
    limits = httpx.Limits(max_connections=streams + 8, max_keepalive_connections=streams + 8)
    async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers, limits=limits, timeout=120) as http:
        await asyncio.gather(*(read_stream(http, "POST", p, body, chunks, run, done, skip_opening=True) for p in paths))
    return run, ProcessCounters.of(server.pid or 0) - before


def report(label: str, streams: int, base: Run, via: Run, used: ProcessCounters, client_cpu: float, steal: float) -> None:
    added50 = pct(via.latencies, 50) - pct(base.latencies, 50)
    added99 = pct(via.latencies, 99) - pct(base.latencies, 99)
    steady_base, steady_via = base.steady(), via.steady()
    steady50 = pct(steady_via, 50) - pct(steady_base, 50)
    steady99 = pct(steady_via, 99) - pct(steady_base, 99)
    cpu = used.cpu
    per_k = cpu / max(1, via.chunks) * 1000
    print(
        f"{label:>14} streams={streams:<4} | direct p50 {pct(base.latencies, 50):7.2f} ms p99 {pct(base.latencies, 99):7.2f} ms"
        f" | vzero p50 {pct(via.latencies, 50):7.2f} ms p99 {pct(via.latencies, 99):7.2f} ms"
        f" ttft p50 {pct(via.first_token, 50):7.1f} ms p99 {pct(via.first_token, 99):7.1f} ms"
        f" | added p50 {added50:6.2f} ms p99 {added99:6.2f} ms (all streams under way: p50 {steady50:6.2f} ms p99 {steady99:6.2f} ms,"
        f" {len(steady_via)} chunks) | close p50 {pct(via.closes, 50):6.2f} ms p99 {pct(via.closes, 99):6.2f} ms"
        f" | vzero CPU {cpu:6.2f} s = {per_k:.3f} s/1000 chunks"
        f" (user {used.user / max(1, via.chunks) * 1000:.3f} + system {used.system / max(1, via.chunks) * 1000:.3f};"
        f" {used.faults / max(1, via.chunks) * 1000:,.0f} page faults/1000 chunks)"
        f" | complete {via.complete}/{streams} lost {via.lost} (direct lost {base.lost})"
        f" | bare client reading the model: {client_cpu / max(1, base.chunks) * 1000:.3f} s/1000 chunks"
        f" | steal {steal:.0%}",
        flush=True,
    )


def _postgres_database(admin_url: str) -> tuple[str, str]:
    name = f"vzero_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run_store(args: argparse.Namespace, store: str, model_url: str, levels: list[int], routes: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": f"{model_url}/v1", "VZERO_MODEL": "timed",
            "VZERO_RATE_LIMIT_PER_MINUTE": "0", "VZERO_DAILY_MESSAGE_LIMIT": "0", "VZERO_SCREENSHOTS": "false",
        }
        pg_name = None
        if store == "postgresql":
            env["VZERO_DATABASE_URL"], pg_name = _postgres_database(args.postgres)
        try:
            with VzeroServer(Path(tmp) / "data", env=env, repo=args.server_repo) as server:
                chats = Chats(server)
                for route in routes:
                    await through_vzero(server, route, chats, 2, args.chunks, args.client)  # warm up imports, pools and caches
                for streams in levels:
                    for route in routes:
                        before = machine_times()
                        base, client_cpu = await direct(model_url, streams, args.chunks, args.client)
                        via, used = await through_vzero(server, route, chats, streams, args.chunks, args.client)
                        report(f"{store[:6]} {route}", streams, base, via, used, client_cpu, steal_share(before, machine_times()))
        finally:
            if pg_name is not None:
                _drop_postgres_database(args.postgres, pg_name)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", default="1,50,200,500", help="comma-separated concurrency levels")
    parser.add_argument("--routes", default="create,send,v2", help="comma-separated routes: " + ", ".join(ROUTES))
    parser.add_argument("--stores", default="sqlite,postgresql", help="comma-separated stores: sqlite, postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test", help="PostgreSQL server whose throwaway database is used")
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--server-repo", type=Path, default=None, help="run the server from this checkout (default: this one)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="the reading client (default: a minimal asyncio one)")
    args = parser.parse_args()
    levels = [int(s) for s in args.streams.split(",")]
    routes = [r for r in args.routes.split(",") if r]
    unknown = set(routes) - set(ROUTES)
    if unknown:
        parser.error(f"unknown routes: {', '.join(sorted(unknown))}")
    model_port = free_port()
    model = subprocess.Popen([sys.executable, str(Path(__file__).with_name("timed_model.py")), "--port", str(model_port), "--chunks", str(args.chunks), "--interval", str(args.interval)])
    model_url = f"http://127.0.0.1:{model_port}"
    try:
        for _ in range(100):
            try:
                httpx.get(model_url, timeout=0.2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        print(f"{os.cpu_count()} cores shared by the model, vzero and this client; {args.chunks} chunks {args.interval * 1000:.0f} ms apart per stream", flush=True)
        for store in args.stores.split(","):
            await run_store(args, store, model_url, levels, routes)
    finally:
        model.terminate()
        model.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
