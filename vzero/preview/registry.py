"""The npm registry the server's npm is configured for: package metadata and tarballs, fetched with limits.

Everything a registry sends is untrusted: metadata and tarballs are size- and time-limited, a tarball must come
from the registry's own origin and match the integrity hash its metadata states.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx

from vzero.errors import VzeroError

log = logging.getLogger(__name__)

DEFAULT_REGISTRY = "https://registry.npmjs.org/"
MAX_METADATA_BYTES = 64 * 1024 * 1024  # some packuments (typescript, next) run to tens of megabytes
_NAME = re.compile(r"^(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$")


class PackageError(VzeroError):
    """A package an app imports cannot be provided to its preview."""

    status_code = 422
    v1_type = "unprocessable_entity_error"


class PackageRefused(PackageError):
    """A package name, version range, size or tarball was refused: hostile, denied by a setting or too big."""


class PackageNotFound(PackageError):
    """The registry has no such package, or no version in the range asked for."""


class RegistryUnreachable(PackageError):
    """The registry did not answer (offline, air-gapped, timed out): worth trying again later."""

    status_code = 503


def check_name(name: str) -> str:
    """`name` if it is a valid npm package name (PackageRefused otherwise: it becomes a folder and a URL)."""
    if not isinstance(name, str) or not 0 < len(name) <= 214 or not _NAME.match(name) or name.startswith((".", "_")):
        raise PackageRefused(f"{str(name)[:80]!r} is not a valid npm package name")
    if any(part in (".", "..", "node_modules") for part in name.split("/")):
        raise PackageRefused(f"{name!r} is not a valid npm package name")
    return name


@dataclass(frozen=True, slots=True)
class NpmConfig:
    """What the server's npm is configured with for reaching its registry."""

    registry: str = DEFAULT_REGISTRY
    cafile: str | None = None
    proxy: str | None = None
    strict_ssl: bool = True


