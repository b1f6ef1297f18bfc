"""Where previews go (vzero/origins.py): another loopback name, VZERO_PREVIEW_URL, or the same host sandboxed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vzero.config import Settings
from vzero.origins import Origins


@pytest.mark.parametrize(
    ("base", "preview"),
    [
        ("http://127.0.0.1:8000", "http://localhost:8000"),
        ("http://localhost:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1", "http://localhost"),
    ],
)
def test_a_loopback_server_serves_previews_under_its_other_name(base: str, preview: str) -> None:
    origins = Origins.from_urls(base)
    assert origins.isolated and origins.preview == preview and origins.ui == base
    host = preview.split("//")[1]
    assert origins.is_preview_host("http", host) and origins.is_preview_host("http", host.upper())
    assert not origins.is_preview_host("http", base.split("//")[1])


def test_the_preview_url_is_a_host_of_its_own() -> None:
    origins = Origins.from_urls("https://vzero.example.com", "https://previews.example.net")
    assert origins.isolated and origins.preview == "https://previews.example.net" and origins.ui == "https://vzero.example.com"
    # behind a TLS proxy the server sees http and no port: the hostname decides
    assert origins.is_preview_host("http", "previews.example.net") and origins.is_preview_host("https", "previews.example.net:443")
    assert not origins.is_preview_host("http", "vzero.example.com") and not origins.is_preview_host("http", "")


def test_elsewhere_previews_share_the_host_sandboxed() -> None:
    origins = Origins.from_urls("https://vzero.example.com")
    assert not origins.isolated and origins.preview == "https://vzero.example.com"
    assert not origins.is_preview_host("https", "vzero.example.com")
    assert Settings(public_url="http://0.0.0.0:9000").origins.isolated is False


def test_a_bound_wildcard_address_is_reached_on_loopback() -> None:
    settings = Settings(host="0.0.0.0", port=8123)
    assert settings.origins.ui == "http://127.0.0.1:8123" and settings.origins.preview == "http://localhost:8123"


@pytest.mark.parametrize("bad", ["ftp://previews.example.net", "https://previews.example.net/path", "previews.example.net", "https://x.net/?a=1"])
def test_the_preview_url_must_be_an_origin(bad: str) -> None:
    with pytest.raises(ValidationError, match="VZERO_PREVIEW_URL must be an origin"):
        Settings(public_url="https://vzero.example.com", preview_url=bad)


def test_the_preview_url_must_not_share_the_workspaces_hostname() -> None:
    with pytest.raises(ValidationError, match="another hostname"):
        Settings(public_url="https://vzero.example.com", preview_url="https://vzero.example.com:8443")
    assert Settings(public_url="https://vzero.example.com", preview_url="https://previews.example.net/").preview_url == "https://previews.example.net"
