"""The preview page: one HTML document that loads only same-origin, relative URLs (no inline script)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

PAGE_FORMAT = 1  # part of every cache key: bump when the page changes shape

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


def render_page(
    *,
    tailwind_css: str,
    has_js: bool,
    has_css: bool,
    errors: Sequence[Mapping[str, Any]] = (),
    title: str = "Preview",
    root_id: str = "root",
    html_class: str = "",
) -> str:
    """The page for one build; every URL in it is relative to the page's own folder."""
    style = tailwind_css.replace("</style", "<\\/style")
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
    if tailwind_css:
        lines.append(f'<style type="text/tailwindcss">\n{style}\n</style>')
        lines.append('<script src="./vendor/tailwindcss-browser.js"></script>')
    if has_css:
        lines.append('<link rel="stylesheet" href="./app.css">')
    lines += ["</head>", "<body>", f'<div id="{html.escape(root_id)}"></div>']
    if has_js:
        lines.append('<script type="module" src="./app.js"></script>')
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines)
