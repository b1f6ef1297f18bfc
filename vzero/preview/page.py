"""The preview page: one HTML document that loads only same-origin, relative URLs (no inline script)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

PAGE_FORMAT = 2  # part of every cache key: bump when the page changes shape

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_ROOT_ID = re.compile(r"<div[^>]*\bid=[\"']([A-Za-z][\w-]*)[\"']", re.I)
_HTML_CLASS = re.compile(r"<html[^>]*\bclass=[\"']([^\"']*)[\"']", re.I)


def vite_shell(index_html: str | None) -> dict[str, str]:
    """Title, mount element id and <html> class of a Vite app's index.html (defaults when absent)."""
    shell = {"title": "Preview", "root_id": "root", "html_class": ""}
    if not index_html:
        return shell
    if m := _TITLE.search(index_html):
        shell["title"] = html.unescape(m.group(1).strip()) or shell["title"]
    body = index_html.split("<body", 1)[-1]
    if m := _ROOT_ID.search(body):
        shell["root_id"] = m.group(1)
    if m := _HTML_CLASS.search(index_html):
        shell["html_class"] = m.group(1)
    return shell


def _json_block(value: Any) -> str:
    # A data block is never executed, but "</script>" inside it would still end the element.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_hash(text: str) -> str:
    """The CSP source expression that allows one inline script (the import map) and nothing else."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_page(
    *,
    tailwind_css: str,
    has_js: bool,
    has_css: bool,
    errors: Sequence[Mapping[str, Any]] = (),
    title: str = "Preview",
    root_id: str = "root",
    html_class: str = "",
    import_map: str | None = None,
    preload: Sequence[str] = (),
    tailwind_modules: bool = False,
) -> str:
    """The page for one build; every URL in it is relative to the page's own folder.

    Tailwind's source sits in a <script type="text/tailwindcss"> (never run, and not scanned for @import like
    a <style>); the import map, the one inline script, is allowed by its hash (see `script_hash`).
    """
    source = re.sub(r"</(script)", r"<\\/\1", tailwind_css, flags=re.I)
    class_attr = f' class="{html.escape(html_class)}"' if html_class else ""
    lines = [
        "<!doctype html>",
        f'<html lang="en"{class_attr}>',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{html.escape(title)}</title>",
        '<link rel="icon" href="data:,">',
        '<script src="./vendor/overlay.js"></script>',
    ]
    if errors:
        lines.append(f'<script type="application/json" id="vzero-build-errors">{_json_block(list(errors))}</script>')
    if import_map:
        lines.append(f'<script type="importmap">{import_map}</script>')
    lines += [f'<link rel="modulepreload" href="{html.escape(url)}">' for url in preload]
    if tailwind_css:
        wait = " data-modules" if tailwind_modules else ""
        lines.append(f'<script type="text/tailwindcss"{wait}>\n{source}\n</script>')
        lines.append('<script type="module" src="./vendor/vzero__tailwind.js"></script>')
    if has_css:
        lines.append('<link rel="stylesheet" href="./app.css">')
    lines += ["</head>", "<body>", f'<div id="{html.escape(root_id)}"></div>']
    if has_js:
        lines.append('<script type="module" src="./app.js"></script>')
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines)
