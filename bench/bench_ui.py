"""Benchmark: the workspace's first paint of a big chat in Chromium, and the size of its JavaScript.

Run from the repository root:  python bench/bench_ui.py  [--runs 10] [--files 100] [--versions 50]
See bench/README.md for what is measured and the targets.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from bench_api import build_chat  # noqa: E402

from tests.server import VzeroServer  # noqa: E402
from vzero.preview.screenshots import find_chromium  # noqa: E402
from vzero.ui.build import build, build_dir_for  # noqa: E402

TARGET_PAINT_MS = 1000.0
TARGET_JS_GZIP = 500 * 1024
KEY = "bench-ui-key-0123456789"

# Installed before the page's own scripts: notes when the chat is on screen (its title, its messages, the version's
# preview frame and its count of versions), and keeps the browser's paint timings.
READY_PROBE = """
(() => {
  const probe = { ready: null };
  window.__probe = probe;
  const check = () => {
    if (probe.ready !== null) return;
    const title = document.querySelector(".chat-title h1");
    const messages = document.querySelectorAll(".message-list > li").length;
    const frame = document.querySelector('iframe[title="Preview"]');
    const count = document.querySelector('[role=tab] .count');
    if (title && messages > 0 && frame && count) {
      probe.ready = performance.now();
      probe.messages = messages;
      probe.versions = Number(count.textContent);
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 9))


def js_sizes(folder: Path) -> tuple[int, int, int]:
    """(all JS gzipped, the JS loaded at first paint gzipped, the editor's chunk gzipped)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    every = [f for f in manifest["files"] if f.endswith(".js")]
    initial = manifest["initialJs"]
    lazy = [f for f in every if f not in initial]
    return sum(gz(folder / f) for f in every), sum(gz(folder / f) for f in initial), sum(gz(folder / f) for f in lazy)


def measure(browser: Any, server: VzeroServer, chat_id: str, runs: int) -> dict[str, list[float]]:
    """Cold (a new browser profile: nothing cached) and warm (the same tab loading the chat again) first paints."""
    figures: dict[str, list[float]] = {"cold ready": [], "cold fcp": [], "warm ready": [], "warm fcp": [], "bytes": []}
    for _ in range(runs):
        context = browser.new_context(base_url=server.base_url, viewport={"width": 1440, "height": 900})
        context.add_init_script(READY_PROBE)
        signed = context.request.post("/auth/login", data={"apiKey": KEY})
        assert signed.ok, signed.text()
        page = context.new_page()
        received = [0]

        def count(response: Any, received: list[int] = received) -> None:
            received[0] += int(response.headers.get("content-length") or 0)

        page.on("response", count)
        for kind in ("cold", "warm"):
            page.goto(f"/chats/{chat_id}")
            for _ in range(600):  # polled: the probe noted the moment itself (wait_for_function would need eval, which the CSP refuses)
                probe = page.evaluate("window.__probe")
                if probe and probe["ready"] is not None:
                    break
                page.wait_for_timeout(50)
            assert probe["versions"] >= 50 and probe["messages"] >= 49, probe
            fcp = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime")
            figures[f"{kind} ready"].append(probe["ready"])
            figures[f"{kind} fcp"].append(fcp)
            if kind == "cold":
                figures["bytes"].append(received[0])
        context.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("bench_ui needs Chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    folder = build(build_dir_for(REPO_ROOT / "vzero-data"))
    every, initial, lazy = js_sizes(folder)
    print(f"workspace JavaScript, gzipped: {every / 1024:.0f} KiB in all "
          f"({initial / 1024:.0f} KiB loaded for the first paint, {lazy / 1024:.0f} KiB the editor loads on first use); "
          f"target <= {TARGET_JS_GZIP / 1024:.0f} KiB: {'met' if every <= TARGET_JS_GZIP else 'MISSED'}")

    with tempfile.TemporaryDirectory() as data, VzeroServer(Path(data) / "data", api_key=KEY, env={"VZERO_SCREENSHOTS": "false"}) as server:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
            import asyncio

            async def chat() -> str:
                async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as c:
                    return (await build_chat(c, random.Random(args.seed), args.files, args.versions)).chat_id

            chat_id = asyncio.run(chat())
            body = client.get(f"/v1/chats/{chat_id}").content
        print(f"chat: {args.files} files, {args.versions} versions; GET /v1/chats/{{id}} is {len(body) / 1024:.0f} KiB of JSON")
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            try:
                measure(browser, server, chat_id, 2)  # warm the server's caches and the OS's
                figures = measure(browser, server, chat_id, args.runs)
            finally:
                browser.close()

    def line(name: str, values: list[float]) -> str:
        return f"{name:<34} p50 {statistics.median(values):7.0f} ms   (min {min(values):.0f}, max {max(values):.0f}, n={len(values)})"

    print(line("cold first contentful paint", figures["cold fcp"]))
    print(line("cold: chat on screen", figures["cold ready"]))
    print(line("warm first contentful paint", figures["warm fcp"]))
    print(line("warm: chat on screen", figures["warm ready"]))
    print(f"cold load transferred: {statistics.median(figures['bytes']) / 1024:.0f} KiB (p50, compressed where served so)")
    worst = max(statistics.median(figures["cold ready"]), statistics.median(figures["warm ready"]))
    print(f"target: chat on screen <= {TARGET_PAINT_MS:.0f} ms (p50, cold and warm): {'met' if worst <= TARGET_PAINT_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
