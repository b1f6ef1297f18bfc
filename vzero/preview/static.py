"""Serving a preview: asset name -> (bytes, content type), and the headers every preview response carries.

Mount it under a path of its own (the lead wires `/preview/<digest>/...`): the page refers to everything
relatively — `./app.js`, `./vendor/react.js`, `./__errors` — so the same files work at any base path.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from pathlib import Path

from vzero.preview.cache import safe_asset_name
from vzero.preview.resolver import bundle_path
from vzero.preview.result import BuildResult

VENDOR_PREFIX = "vendor/"
_PLACEHOLDER = re.compile(r"^placeholder[\w.-]*\.(svg|png|jpe?g|webp|gif)$", re.I)
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".webp": "image/webp",
    ".avif": "image/avif",
}


def preview_headers(script_hashes: Sequence[str] = ()) -> dict[str, str]:
    """Headers for every preview response: a strict CSP (same-origin only, no inline script) and no sniffing.

    `script_hashes` allow the page's own inline import map, by its hash, and nothing else inline.
    """
    scripts = " ".join(["'self'", *(h for h in script_hashes if re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", h))])
    csp = "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",  # no eval, no inline script but the import map: Tailwind's compiler needs neither
            "style-src 'self' 'unsafe-inline'",  # Tailwind's browser build writes a <style>; React sets style=""
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "media-src 'self' data: blob:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def content_type(name: str) -> str:
    """The Content-Type to serve an asset name with."""
    suffix = Path(name).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def read_asset(result: BuildResult | None, runtime_dir: Path, name: str, packages_dir: Path | None = None) -> tuple[bytes, str] | None:
    """Content and type of `name` relative to a preview's folder ("" is the page); None if there is none.

    `vendor/npm/...` names a package bundle: in `packages_dir` when given, else under `runtime_dir`/vendor
    (a deployment's snapshot holds the bundles it loads there).
    """
    name = name.lstrip("/")
    if name in ("", "index.html"):
        return (result.html.encode(), content_type("index.html")) if result is not None else None
    if not safe_asset_name(name):
        return None
    if packages_dir is not None and (path := bundle_path(packages_dir, name)) is not None:
        return (path.read_bytes(), content_type(name)) if path.is_file() else None
    if name.startswith(VENDOR_PREFIX):
        vendor = (Path(runtime_dir) / "vendor").resolve()
        path = (vendor / name[len(VENDOR_PREFIX):]).resolve()
        if vendor in path.parents and path.is_file():
            return path.read_bytes(), content_type(name)
        return None
    if result is not None and name in result.assets:
        return result.assets[name], content_type(name)
    if _PLACEHOLDER.match(name):
        placeholder = Path(runtime_dir) / "vendor" / "placeholder.svg"
        if placeholder.is_file():
            return placeholder.read_bytes(), content_type("placeholder.svg")
    return None
