"""The one way vzero downloads a URL: public addresses only, pinned IPs, bounded time, size and redirects."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import certifi
import httpx

from vzero.config import Settings
from vzero.errors import PayloadTooLarge, SourceError, UnsafeSource
from vzero.sources._types import human_bytes

Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOWED_SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_CHARS = 8192
_CHUNK = 64 * 1024
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IETF_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")  # not routable; older Pythons call it global
_PRIVATE_HINT = "set VZERO_ALLOW_PRIVATE_URLS=true to allow private addresses"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded URL: where it ended up after redirects, its status, type and body."""

    url: str
    status: int
    content_type: str | None
    body: bytes


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host, in its order, without duplicates."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_problem(address: str) -> str | None:
    """Why an address is not a public one (e.g. "a loopback address"), or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address reach that address: judge the embedded one.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(str(embedded))
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved or (isinstance(ip, ipaddress.IPv4Address) and ip in _IETF_ASSIGNMENTS):
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return None


def display_url(url: httpx.URL | str) -> str:
    """The URL for messages, without any user name or password in it."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        return str(parsed.copy_with(username=None, password=None, fragment=None))
    except (httpx.InvalidURL, TypeError, ValueError):
        return repr(str(url)[:200])


def parse_url(url: str, *, action: str = "fetch") -> httpx.URL:
    """An http(s) URL with a host, or UnsafeSource saying what is wrong with it."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeSource(f"Refused to {action} an empty URL")
    if len(url) > MAX_URL_CHARS:
        raise UnsafeSource(f"Refused to {action} a URL longer than {MAX_URL_CHARS} characters")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeSource(f"Refused to {action} {url[:200]!r}: not a valid URL ({exc})") from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        given = f"not {parsed.scheme}" if parsed.scheme else "and this one has no scheme"
        raise UnsafeSource(f"Refused to {action} {display_url(parsed)}: only http and https URLs are allowed, {given}")
    if not parsed.raw_host:
        raise UnsafeSource(f"Refused to {action} {display_url(parsed)}: the URL has no host")
    return parsed.copy_with(fragment=None)


class _Decoder:
    """Undo a Content-Encoding in bounded steps, so a compressed bomb cannot inflate in one go."""

    def __init__(self, encoding: str | None) -> None:
        coding = (encoding or "identity").strip().lower()
        if coding in ("", "identity"):
            self._inflate = None
        elif coding in ("gzip", "x-gzip", "deflate"):
            self._inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip or zlib header, detected
        else:
            raise SourceError(f"The server sent Content-Encoding {coding!r}, which vzero does not decode")

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            if data:
                yield data
            return
        try:
            while True:
                out = self._inflate.decompress(data, _CHUNK)
                if out:
                    yield out
                data = self._inflate.unconsumed_tail
                if not data and len(out) < _CHUNK:
                    return
        except zlib.error as exc:
            raise SourceError(f"The server sent a corrupt compressed body ({exc})") from None


class SafeFetcher:
    """Downloads untrusted URLs: refuses private addresses on every hop and connects only to the address it checked."""

    def __init__(
        self, settings: Settings, *, resolver: Resolver = system_resolve, verify: ssl.SSLContext | bool = True
    ) -> None:
        self.settings = settings
        self.resolver = resolver
        # Certificates are checked against the URL's host name (sent as SNI), never against the pinned address.
        self._verify = verify

    def _tls(self) -> ssl.SSLContext | bool:
        return _default_tls_context() if self._verify is True else self._verify

    async def vetted_addresses(self, url: httpx.URL, *, action: str = "fetch") -> list[str]:
        """The addresses to connect to for url's host, or UnsafeSource if any of them is not public."""
        host = url.raw_host.decode("ascii")
        try:
            addresses = await self.resolver(host, url.port or (443 if url.scheme == "https" else 80))
        except (OSError, UnicodeError) as exc:
            raise SourceError(f"Could not resolve the host of {display_url(url)}: {exc}") from None
        if not addresses:
            raise SourceError(f"Could not resolve the host of {display_url(url)}: no addresses")
        if self.settings.allow_private_urls:
            return addresses
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                literal = host.strip("[]") == address
                where = "it resolves to" if literal else f"{host} resolves to {address},"
                raise UnsafeSource(f"Refused to {action} {display_url(url)}: {where} {problem} ({_PRIVATE_HINT})")
        return addresses

    async def fetch(
        self, url: str, *, max_bytes: int | None = None, timeout: float | None = None, accept: str | None = None
    ) -> Fetched:
        """Download url into memory, within the size limit and one deadline for the whole exchange."""
        limit = max_bytes if max_bytes is not None else self.settings.fetch_max_bytes
        seconds = timeout if timeout is not None else self.settings.fetch_timeout
        parsed = parse_url(url)
        body = bytearray()
        try:
            async with asyncio.timeout(seconds):
                async with self._open(parsed, accept, seconds) as (final, response):
                    async for chunk in self._read_body(final, response, limit):
                        body += chunk
        except TimeoutError:
            raise SourceError(
                f"Fetching {display_url(parsed)} took longer than {seconds:g} s (VZERO_FETCH_TIMEOUT)"
            ) from None
        return Fetched(str(final), response.status_code, response.headers.get("content-type"), bytes(body))

    @asynccontextmanager
    async def _open(
        self, url: httpx.URL, accept: str | None, seconds: float
    ) -> AsyncIterator[tuple[httpx.URL, httpx.Response]]:
        """Follow redirects by hand, checking every hop, and yield the final URL and its open response."""
        current = url
        seen = {str(url)}
        for hop in range(self.settings.fetch_max_redirects + 1):
            async with AsyncExitStack() as stack:
                response = await self._request(stack, current, accept, seconds)
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    if hop == self.settings.fetch_max_redirects:
                        raise SourceError(
                            f"Fetching {display_url(url)} was redirected more than"
                            f" {self.settings.fetch_max_redirects} times (VZERO_FETCH_MAX_REDIRECTS)"
                        )
                    try:
                        target = current.join(location)
                    except (httpx.InvalidURL, TypeError, ValueError):
                        raise SourceError(f"{display_url(current)} redirected to an invalid URL") from None
                    if str(target) in seen:
                        raise SourceError(f"Fetching {display_url(url)} ran into a redirect loop at {display_url(target)}")
                    seen.add(str(target))
                    current = parse_url(str(target))
                    continue
                if not 200 <= response.status_code < 300:
                    reason = response.reason_phrase or ""
                    raise SourceError(
                        f"Fetching {display_url(current)} failed: the server answered {response.status_code} {reason}".rstrip()
                    )
                yield current, response
                return
        raise AssertionError("unreachable")

    async def _request(
        self, stack: AsyncExitStack, url: httpx.URL, accept: str | None, seconds: float
    ) -> httpx.Response:
        """Send one GET to a vetted address of url's host, keeping its name in Host and SNI; try each address."""
        addresses = await self.vetted_addresses(url)
        host = url.raw_host.decode("ascii")
        headers = {"Host": url.netloc.decode("ascii"), "Accept-Encoding": "identity", "User-Agent": "vzero"}
        if accept:
            headers["Accept"] = accept
        extensions = {} if _is_ip_literal(host) else {"sni_hostname": host}
        last_error: Exception | None = None
        for address in addresses:
            # The client never resolves names: it connects to the address that was just checked (no DNS rebinding),
            # ignores proxy variables (a proxy would resolve on its own) and never follows redirects itself.
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    trust_env=False, follow_redirects=False, timeout=httpx.Timeout(seconds), verify=self._tls()
                )
            )
            request = client.build_request("GET", url.copy_with(host=address), headers=headers, extensions=extensions)
            try:
                response = await client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last_error = exc
                continue
            except httpx.HTTPError as exc:
                raise SourceError(f"Fetching {display_url(url)} failed: {exc or type(exc).__name__}") from None
            stack.push_async_callback(response.aclose)
            return response
        raise SourceError(f"Could not connect to {display_url(url)}: {last_error or 'no address answered'}")

    async def _read_body(self, url: httpx.URL, response: httpx.Response, limit: int) -> AsyncIterator[bytes]:
        """The decoded body in chunks, stopping as soon as it grows past limit."""
        too_large = PayloadTooLarge(
            f"{display_url(url)} is larger than the download limit of {human_bytes(limit)} (VZERO_FETCH_MAX_BYTES)"
        )
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        decoder = _Decoder(response.headers.get("content-encoding"))
        received = 0
        try:
            async for raw in response.aiter_raw(_CHUNK):
                for chunk in decoder.feed(raw):
                    received += len(chunk)
                    if received > limit:
                        raise too_large
                    yield chunk
        except httpx.HTTPError as exc:
            raise SourceError(f"Reading {display_url(url)} failed: {exc or type(exc).__name__}") from None


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs far more than a request."""
    return ssl.create_default_context(cafile=certifi.where())


def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every vetted connection uses (certifi's CA bundle)."""
    return _default_tls_context()


def is_ip_literal(host: str) -> bool:
    return _is_ip_literal(host)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


__all__ = [
    "Fetched",
    "Resolver",
    "SafeFetcher",
    "address_problem",
    "display_url",
    "is_ip_literal",
    "parse_url",
    "system_resolve",
    "tls_context",
]
