"""Network failures as the SDKs' HTTP layer raises them, and the HTTP client and transport vzero gives the SDKs."""

from __future__ import annotations

import functools
import importlib
from typing import Any, Literal


def _httpx_errors(*names: str) -> tuple[type[Exception], ...]:
    """The named exception classes of the httpx family, from whichever of its packages is installed."""
    found: list[type[Exception]] = []
    for module_name in ("httpx2", "httpx"):  # the SDKs here ship on httpx2; older ones use httpx
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.extend(getattr(module, name) for name in names if hasattr(module, name))
    return tuple(found)


def http_client(sdk: Any) -> Any:
    """The HTTP client an SDK module (`openai`, `anthropic`) is given: see `providers/transport.py`.

    None (the SDK's own client) for SDKs older than their move to httpx2, which the transport is built on.
    """
    try:
        from vzero.providers.transport import client_for
    except ImportError:  # pragma: no cover - no httpx2: an SDK from before it
        return None
    return client_for(sdk)


@functools.cache
def transport_errors() -> tuple[type[Exception], ...]:
    """Transport and stream errors: SDKs let some of them escape mid-stream unwrapped."""
    return _httpx_errors("HTTPError", "StreamError")


def network_failure(exc: BaseException) -> tuple[Literal["connect", "timeout", "lost"] | None, BaseException]:
    """What kind of network failure `exc` is, and the error that says so, from its chain of causes.

    The SDKs wrap transport errors in their own (a timeout in APITimeoutError, anything else in
    APIConnectionError): the deepest error the HTTP layer raised says whether the server could not be reached,
    was silent too long or dropped the connection.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for error in reversed(chain):
        if isinstance(error, connect_errors()):
            return "connect", error
        if isinstance(error, timeout_errors()):
            return "timeout", error
        if isinstance(error, transport_errors()):
            return "lost", error
    return None, exc


@functools.cache
def timeout_errors() -> tuple[type[Exception], ...]:
    """The HTTP layer giving up on a silent server (connecting, reading, writing or waiting for the pool)."""
    return _httpx_errors("TimeoutException")


@functools.cache
def connect_errors() -> tuple[type[Exception], ...]:
    """Failures to reach the server at all, as opposed to losing it mid-reply."""
    return _httpx_errors("ConnectError", "ConnectTimeout", "UnsupportedProtocol")


def body_reader(response: Any) -> Any:
    try:
        from vzero.providers.transport import body_reader as transport_body
    except ImportError:  # pragma: no cover - no httpx2: an SDK from before it
        return None
    return transport_body(response)


def is_transient_status(status: int) -> bool:
    """Statuses worth retrying: request timeout, conflict (lock), rate limit and server errors."""
    return status in (408, 409, 429) or status >= 500