@functools.cache
def npm_config() -> NpmConfig:
    """`npm config get registry cafile https-proxy strict-ssl` (the defaults when npm is missing or fails)."""
    npm = shutil.which("npm")
    if npm is None:
        return NpmConfig()
    try:
        done = subprocess.run([npm, "config", "get", "registry", "cafile", "https-proxy", "strict-ssl"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return NpmConfig()
    values = {}
    for line in done.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and value.strip() not in ("", "null", "undefined"):
            values[key.strip()] = value.strip()
    registry = values.get("registry", DEFAULT_REGISTRY)
    return NpmConfig(
        registry=registry if registry.startswith(("http://", "https://")) else DEFAULT_REGISTRY,
        cafile=values.get("cafile"),
        proxy=values.get("https-proxy"),
        strict_ssl=values.get("strict-ssl", "true") != "false",
    )


@dataclass(frozen=True, slots=True)
class Release:
    """One published version of a package, as far as installing and linking it needs."""

    name: str
    version: str
    tarball: str
    integrity: str | None = None
    shasum: str | None = None
    dependencies: dict[str, str] = field(default_factory=dict)
    peer_dependencies: dict[str, str] = field(default_factory=dict)
    optional_dependencies: dict[str, str] = field(default_factory=dict)

    def range_for(self, dependency: str) -> str | None:
        """The range this release declares for `dependency` (regular, optional or peer), if any."""
        for table in (self.dependencies, self.optional_dependencies, self.peer_dependencies):
            if dependency in table:
                return table[dependency]
        return None


@dataclass(frozen=True, slots=True)
class Packument:
    """A package's dist-tags and versions, kept compact (the registry's document can be megabytes)."""

    name: str
    tags: dict[str, str]
    versions: dict[str, dict[str, Any]]
    fetched: float

    def release(self, version: str) -> Release:
        data = self.versions[version]
        return Release(
            name=self.name,
            version=version,
            tarball=str(data.get("tarball", "")),
            integrity=data.get("integrity"),
            shasum=data.get("shasum"),
            dependencies=dict(data.get("dependencies") or {}),
            peer_dependencies=dict(data.get("peerDependencies") or {}),
            optional_dependencies=dict(data.get("optionalDependencies") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "tags": self.tags, "versions": self.versions, "fetched": self.fetched}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Packument:
        return cls(str(data["name"]), dict(data["tags"]), dict(data["versions"]), float(data["fetched"]))

    @classmethod
    def from_registry(cls, name: str, document: Any) -> Packument:
        """The compact form of a registry document; malformed entries are dropped, not trusted."""
        if not isinstance(document, dict) or not isinstance(document.get("versions"), dict):
            raise PackageNotFound(f"the registry's answer for {name} is not package metadata")
        tags = {str(k): str(v) for k, v in (document.get("dist-tags") or {}).items() if isinstance(v, str)}
        versions: dict[str, dict[str, Any]] = {}
        for version, data in document["versions"].items():
            if not isinstance(data, dict) or not isinstance(data.get("dist"), dict):
                continue
            dist = data["dist"]
            entry: dict[str, Any] = {"tarball": str(dist.get("tarball", ""))}
            for key in ("integrity", "shasum"):
                if isinstance(dist.get(key), str):
                    entry[key] = dist[key]
            for key in ("dependencies", "peerDependencies", "optionalDependencies"):
                table = data.get(key)
                if isinstance(table, dict) and table:
                    entry[key] = {str(k): str(v) for k, v in table.items() if isinstance(v, str)}
            versions[str(version)] = entry
        return cls(name, tags, versions, time.time())


def _quoted(name: str) -> str:
    # The registry wants "@scope%2fname" for scoped packages.
    return urllib.parse.quote(name, safe="@")


class Registry:
    """An npm registry client: packuments and tarballs, with limits; one connection pool, reused."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        max_tarball_bytes: int = 64 * 1024 * 1024,
        max_metadata_bytes: int = MAX_METADATA_BYTES,
        concurrency: int = 8,
        npm: NpmConfig | None = None,
    ) -> None:
        self.url = url if url.endswith("/") else url + "/"
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise PackageRefused(f"the npm registry must be an http(s) URL, not {url!r}")
        self.origin = f"{parsed.scheme}://{parsed.netloc}"
        self.timeout = timeout
        self.max_tarball_bytes = max_tarball_bytes
        self.max_metadata_bytes = max_metadata_bytes
        self._slots = asyncio.Semaphore(concurrency)
        self._npm = npm or NpmConfig()
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            npm = self._npm
            verify: ssl.SSLContext | bool = False
            if npm.strict_ssl:
                verify = ssl.create_default_context(cafile=npm.cafile) if npm.cafile and os.path.isfile(npm.cafile) else True
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                follow_redirects=False,
                verify=verify,
                proxy=npm.proxy,
                headers={"User-Agent": "vzero-preview (npm registry client)"},
            )
        return self._client

    async def _get(self, url: str, limit: int, what: str) -> bytes:
        async with self._slots:
            try:
                async with asyncio.timeout(self.timeout):
                    async with self._http().stream("GET", url, headers={"Accept": "application/json, */*"}) as response:
                        if response.status_code == 404:
                            raise PackageNotFound(f"{what}: the registry {self.url} has no such package")
                        if response.status_code in (401, 403):
                            raise PackageRefused(f"{what}: the registry {self.url} refused access (HTTP {response.status_code})")
                        if response.status_code >= 400 or response.status_code in (301, 302, 303, 307, 308):
                            raise RegistryUnreachable(f"{what}: the registry {self.url} answered HTTP {response.status_code}")
                        declared = response.headers.get("content-length", "")
                        if declared.isdigit() and int(declared) > limit:
                            raise PackageRefused(f"{what} is {int(declared) // 1024} KiB, more than the limit of {limit // 1024} KiB")
                        body = bytearray()
                        async for chunk in response.aiter_bytes():
                            body += chunk
                            if len(body) > limit:
                                raise PackageRefused(f"{what} is more than the limit of {limit // 1024} KiB")
                        return bytes(body)
            except TimeoutError:
                raise RegistryUnreachable(f"{what}: the registry {self.url} did not answer within {self.timeout:.0f} s") from None
            except httpx.HTTPError as exc:
                raise RegistryUnreachable(f"{what}: the registry {self.url} could not be reached ({exc.__class__.__name__}: {exc})") from None

    async def packument(self, name: str) -> Packument:
        """The package's versions and dist-tags (PackageNotFound, RegistryUnreachable, PackageRefused)."""
        check_name(name)
        body = await self._get(self.url + _quoted(name), self.max_metadata_bytes, f"metadata of {name}")
        try:
            document = json.loads(body)
        except ValueError:
            raise RegistryUnreachable(f"metadata of {name}: the registry {self.url} sent something that is not JSON") from None
        return await asyncio.to_thread(Packument.from_registry, name, document) if len(body) > 1_000_000 else Packument.from_registry(name, document)

    async def tarball(self, release: Release) -> bytes:
        """The release's tarball, checked against its integrity hash; it must come from the registry's origin."""
        url = release.tarball
        parsed = urllib.parse.urlsplit(url)
        if f"{parsed.scheme}://{parsed.netloc}" != self.origin or ".." in parsed.path.split("/"):
            raise PackageRefused(f"{release.name}@{release.version}: its tarball {url[:200]!r} is not on the registry {self.url}")
        body = await self._get(url, self.max_tarball_bytes, f"the tarball of {release.name}@{release.version}")
        verify_integrity(body, release)
        return body

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def verify_integrity(body: bytes, release: Release) -> None:
    """PackageRefused unless `body` matches the release's sha512 integrity (or its sha1 shasum when that is all)."""
    what = f"{release.name}@{release.version}"
    if release.integrity:
        checked = False
        for item in release.integrity.split():
            algorithm, _, expected = item.partition("-")
            if algorithm not in ("sha512", "sha384", "sha256"):
                continue
            checked = True
            if base64.b64encode(hashlib.new(algorithm, body).digest()).decode() == expected:
                return
        if checked:
            raise PackageRefused(f"{what}: the tarball does not match the integrity hash the registry states")
    if release.shasum:
        if hashlib.sha1(body).hexdigest() == release.shasum.lower():
            return
        raise PackageRefused(f"{what}: the tarball does not match the shasum the registry states")
    raise PackageRefused(f"{what}: the registry states no integrity hash for the tarball")
