"""The server's own overhead on a streamed reply: a client reading the model directly vs. through vzero.

    python bench/bench_stream.py                      # 1, 50, 200 and 500 concurrent streams
    python bench/bench_stream.py --streams 200 --chunks 300 --interval 0.02

A timed fake model (bench/timed_model.py, its own process) stamps every chunk with the time it was sent; the
client computes each chunk's latency (arrival - send). "added" is the latency through vzero minus the latency
of the same load read directly from the model. vzero's CPU time comes from /proc for the server process only.
Model, server and client share this machine's cores, so absolute figures include that contention.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server import VzeroServer, free_port  # noqa: E402

STAMP = re.compile(rb"t(\d{9,11}\.\d{6}) ")


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    first_token: list[float] = field(default_factory=list)
    complete: int = 0
    lost: int = 0
    chunks: int = 0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def read_stream(
    client: httpx.AsyncClient, method: str, url: str, json: dict, expected: int, run: Run, done_marker: bytes, skip_opening: bool = False
) -> None:
    started = time.time()
    seen = 0
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
                    # The first frame (vzero's `chat` event) may already hold the reply when the server is busy:
                    # only the chunks streamed after it count.
                    opening += data
                    end = opening.find(b"\n\n")
                    if end == -1:
                        continue
                    data, opening = opening[end + 2 :], None
                for match in STAMP.finditer(data):
                    if seen == 0:
                        run.first_token.append(now - started)
                    seen += 1
                    run.latencies.append(now - float(match.group(1)))
                if done_marker in data:
                    finished = True
    except httpx.HTTPError:
        pass
    run.chunks += seen
    if finished and seen == expected:
        run.complete += 1
    else:
        run.lost += 1


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def direct(model_url: str, streams: int, chunks: int) -> tuple[Run, float]:
    """The same load read straight from the model; returns this client's CPU seconds as the baseline."""
    run = Run()
    before = own_cpu()
    limits = httpx.Limits(max_connections=streams + 8, max_keepalive_connections=streams + 8)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        body = {"model": "timed", "stream": True, "messages": [{"role": "user", "content": "go"}]}
        await asyncio.gather(*(read_stream(client, "POST", f"{model_url}/v1/chat/completions", body, chunks, run, b"[DONE]") for _ in range(streams)))
    return run, own_cpu() - before


async def through_vzero(server: VzeroServer, streams: int, chunks: int) -> tuple[Run, float]:
    run = Run()
    limits = httpx.Limits(max_connections=streams + 8, max_keepalive_connections=streams + 8)
    before = cpu_seconds(server.pid or 0)
    async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers, limits=limits, timeout=120) as client:
        body = {"message": "stream a reply", "responseMode": "experimental_stream"}
        await asyncio.gather(*(read_stream(client, "POST", "/v1/chats", body, chunks, run, b"data: [DONE]", skip_opening=True) for _ in range(streams)))
    return run, cpu_seconds(server.pid or 0) - before


def report(label: str, streams: int, base: Run, via: Run, cpu: float, client_cpu: float) -> None:
    added50 = pct(via.latencies, 50) - pct(base.latencies, 50)
    added99 = pct(via.latencies, 99) - pct(base.latencies, 99)
    per_k = cpu / max(1, via.chunks) * 1000
    print(
        f"{label:>6} streams={streams:<4} | direct p50 {pct(base.latencies, 50):7.2f} ms p99 {pct(base.latencies, 99):7.2f} ms"
        f" ttft p50 {pct(base.first_token, 50):7.1f} ms | vzero p50 {pct(via.latencies, 50):7.2f} ms p99 {pct(via.latencies, 99):7.2f} ms"
        f" ttft p50 {pct(via.first_token, 50):7.1f} ms p99 {pct(via.first_token, 99):7.1f} ms"
        f" | added p50 {added50:6.2f} ms p99 {added99:6.2f} ms | vzero CPU {cpu:6.2f} s = {per_k:.3f} s/1000 chunks"
        f" | complete {via.complete}/{streams} lost {via.lost} (direct lost {base.lost})"
        f" | baseline: a bare client reading the model directly spent {client_cpu / max(1, base.chunks) * 1000:.3f} s/1000 chunks"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", default="1,50,200,500", help="comma-separated concurrency levels")
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--database-url", default=None, help="run vzero on this database (default: SQLite in a temp dir)")
    args = parser.parse_args()
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
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": f"{model_url}/v1", "VZERO_MODEL": "timed",
                "VZERO_RATE_LIMIT_PER_MINUTE": "0",
            }
            if args.database_url:
                env["VZERO_DATABASE_URL"] = args.database_url
            with VzeroServer(Path(tmp) / "data", env=env) as server:
                print(f"{os.cpu_count()} cores shared by the model, vzero and this client; {args.chunks} chunks {args.interval * 1000:.0f} ms apart per stream")
                await through_vzero(server, 2, args.chunks)  # warm up imports, pools and caches
                for streams in (int(s) for s in args.streams.split(",")):
                    base, client_cpu = await direct(model_url, streams, args.chunks)
                    via, cpu = await through_vzero(server, streams, args.chunks)
                    report("v1", streams, base, via, cpu, client_cpu)
    finally:
        model.terminate()
        model.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
