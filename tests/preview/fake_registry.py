"""A small npm registry on 127.0.0.1 for tests: packuments and tarballs built from dicts (a helper module).

It speaks what vzero's registry client uses (GET /<name>, GET /<name>/-/<file>.tgz) and can misbehave on
purpose: wrong integrity, tarballs elsewhere, hostile archive entries, slow answers.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import io
import json
import tarfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tarball(files: dict[str, bytes | str], *, root: str = "package", links: dict[str, str] | None = None, raw_names: dict[str, bytes] | None = None) -> bytes:
    """A gzipped tar of `files` under `root`/ (as npm packs them); `links` adds symlinks, `raw_names` entries as named."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(f"{root}/{name}")
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
        for name, data in (raw_names or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def integrity(body: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode()


class FakeRegistry:
    """Publish with `publish(name, version, files)`; `requests` counts what was asked for, by path."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.packages: dict[str, dict[str, Any]] = {}
        self.tarballs: dict[str, bytes] = {}
        self.requests: collections.Counter[str] = collections.Counter()
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = urllib.parse.unquote(self.path.split("?")[0])
                registry.requests[path] += 1
                if registry.delay:
                    time.sleep(registry.delay)
                if "/-/" in path:
                    body = registry.tarballs.get(path)
                    kind = "application/octet-stream"
                else:
                    document = registry.packages.get(path.lstrip("/"))
                    body = json.dumps(document).encode() if document is not None else None
                    kind = "application/json"
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def publish(
        self,
        name: str,
        version: str,
        files: dict[str, bytes | str],
        *,
        manifest: dict[str, Any] | None = None,
        body: bytes | None = None,
        tarball_url: str | None = None,
        stated_integrity: str | None = None,
        tag: str = "latest",
    ) -> str:
        """Publish name@version; its package.json is written from `manifest` unless `files` has one. Returns the tarball path."""
        package_json = {"name": name, "version": version, **(manifest or {})}
        files = {"package.json": json.dumps(package_json), **files}
        data = body if body is not None else tarball(files)
        path = f"/{name}/-/{name.split('/')[-1]}-{version}.tgz"
        self.tarballs[path] = data
        document = self.packages.setdefault(name, {"name": name, "dist-tags": {}, "versions": {}})
        document["dist-tags"][tag] = version
        document["versions"][version] = {
            **package_json,
            "dist": {"tarball": tarball_url or self.url.rstrip("/") + path, "integrity": stated_integrity or integrity(data)},
        }
        return path

    def tarball_fetches(self, name: str) -> int:
        return sum(count for path, count in self.requests.items() if path.startswith(f"/{name}/-/"))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
