"""Benchmark: GET /v1/chats/{id} of a 100-file, 50-version chat on a real `vzero serve`, and the bytes stored.

Run from the repository root:  python bench/bench_api.py  [--postgres postgresql://postgres@127.0.0.1:5432/test]
See bench/README.md for what is measured and the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.server import VzeroServer  # noqa: E402

TARGET_P50_MS = 5.0
TARGET_RPS = 1000.0
TARGET_RATIO = 30.0
MIN_FILE, MAX_FILE = 1024, 6144

# --- a plausible Next.js app -----------------------------------------------------------------------------------------

_WORDS = ["account", "activity", "analytics", "archive", "audit", "avatar", "badge", "balance", "banner", "billing", "board", "bookmark", "budget", "calendar", "campaign", "card", "cart", "category", "channel", "chart", "checkout", "comment", "contact", "content", "coupon", "customer", "dashboard", "deal", "delivery", "device", "discount", "document", "draft", "editor", "event", "export", "feed", "filter", "folder", "form", "gallery", "goal", "group", "history", "inbox", "invoice", "issue", "item", "label", "layout", "lead", "library", "list", "location", "log", "member", "menu", "message", "metric", "milestone", "note", "notification", "order", "overview", "owner", "page", "panel", "payment", "plan", "post", "preview", "price", "product", "profile", "project", "queue", "quote", "rating", "receipt", "record", "report", "request", "review", "role", "schedule", "search", "section", "session", "setting", "share", "shipment", "sidebar", "signal", "skill", "snippet", "source", "stage", "status", "step", "stock", "subscription", "summary", "supplier", "survey", "tab", "table", "tag", "task", "team", "template", "ticket", "timeline", "token", "topic", "transaction", "trend", "upload", "usage", "user", "vendor", "version", "view", "wallet", "widget", "workflow"]
_TW = ["flex", "grid", "items-center", "justify-between", "gap-2", "gap-4", "gap-6", "p-2", "p-4", "p-6", "px-3", "px-4", "py-2", "py-3", "mt-2", "mt-4", "mb-2", "mb-6", "rounded-md", "rounded-lg", "rounded-xl", "border", "border-b", "shadow-sm", "shadow-md", "bg-white", "bg-muted", "bg-background", "bg-primary", "text-sm", "text-xs", "text-lg", "text-2xl", "font-medium", "font-semibold", "font-bold", "text-muted-foreground", "text-primary", "hover:bg-accent", "hover:underline", "w-full", "h-8", "h-10", "w-64", "max-w-md", "min-h-screen", "space-y-2", "space-y-4", "overflow-hidden", "truncate", "md:grid-cols-2", "lg:grid-cols-3", "grid-cols-1", "col-span-2", "dark:bg-slate-900", "transition-colors", "opacity-70"]
_UI = ("Button", "Card", "CardHeader", "CardTitle", "CardContent", "Badge", "Input", "Label", "Separator", "Avatar", "Tabs", "Dialog", "Table", "Select")
_INITIAL = ("0", "false", '""', "[]", "null")
_ICONS = ("ArrowRight", "Check", "ChevronDown", "Search", "Plus", "Trash2", "Settings", "User", "Bell", "Calendar", "Filter", "Download")


def _pascal(*words: str) -> str:
    return "".join(w.capitalize() for w in words)


def _camel(*words: str) -> str:
    return words[0] + _pascal(*words[1:])


def _classes(rng: random.Random) -> str:
    return " ".join(rng.sample(_TW, rng.randint(2, 6)))


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 9))).capitalize()


def _fill(rng: random.Random, head: list[str], chunk: Callable[[], list[str]]) -> str:
    """`head` plus chunks up to a size drawn from 1–6 KB (a chunk that would pass 6 KB is skipped)."""
    target = rng.randint(MIN_FILE, MAX_FILE)
    text = "\n".join(head)
    misses = 0
    while len(text) < target and misses < 20:
        more = "\n".join(chunk())
        if len(text) + 1 + len(more) > MAX_FILE:
            misses += 1
            continue
        text += "\n" + more
    return text


def _jsx(rng: random.Random, depth: int, props: list[str]) -> list[str]:
    pad = "  " * (depth + 2)
    lines: list[str] = []
    for _ in range(rng.randint(2, 4)):
        kind = rng.random()
        if kind < 0.3 and depth < 3:
            tag = rng.choice(("div", "section", "ul", "header", "nav"))
            lines.append(f'{pad}<{tag} className="{_classes(rng)}">')
            lines.extend(_jsx(rng, depth + 1, props))
            lines.append(f"{pad}</{tag}>")
        elif kind < 0.5:
            comp = rng.choice(_UI)
            lines.append(f'{pad}<{comp} className="{_classes(rng)}">{_sentence(rng)}</{comp}>')
        elif kind < 0.65 and props:
            prop = rng.choice(props)
            lines.append(f'{pad}<span className="{_classes(rng)}">{{{prop}}}</span>')
        elif kind < 0.8:
            item = rng.choice(_WORDS)
            lines.append(f"{pad}{{{item}s.map(({item}) => (")
            lines.append(f'{pad}  <li key={{{item}.id}} className="{_classes(rng)}">{{{item}.{rng.choice(_WORDS)}}}</li>')
            lines.append(f"{pad}))}}")
        else:
            lines.append(f'{pad}<p className="{_classes(rng)}">{_sentence(rng)}.</p>')
    return lines


def _component(rng: random.Random, name: str) -> str:
    props = [_camel(rng.choice(_WORDS), rng.choice(_WORDS)) for _ in range(rng.randint(2, 5))]
    ui = sorted(set(rng.sample(_UI, 3)))
    icons = sorted(set(rng.sample(_ICONS, 2)))
    lines = ['"use client"', "", 'import { useMemo, useState } from "react"']
    lines += [f'import {{ {u} }} from "@/components/ui/{u.lower()}"' for u in ui]
    lines += [f'import {{ {", ".join(icons)} }} from "lucide-react"', 'import { cn } from "@/lib/utils"', ""]
    lines.append(f"export interface {name}Props {{")
    lines += [f"  {p}{'?' if rng.random() < 0.4 else ''}: {rng.choice(('string', 'number', 'boolean', 'string[]', '() => void'))}" for p in props]
    lines += ["  className?: string", "}", ""]

    def chunk() -> list[str]:
        fn = _camel(rng.choice(("format", "compute", "group", "sort", "filter", "map")), rng.choice(_WORDS), rng.choice(_WORDS))
        arg = rng.choice(_WORDS)
        return [
            f"function {fn}({arg}s: {_pascal(arg)}[], query: string) {{",
            "  const needle = query.trim().toLowerCase()",
            f"  return {arg}s",
            f"    .filter(({arg}) => !needle || {arg}.{rng.choice(_WORDS)}.toLowerCase().includes(needle))",
            f"    .sort((a, b) => a.{rng.choice(_WORDS)}.localeCompare(b.{rng.choice(_WORDS)}))",
            "}",
            "",
            f"export function {name}{_pascal(rng.choice(_WORDS))}({{ {', '.join(props)}, className }}: {name}Props) {{",
            f"  const [{_camel(rng.choice(_WORDS))}, set{_pascal(rng.choice(_WORDS))}] = useState({rng.choice(_INITIAL)})",
            f"  const {_camel(rng.choice(_WORDS), 'items')} = useMemo(() => {fn}([], \"\"), [])",
            "  return (",
            f'    <div className={{cn("{_classes(rng)}", className)}}>',
            *_jsx(rng, 0, props),
            "    </div>",
            "  )",
            "}",
            "",
        ]

    return _fill(rng, lines, chunk)


def _module(rng: random.Random) -> str:
    def chunk() -> list[str]:
        thing = rng.choice(_WORDS)
        fields = rng.sample(_WORDS, rng.randint(3, 7))
        lines = [f"export const {_camel(thing)}Schema = z.object({{"]
        lines += [f"  {f}: z.{rng.choice(('string()', 'number()', 'boolean()', 'string().optional()', 'array(z.string())'))}," for f in fields]
        lines += ["})", f"export type {_pascal(thing)} = z.infer<typeof {_camel(thing)}Schema>", ""]
        lines += [
            f"export async function fetch{_pascal(thing)}s(page = 1): Promise<{_pascal(thing)}[]> {{",
            f'  const response = await fetch(`/api/{thing}s?page=${{page}}&limit={rng.randint(10, 100)}`)',
            f'  if (!response.ok) throw new Error(`Failed to load {thing}s: ${{response.status}}`)',
            f"  return z.array({_camel(thing)}Schema).parse(await response.json())",
            "}",
            "",
        ]
        return lines

    return _fill(rng, ['import { z } from "zod"', ""], chunk)


def _stylesheet(rng: random.Random) -> str:
    def chunk() -> list[str]:
        lines = [f".{rng.choice(_WORDS)}-{rng.choice(_WORDS)} {{"]
        for _ in range(rng.randint(2, 6)):
            prop = rng.choice(("margin", "padding", "gap", "border-radius", "font-size", "line-height", "opacity"))
            lines.append(f"  {prop}: {rng.randint(0, 48)}{rng.choice(('px', 'rem', '%', ''))};")
        return [*lines, f"  color: hsl({rng.randint(0, 360)} {rng.randint(10, 90)}% {rng.randint(10, 90)}%);", "}", ""]

    return _fill(rng, ["@tailwind base;", "@tailwind components;", "@tailwind utilities;", ""], chunk)


def make_app(rng: random.Random, count: int) -> dict[str, str]:
    """`count` plausible files of a Next.js + shadcn app, 1–6 KB each."""
    files: dict[str, str] = {}
    files["app/globals.css"] = _stylesheet(rng)
    while len(files) < count:
        roll = rng.random()
        a, b = rng.sample(_WORDS, 2)
        if roll < 0.45:
            path, content = f"components/{a}-{b}.tsx", _component(rng, _pascal(a, b))
        elif roll < 0.65:
            path, content = f"app/{a}/{b}/page.tsx", _component(rng, _pascal(a, b, "page"))
        elif roll < 0.9:
            path, content = f"lib/{a}-{b}.ts", _module(rng)
        else:
            path, content = f"styles/{a}-{b}.css", _stylesheet(rng)
        files.setdefault(path, content)
    return files


def edit(rng: random.Random, content: str) -> str:
    """A model-sized change: rewrite a few lines and insert a few new ones."""
    lines = content.split("\n")
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(lines))
        lines[at] = lines[at].replace(rng.choice(_WORDS), rng.choice(_WORDS)) + f"  // {_sentence(rng).lower()}"
    at = rng.randrange(len(lines))
    lines[at:at] = [f"  // {_sentence(rng)}", f'  const {_camel(rng.choice(_WORDS), rng.choice(_WORDS))} = "{_sentence(rng)}"']
    return "\n".join(lines)


# --- building the chat -------------------------------------------------------------------------------------------------

@dataclass
class Built:
    chat_id: str
    version_ids: list[str]
    raw_bytes: int  # all files of all versions, as a client would hold them
    file_count: int


async def build_chat(client: httpx.AsyncClient, rng: random.Random, files: int, versions: int) -> Built:
    current = make_app(rng, files)
    created = await client.post("/v1/chats/init", json={"type": "files", "name": "bench app", "files": [{"name": n, "content": c} for n, c in current.items()]})
    created.raise_for_status()
    chat = created.json()
    version_ids = [chat["latestVersion"]["id"]]
    raw = sum(len(c.encode()) for c in current.values())
    for _ in range(versions - 1):
        changed = {}
        for path in rng.sample(sorted(current), rng.randint(1, 2)):
            changed[path] = edit(rng, current[path])
        current.update(changed)
        answer = await client.patch(
            f"/v1/chats/{chat['id']}/versions/{version_ids[-1]}", json={"files": [{"name": n, "content": c} for n, c in changed.items()]}
        )
        answer.raise_for_status()
        version_ids.append(answer.json()["id"])
        raw += sum(len(c.encode()) for c in current.values())
    check = (await client.get(f"/v1/chats/{chat['id']}")).json()
    assert check["latestVersion"]["id"] == version_ids[-1], "the chat's latest version is not the last edit"
    assert {f["name"]: f["content"] for f in check["latestVersion"]["files"]} == current, "the stored files differ from what was sent"
    return Built(chat["id"], version_ids, raw, len(current))


# --- storage -------------------------------------------------------------------------------------------------------------

@dataclass
class Storage:
    total: int  # database bytes (SQLite: main file + WAL after a checkpoint; PostgreSQL: tables, TOAST and indexes, all forks)
    data: int  # PostgreSQL: the same without the free-space and visibility maps (SQLite: = total)
    blob_stored: int  # sum of stored blob bytes (compressed), manifests included
    blob_raw: int  # sum of distinct contents before compression
    blob_count: int
    manifest_stored: int


_BLOB_SQL = "SELECT count(*), coalesce(sum(length(data)), 0), coalesce(sum(size), 0) FROM blobs"
_MANIFEST_SQL = "SELECT coalesce(sum(length(data)), 0) FROM blobs WHERE hash IN (SELECT manifest_hash FROM versions)"


def sqlite_storage(path: Path) -> Storage:
    with sqlite3.connect(path, timeout=30) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            print("  warning: the WAL checkpoint was blocked by a reader; sizes include the WAL as it is")
        count, stored, raw = conn.execute(_BLOB_SQL).fetchone()
        (manifests,) = conn.execute(_MANIFEST_SQL).fetchone()
    total = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return Storage(total, total, stored, raw, count, manifests)


def postgres_storage(url: str) -> Storage:
    import psycopg

    def one(conn: psycopg.Connection[Any], sql: str) -> tuple[Any, ...]:
        row = conn.execute(sql.replace("length(data)", "octet_length(data)")).fetchone()
        assert row is not None
        return tuple(row)

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        total, data = one(
            conn,
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0), "
            "coalesce(sum(pg_relation_size(c.oid) + pg_indexes_size(c.oid) "
            "+ coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)) + pg_indexes_size(nullif(c.reltoastrelid, 0)), 0)), 0) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'",
        )
        count, stored, raw = one(conn, _BLOB_SQL)
        (manifests,) = one(conn, _MANIFEST_SQL)
    return Storage(int(total), int(data), int(stored), int(raw), int(count), int(manifests))


# --- load --------------------------------------------------------------------------------------------------------------

@dataclass
class Load:
    requests: int
    seconds: float
    latencies_ms: list[float]
    response_bytes: int
    server_cpu: float
    client_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (0 where /proc is not there)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class RawConnection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads Content-Length bodies: a far cheaper client than httpx."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> RawConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def get(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                raise RuntimeError(f"the raw client reads only Content-Length bodies, got Transfer-Encoding: {value.strip()}")
        if length is None:
            raise RuntimeError("the raw client reads only Content-Length bodies: the response has none")
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


Getter = Callable[[], Awaitable[tuple[int, bytes]]]


async def load(server: VzeroServer, path: str, *, concurrency: int, requests: int, warmup: int, client: str = "httpx") -> Load:
    """`requests` GETs of `path` from `concurrency` keep-alive connections (httpx, or `RawConnection` with client="raw")."""
    async with contextlib.AsyncExitStack() as stack:
        getters: list[Getter] = []
        if client == "httpx":
            limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            http = await stack.enter_async_context(server.async_client(limits=limits, timeout=30.0))

            async def get() -> tuple[int, bytes]:
                response = await http.get(path)
                return response.status_code, response.content

            getters = [get] * concurrency
        else:
            request = f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nAuthorization: Bearer {server.api_key}\r\n\r\n".encode()
            for _ in range(concurrency):
                connection = await RawConnection.open(server.host, server.port)
                stack.push_async_callback(connection.close)
                getters.append(functools.partial(connection.get, request))
        size = 0

        async def run(total: int, latencies: list[float]) -> None:
            nonlocal size
            remaining = total

            async def worker(get: Getter) -> None:
                nonlocal remaining, size
                while remaining > 0:
                    remaining -= 1
                    started = time.perf_counter()
                    status, body = await get()
                    latencies.append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise RuntimeError(f"GET {path}: HTTP {status}: {body[:300]!r}")
                    size = len(body)

            await asyncio.gather(*(worker(get) for get in getters))

        await run(warmup, [])
        latencies: list[float] = []
        server_cpu, client_cpu = _cpu_seconds(server.pid or 0), time.process_time()
        started = time.perf_counter()
        await run(requests, latencies)
        seconds = time.perf_counter() - started
        return Load(
            requests, seconds, latencies, size, _cpu_seconds(server.pid or 0) - server_cpu, time.process_time() - client_cpu
        )


# --- main --------------------------------------------------------------------------------------------------------------

def _kb(n: float) -> str:
    return f"{n / 1024:,.1f} KiB"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


async def bench(args: argparse.Namespace, data_dir: Path, database_url: str | None) -> bool:
    env = {"VZERO_RATE_LIMIT_PER_MINUTE": "0"}  # the bench sends thousands of requests a minute with one key
    if database_url:
        env["VZERO_DATABASE_URL"] = database_url
    sqlite_path = data_dir / "vzero.db"

    def storage() -> Storage:
        return postgres_storage(database_url) if database_url else sqlite_storage(sqlite_path)

    with VzeroServer(data_dir, env=env, api_key="bench-" + secrets.token_hex(8), repo=args.server_repo) as server:
        print(f"server: pid {server.pid} at {server.base_url}, store {'PostgreSQL' if database_url else 'SQLite ' + str(sqlite_path)}")
        before = storage()
        async with server.async_client(timeout=60.0) as client:
            started = time.perf_counter()
            built = await build_chat(client, random.Random(args.seed), args.files, args.versions)
            print(f"built chat {built.chat_id}: {built.file_count} files, {len(built.version_ids)} versions in {time.perf_counter() - started:.1f} s")
        after = storage()
        path = f"/v1/chats/{built.chat_id}"
        result = await load(server, path, concurrency=args.concurrency, requests=args.requests, warmup=args.warmup, client=args.client)
        single = await load(server, path, concurrency=1, requests=max(100, args.requests // 8), warmup=20, client=args.client)

    cores = os.cpu_count()
    busy = f", load average {os.getloadavg()[0]:.1f} when the load ended" if hasattr(os, "getloadavg") else ""
    p50, p90, p99 = result.percentile(0.50), result.percentile(0.90), result.percentile(0.99)
    grown = after.total - before.total
    blobs = after.blob_stored - before.blob_stored
    ratio_db = built.raw_bytes / grown if grown > 0 else float("inf")
    ratio_blobs = built.raw_bytes / blobs if blobs > 0 else float("inf")
    print()
    print(f"GET /v1/chats/{{id}}  ({args.requests} requests after {args.warmup} warm-up, {args.concurrency} concurrent keep-alive {args.client} connections)")
    if database_url:
        print("  NOTE: server CPU below is the vzero process only; PostgreSQL's own processes are not counted")
    print(f"  NOTE: client and server share this machine's {cores} cores; the rate limit is off (VZERO_RATE_LIMIT_PER_MINUTE=0){busy}")
    print(f"  response size   {_kb(result.response_bytes)} (ChatDetail with {built.file_count} files in latestVersion.files and files[])")
    print(f"  throughput      {result.rps:,.0f} req/s   target >= {TARGET_RPS:,.0f}   {_verdict(result.rps >= TARGET_RPS)}")
    print(f"  latency p50     {p50:.2f} ms   target <= {TARGET_P50_MS} ms   {_verdict(p50 <= TARGET_P50_MS)}")
    print(f"  latency p90/p99 {p90:.2f} / {p99:.2f} ms   (mean {statistics.fmean(result.latencies_ms):.2f}, max {max(result.latencies_ms):.2f})")
    print(f"  CPU per request server {result.server_cpu / result.requests * 1000:.2f} ms, bench client {result.client_cpu / result.requests * 1000:.2f} ms"
          f"   ({result.server_cpu:.1f} s + {result.client_cpu:.1f} s CPU over {result.seconds:.1f} s wall)")
    s50 = single.percentile(0.50)
    print(f"  one connection  {single.rps:,.0f} req/s, p50 {s50:.2f} ms, p99 {single.percentile(0.99):.2f} ms ({single.requests} requests, one at a time)")
    print()
    print(f"Storage of {len(built.version_ids)} versions ({built.file_count} files, 1-2 changed per version)")
    print(f"  raw bytes of all files of all versions   {_kb(built.raw_bytes)}")
    label = "SQLite file + WAL growth (checkpointed)" if not database_url else "PostgreSQL relations growth (all forks)"
    print(f"  {label:<40} {_kb(grown)}   ratio 1/{ratio_db:.1f}   target <= 1/{TARGET_RATIO:.0f}   {_verdict(ratio_db >= TARGET_RATIO)}")
    if database_url:
        data = after.data - before.data
        print(f"    without free-space/visibility maps     {_kb(data)}   ratio 1/{built.raw_bytes / max(data, 1):.1f}")
    print(f"  blobs stored (compressed)                {_kb(blobs)}   ratio 1/{ratio_blobs:.1f}")
    print(f"    of which {len(built.version_ids)} manifests                   {_kb(after.manifest_stored - before.manifest_stored)}")
    print(f"    {after.blob_count - before.blob_count} distinct contents, {_kb(after.blob_raw - before.blob_raw)} before compression")
    return result.rps >= TARGET_RPS and p50 <= TARGET_P50_MS and ratio_db >= TARGET_RATIO


def _postgres_database(admin_url: str) -> tuple[str, str]:
    """Create a throwaway database next to `admin_url`'s; returns (its URL, its name)."""
    import psycopg

    name = f"vzero_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}", name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL URL whose server gets a throwaway database (default: SQLite)")
    parser.add_argument("--requests", type=int, default=4000, help="measured requests (default 4000)")
    parser.add_argument("--warmup", type=int, default=400, help="warm-up requests, not measured (default 400)")
    # In a closed loop p50 ~ connections / throughput: both targets (p50 <= 5 ms at >= 1,000 req/s) can hold together
    # only with at most 5 requests in flight, hence 4 by default; --concurrency 12 shows the queueing beyond that.
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent keep-alive connections (default 4)")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw",
        help="a minimal asyncio HTTP/1.1 client (default: 0.3-0.4 ms of CPU a request), or httpx (~2.5 ms, taken from the server's cores)",
    )
    parser.add_argument("--files", type=int, default=100, help="files in the app (default 100)")
    parser.add_argument("--versions", type=int, default=50, help="versions of the chat (default 50)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated app and edits")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and print where it is")
    parser.add_argument("--server-repo", type=Path, default=None, help="run the server from this checkout (default: this one)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="vzero-bench-")) / "data"
    pg_name = None
    database_url = None
    try:
        if args.postgres:
            database_url, pg_name = _postgres_database(args.postgres)
        met = asyncio.run(bench(args, data_dir, database_url))
    finally:
        if pg_name and args.postgres:
            _drop_postgres_database(args.postgres, pg_name)
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            import shutil

            shutil.rmtree(data_dir.parent, ignore_errors=True)
    print()
    print("all targets met" if met else "some targets missed (see above)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
