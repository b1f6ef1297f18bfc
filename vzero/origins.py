"""Where the workspace and the previews are served, so that model-written code never runs on the UI's origin.

One of three arrangements, chosen from the settings:

- `VZERO_PREVIEW_URL` set: previews and deployments are served on that host only, and nothing else is.
- a server on a loopback address: previews under the other loopback name (UI on 127.0.0.1, previews on
  localhost, and the reverse); browsers treat the two as different sites, so the session cookie stays behind.
- anywhere else: previews on the UI's own host, each answer under a CSP `sandbox` without `allow-same-origin`,
  which gives the page an opaque origin of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_LOOPBACK_TWIN = {"127.0.0.1": "localhost", "localhost": "127.0.0.1", "::1": "localhost"}
_DEFAULT_PORT = {"http": 80, "https": 443}


def _host_key(scheme: str, netloc: str) -> tuple[str, int]:
    """(hostname, port) of a URL's netloc or a Host header, the port filled in from the scheme."""
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower().rstrip("."), port or _DEFAULT_PORT.get(scheme, 80)


@dataclass(frozen=True, slots=True)
class Origins:
    """The workspace's origin and the base URL of previews; `isolated` when previews have a host of their own."""

    ui: str  # scheme://host[:port] of the workspace and the API
    preview: str  # base URL of previews and deployments (demoUrl, a deployment's webUrl)
    isolated: bool  # False: previews share the UI's host and are sandboxed instead
    preview_host: tuple[str, int] | None = None  # (hostname, port) that selects the preview host

    @classmethod
    def from_urls(cls, base_url: str, preview_url: str | None = None) -> Origins:
        base = urlsplit(base_url)
        ui = f"{base.scheme}://{base.netloc}"
        if preview_url:
            preview = preview_url.rstrip("/")
            parsed = urlsplit(preview)
            key = _host_key(parsed.scheme, parsed.netloc)
            if key[0] == (base.hostname or "").lower():
                # Cookies are scoped by hostname, not port: the same name on another port would still receive them.
                raise ValueError(
                    f"VZERO_PREVIEW_URL ({preview}) must use another hostname than the workspace ({ui}), "
                    "ideally another site, e.g. https://previews.example.net for https://vzero.example.com"
                )
            return cls(ui, preview, True, key)
        twin = _LOOPBACK_TWIN.get((base.hostname or "").lower())
        if twin is None:
            return cls(ui, base_url.rstrip("/"), False)
        netloc = twin + (f":{base.port}" if base.port else "")
        preview = urlunsplit((base.scheme, netloc, base.path.rstrip("/"), "", ""))
        return cls(ui, preview, True, _host_key(base.scheme, netloc))

    @staticmethod
    def check_preview_url(value: str) -> str:
        """VZERO_PREVIEW_URL must be an http(s) origin: scheme, host and port, nothing more."""
        parsed = urlsplit(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path not in ("", "/") or parsed.query or parsed.fragment:
            raise ValueError(f"VZERO_PREVIEW_URL must be an origin such as https://previews.example.net, not {value!r}")
        return f"{parsed.scheme}://{parsed.netloc}"

    @property
    def preview_origin(self) -> str:
        parsed = urlsplit(self.preview)
        return f"{parsed.scheme}://{parsed.netloc}"

    def is_preview_host(self, scheme: str, host_header: str) -> bool:
        """Whether a request's Host header names the preview host (never, unless previews are isolated).

        By hostname only: the two hostnames always differ, and behind a TLS proxy the scheme the server sees (so
        the default port it would assume) is not the one the browser used."""
        return self.preview_host is not None and _host_key(scheme, host_header)[0] == self.preview_host[0]
