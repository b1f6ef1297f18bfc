"""PreviewBuilder against the real node worker and npm runtime."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from preview_apps import COUNTER_APP, require_runtime

from vzero.errors import InvalidInput
from vzero.preview import PreviewBuilder, read_asset
from vzero.preview.packages import PackagePolicy


@pytest.fixture
async def builder(tmp_path: Path) -> AsyncIterator[PreviewBuilder]:
    b = PreviewBuilder(tmp_path / "data", runtime_dir=require_runtime())
    yield b
    await b.aclose()


def with_page(source: str) -> dict[str, bytes]:
    return {**COUNTER_APP, "app/page.tsx": source.encode()}


async def test_build_next_counter_app(builder: PreviewBuilder) -> None:
    result = await builder.build(COUNTER_APP, key="chat-1")
    assert result.ok, result.errors
    assert result.errors == []
    js = result.assets["app.js"].decode()
    assert "setCount(count + 1)" in js  # the page's own code
    assert "inline-flex items-center justify-center" in js  # the shadcn button's cva classes
    assert 'from "./vendor/react.js"' in js  # React comes from the vendor bundle, not compiled again
    assert 'from "./vendor/lucide-react.js"' in js
    assert "./vendor/vzero__jsx-runtime.js" in js  # <html>/<body> of the layout are shimmed
    assert "fonts.googleapis" not in js
    assert result.assets["logo.svg"].startswith(b"<svg")  # public/ files are served beside the page
    page = result.html
    assert '<script type="module" src="./app.js"></script>' in page
    assert '<script type="text/tailwindcss">' in page  # a <style> would make Chromium fetch @import "tailwindcss"
    assert "<style" not in page
    assert "--primary: oklch(0.205 0 0)" in page  # app/globals.css, for Tailwind's browser build
    assert "@keyframes enter" in page  # tw-animate-css inlined: the browser build cannot @import it
    assert page.count('@import "tailwindcss"') == 1
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith("./") or url.startswith("data:"), url
    assert "vzero-build-errors" not in page
    assert read_asset(result, builder.runtime_dir, "vendor/react.js") is not None
    assert read_asset(result, builder.runtime_dir, "vendor/vzero__tailwind.js") is not None
    # next/font/google's Inter: the real font, from the pinned @fontsource-variable/inter, through the import map.
    [font] = [b for b in result.bundles if b.startswith("@fontsource-variable/inter@")]
    assert f'"@vzero/font/Inter":"./vendor/npm/{font}/font.js"' in page and len(result.script_hashes) == 1
    module = read_asset(result, builder.runtime_dir, f"vendor/npm/{font}/font.js", builder.packages_dir)
    assert module is not None and b'"family": "Inter"' in module[0] and b"inter-latin-wght-normal.woff2" in module[0]
    assert read_asset(result, builder.runtime_dir, f"vendor/npm/{font}/files/inter-latin-wght-normal.woff2", builder.packages_dir) is not None
    assert "next app" in result.log and result.duration_ms > 0


async def test_missing_module_is_a_clean_error(tmp_path: Path) -> None:
    builder = PreviewBuilder(tmp_path / "data", runtime_dir=require_runtime(), policy=PackagePolicy(installs=False))
    try:
        result = await builder.build(with_page('import pad from "left-pad"\nexport default function P() { return <p>{pad("a", 3)}</p> }\n'))
    finally:
        await builder.aclose()
    assert not result.ok
    [error] = result.errors
    assert "Module not found: 'left-pad' is not among the preview's pinned packages" in error.message
    assert "lucide-react" in error.message and "VZERO_PREVIEW_NPM_INSTALLS=false" in error.message
    assert (error.file, error.line) == ("app/page.tsx", 1)
    assert "app.js" not in result.assets
    assert 'id="vzero-build-errors"' in result.html and "left-pad" in result.html
    assert "./vendor/overlay.js" in result.html


async def test_missing_relative_file_names_it(builder: PreviewBuilder) -> None:
    result = await builder.build(with_page('import { Card } from "@/components/ui/card"\nexport default function P() { return <Card /> }\n'))
    assert not result.ok
    assert 'Could not resolve "@/components/ui/card"' in result.errors[0].message


async def test_syntax_error_is_located(builder: PreviewBuilder) -> None:
    source = 'export default function Page() {\n  const x = 1\n  return <div>{x</div>\n}\n'
    result = await builder.build(with_page(source))
    assert not result.ok
    error = result.errors[0]
    assert error.file == "app/page.tsx"
    assert error.line == 3
    assert error.column is not None and error.column > 1
    assert error.text == "  return <div>{x</div>"
    assert str(error).startswith("app/page.tsx:3:")


async def test_second_build_is_a_cache_hit(builder: PreviewBuilder, tmp_path: Path) -> None:
    first = await builder.build(COUNTER_APP, key="chat-1")
    requests = builder.worker.requests
    second = await builder.build(dict(COUNTER_APP), key="another-chat")
    assert builder.worker.requests == requests  # the worker was not asked again
    assert second == first and second.cached and not first.cached
    assert (tmp_path / "data" / "previews" / first.digest / "index.html").is_file()
    # A restarted server finds it on disk without starting node at all.
    restarted = PreviewBuilder(tmp_path / "data", runtime_dir=builder.runtime_dir)
    try:
        third = await restarted.build(COUNTER_APP)
        assert third == first
        assert restarted.worker.starts == 0
        assert await restarted.cached(first.digest) == first
    finally:
        await restarted.aclose()


async def test_concurrent_identical_builds_run_once(builder: PreviewBuilder) -> None:
    import asyncio

    results = await asyncio.gather(*(builder.build(COUNTER_APP) for _ in range(4)))
    assert builder.worker.requests == 1
    assert all(r is results[0] for r in results)


async def test_one_file_change_rebuilds_incrementally(builder: PreviewBuilder) -> None:
    first = await builder.build(COUNTER_APP, key="chat-1")
    changed = with_page(COUNTER_APP["app/page.tsx"].decode().replace("Increment", "Add one"))
    second = await builder.build(changed, key="chat-1")
    assert second.ok and second.digest != first.digest
    assert "Add one" in second.assets["app.js"].decode()
    assert "Increment" not in second.assets["app.js"].decode().replace("IncrementIcon", "")


async def test_worker_crash_recovery(builder: PreviewBuilder) -> None:
    assert (await builder.build(COUNTER_APP, key="chat-1")).ok
    pid = builder.worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    result = await builder.build(with_page('export default function P() { return <p>after the crash</p> }\n'), key="chat-1")
    assert result.ok, result.errors
    assert "after the crash" in result.assets["app.js"].decode()
    assert builder.worker.starts == 2 and builder.worker.pid not in (None, pid)


async def test_next_routes_and_nested_layouts(builder: PreviewBuilder) -> None:
    files = {
        **COUNTER_APP,
        "app/about/page.tsx": b'import Link from "next/link"\nexport default function About() { return <Link href="/">home</Link> }\n',
        "app/blog/[slug]/page.tsx": b'"use client"\nimport { useParams } from "next/navigation"\nexport default function Post() { const { slug } = useParams(); return <h1>{String(slug)}</h1> }\n',
        "app/blog/layout.tsx": b"export default function BlogLayout({ children }: { children: React.ReactNode }) { return <section>{children}</section> }\n",
        "app/(marketing)/pricing/page.tsx": b"export default function Pricing() { return <p>pricing</p> }\n",
    }
    result = await builder.build(files)
    assert result.ok, result.errors
    js = result.assets["app.js"].decode()
    for segments in ('["about"]', '["blog", ":slug"]', '["pricing"]', "segments: []"):
        assert segments in js
    assert "./vendor/next__link.js" in js and "./vendor/next__navigation.js" in js
    assert "BlogLayout" in js


async def test_vite_layout(builder: PreviewBuilder) -> None:
    files = {
        "index.html": b'<!doctype html><html><head><title>Vite App</title></head><body><div id="app"></div><script type="module" src="/src/main.tsx"></script></body></html>',
        "src/main.tsx": b'import { createRoot } from "react-dom/client"\nimport App from "./App"\nimport "./index.css"\ncreateRoot(document.getElementById("app")!).render(<App />)\n',
        "src/App.tsx": b'import { format } from "date-fns"\nexport default function App() { return <h1 className="text-xl">{format(new Date(0), "yyyy")}</h1> }\n',
        "src/index.css": b"@tailwind base;\n@tailwind components;\n@tailwind utilities;\n:root { --primary: 222 47% 11%; }\n",
    }
    result = await builder.build(files)
    assert result.ok, result.errors
    assert '<div id="app"></div>' in result.html and "<title>Vite App</title>" in result.html
    assert "./vendor/react-dom__client.js" in result.assets["app.js"].decode()
    # Tailwind v3 directives become v4 plus the shadcn colour tokens they relied on.
    assert "@tailwind" not in result.html
    assert "--color-primary: hsl(var(--primary))" in result.html


async def test_no_entry_point(builder: PreviewBuilder) -> None:
    result = await builder.build({"README.md": b"# nothing to run"})
    assert not result.ok
    assert "No entry point found" in result.errors[0].message


async def test_path_escaping_the_app_is_refused(builder: PreviewBuilder) -> None:
    with pytest.raises(InvalidInput, match="leaves the app folder"):
        await builder.build({**COUNTER_APP, "../../etc/passwd": b"x"})


async def test_same_key_survives_a_failed_build_and_concurrent_builds(builder: PreviewBuilder) -> None:
    import asyncio

    assert (await builder.build(COUNTER_APP, key="chat-1")).ok
    broken = await builder.build(with_page("export default function P() { return <div> }\n"), key="chat-1")
    assert not broken.ok and broken.errors[0].file == "app/page.tsx"
    pages = [f'export default function P() {{ return <p>version {n}</p> }}\n' for n in range(4)]
    results = await asyncio.gather(*(builder.build(with_page(p), key="chat-1") for p in pages))
    for n, result in enumerate(results):
        js = result.assets["app.js"].decode()
        assert result.ok and f"version {n}" in js
        assert not any(f"version {m}" in js for m in range(4) if m != n)  # each build saw its own files


async def test_non_utf8_source_is_a_build_error(builder: PreviewBuilder) -> None:
    result = await builder.build({**COUNTER_APP, "lib/utils.ts": b"\xff\xfe\x00bad"})
    assert not result.ok
    assert "lib/utils.ts" in result.errors[0].message and "UTF-8" in result.errors[0].message
