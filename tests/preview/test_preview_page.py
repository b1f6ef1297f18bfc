"""The page, headers, static lookup and result cache of the preview (no node needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vzero.errors import InvalidInput
from vzero.preview import BuildError, BuildResult, preview_headers, read_asset
from vzero.preview.builder import clean_files
from vzero.preview.cache import ResultCache
from vzero.preview.page import render_page, vite_shell


def result(digest: str, **changes: object) -> BuildResult:
    base = BuildResult(ok=True, html="<p>page</p>", assets={"app.js": b"x()", "img/a.png": b"\x89PNG"}, errors=[], log="built", duration_ms=12.5, digest=digest)
    return BuildResult(**{**base.__dict__, **changes})


def test_preview_headers_are_strict() -> None:
    headers = preview_headers()
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "img-src 'self' data: blob:" in csp
    script_src = next(part for part in csp.split("; ") if part.startswith("script-src"))
    assert script_src == "script-src 'self'"
    # A page's import map is allowed by its hash; anything else offered as a source is ignored.
    allowed = preview_headers(["'sha256-abc='", "'unsafe-inline'", "https://evil.example"])["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-abc='; " in allowed and "unsafe-inline'; img" not in allowed.split("style-src")[0]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_page_escapes_embedded_errors_and_css() -> None:
    page = render_page(
        tailwind_css="a::after { content: '</SCRIPT><script>alert(1)</script>' }",
        has_js=False,
        has_css=False,
        errors=[{"message": "</script><script>alert(1)</script>", "file": "app/page.tsx", "line": 1, "column": 1, "text": None}],
    )
    source = page.split('<script type="text/tailwindcss">')[1].split("</script>")[0]
    assert "<\\/SCRIPT><script>alert(1)<\\/script>" in source  # the CSS cannot close its element
    assert "<script>alert(1)</script>" not in page
    block = page.split('id="vzero-build-errors">')[1].split("</script>")[0]
    assert json.loads(block)[0]["message"] == "</script><script>alert(1)</script>"
    assert "./app.js" not in page


def test_vite_shell_reads_title_and_mount_id() -> None:
    shell = vite_shell('<html class="dark"><head><title>Shop &amp; Co</title></head><body><div id="app"></div></body></html>')
    assert shell == {"title": "Shop & Co", "root_id": "app", "html_class": "dark"}
    assert vite_shell(None)["root_id"] == "root"


def test_read_asset(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    (vendor / "chunks").mkdir(parents=True)
    (vendor / "react.js").write_text("export {}")
    (vendor / "placeholder.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("no")
    built = result("a" * 64)
    assert read_asset(built, tmp_path, "") == (b"<p>page</p>", "text/html; charset=utf-8")
    assert read_asset(built, tmp_path, "app.js") == (b"x()", "text/javascript; charset=utf-8")
    assert read_asset(built, tmp_path, "img/a.png") == (b"\x89PNG", "image/png")
    assert read_asset(built, tmp_path, "vendor/react.js") == (b"export {}", "text/javascript; charset=utf-8")
    assert read_asset(built, tmp_path, "placeholder.svg?height=40")  is None  # the route strips the query
    assert read_asset(built, tmp_path, "placeholder-user.jpg") == (b"<svg/>", "image/svg+xml")
    for bad in ("vendor/../secret.txt", "../secret.txt", "vendor/chunks", "missing.js", "vendor//react.js"):
        assert read_asset(built, tmp_path, bad) is None, bad


def test_cache_round_trip_and_prune(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, memory_entries=1, disk_entries=2)
    first = result("1" * 64, errors=[BuildError("boom", "app/page.tsx", 3, 7, "x")], ok=False)
    cache.put(first)
    fresh = ResultCache(tmp_path)
    loaded = fresh.get(first.digest)
    assert loaded == first and loaded is not None and loaded.cached
    for n in "23":
        cache.put(result(n * 64))
    assert sorted(p.name[0] for p in tmp_path.iterdir()) == ["2", "3"]  # oldest pruned
    assert cache.get("1" * 64) is None
    assert cache.get("../etc") is None
    (tmp_path / ("3" * 64) / "result.json").write_text("{not json")
    assert ResultCache(tmp_path).get("3" * 64) is None


def test_clean_files() -> None:
    assert clean_files({"./app/page.tsx": "x", "/lib//utils.ts": b"y"}) == {"app/page.tsx": b"x", "lib/utils.ts": b"y"}
    for bad in ("../x.ts", "app/../../x.ts", "a\\b.ts", "", "./"):
        with pytest.raises(InvalidInput):
            clean_files({bad: b""})
    with pytest.raises(InvalidInput, match="bytes or text"):
        clean_files({"a.ts": 3})  # type: ignore[dict-item]
