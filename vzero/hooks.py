"""Webhook delivery: a signed JSON POST to every hook subscribed to an event, retried with backoff in the background.

Each delivery is `POST <hook url>` with `Content-Type: application/json` and the body

    {"id": "<event id>", "object": "event", "type": "message.finished", "createdAt": "2026-01-01T00:00:00.000Z",
     "data": {"chatId": "...", "messageId": "...", "finishReason": "stop"}}

and these headers:

    X-Vzero-Event       the event type
    X-Vzero-Delivery    the event id, the same on every retry (receivers drop duplicates with it)
    X-Vzero-Attempt     1 for the first try, 2 for the first retry, ...
    X-Vzero-Signature   sha256=<hex HMAC-SHA256 of the raw body, keyed with the hook's secret>

A receiver verifies with `verify(secret, raw_body, header)`. The hook's secret is returned once, in the
`X-Vzero-Webhook-Secret` header of the response that created the hook. Any 2xx answer is a success; anything
else (an error status, a refused connection, a timeout) is retried up to VZERO_HOOK_MAX_ATTEMPTS times, waiting
VZERO_HOOK_RETRY_BASE_SECONDS * 2**(n-1) before retry n. A URL whose host is, or resolves to, a private
address is never called unless VZERO_ALLOW_PRIVATE_URLS=true. Pending retries live in memory: a restart drops them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import ssl
from dataclasses import dataclass
from typing import Any

import certifi
import httpx

from vzero.core.ids import iso, new_id, utcnow
from vzero.errors import SourceError, UnsafeSource
from vzero.runtime import Runtime
from vzero.sources.fetch import SafeFetcher, address_problem, display_url, parse_url
from vzero.store import hooks as hook_store
from vzero.store.hooks import hooks_for_event
from vzero.store.tables import Chat, Message

log = logging.getLogger("vzero.hooks")

SIGNATURE_HEADER = "X-Vzero-Signature"
EVENT_HEADER = "X-Vzero-Event"
DELIVERY_HEADER = "X-Vzero-Delivery"
ATTEMPT_HEADER = "X-Vzero-Attempt"
SECRET_HEADER = "X-Vzero-Webhook-Secret"  # on the response that creates a hook: the only time its secret is shown
_PURPOSE = "send webhooks to"
_QUEUE_SIZE = 10_000
_CONCURRENCY = 8
_HOOKED_TTL = 5.0  # seconds before the who-has-hooks cache is reloaded anyway (other processes' changes)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for a body: `sha256=<hex HMAC-SHA256>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether a received signature header matches the body (constant-time)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header.strip())


@dataclass(frozen=True, slots=True)
class Emitted:
    """An event waiting for its hooks to be looked up."""

    event: str
    chat_id: str | None
    message_id: str | None
    owner_id: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one hook: what is sent on every attempt."""

    hook_id: str
    url: str
    secret: str
    event_id: str
    event: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went."""

    delivery: Delivery
    number: int
    ok: bool
    status: int | None = None
    error: str | None = None
    final: bool = False  # no retry will follow (success, refusal or last attempt)


class HookDispatcher:
    """Queues events without blocking the caller and delivers them from background tasks."""

    def __init__(self, runtime: Runtime, fetcher: SafeFetcher | None = None) -> None:
        self.runtime = runtime
        self.fetcher = fetcher
        self.attempts: list[Attempt] = []  # the latest attempts, newest last (for logs and tests)
        self._queue: asyncio.Queue[Emitted] = asyncio.Queue(_QUEUE_SIZE)
        self._worker: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._sending: set[asyncio.Task[Any] | None] = set()  # deliveries inside a POST (the others wait for a retry)
        self._client: httpx.AsyncClient | None = None
        self._gate = asyncio.Semaphore(_CONCURRENCY)
        self._hooked: tuple[set[str], set[str]] | None = None
        self._hooked_version = -1
        self._hooked_at = 0.0

    # --- the caller's side ---------------------------------------------------------------

    def emit(self, event: str, *, chat_id: str | None, message_id: str | None = None, owner_id: str | None = None) -> None:
        """Queue an event of a chat; never waits. Pass owner_id when the chat row may be gone (chat.deleted)."""
        try:
            self._queue.put_nowait(Emitted(event, chat_id, message_id, owner_id))
        except asyncio.QueueFull:
            log.warning("webhook queue full: dropped %s for chat %s", event, chat_id)

    async def start(self) -> None:
        self.fetcher = self.fetcher or SafeFetcher(self.runtime.settings)
        self._worker = asyncio.create_task(self._run(), name="webhooks")

    def _http(self) -> httpx.AsyncClient:
        """The client, built on first delivery (loading the CA bundle costs more than a request)."""
        if self._client is None:
            tls = ssl.create_default_context(cafile=certifi.where())
            # It never resolves names or follows redirects: `send` connects to addresses it has just checked.
            timeout = httpx.Timeout(self.runtime.settings.hook_timeout)
            self._client = httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=timeout, verify=tls)
        return self._client

    async def stop(self, grace: float = 2.0) -> None:
        """Give POSTs in flight `grace` seconds to finish; drop queued events and pending retries."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        for task in self._deliveries - self._sending:
            task.cancel()
        if self._deliveries:
            _, pending = await asyncio.wait(set(self._deliveries), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    # --- background ----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            emitted = await self._queue.get()
            try:
                for delivery in await self._deliveries_for(emitted):
                    task = asyncio.create_task(self._deliver(delivery), name=f"webhook {delivery.hook_id}")
                    self._deliveries.add(task)
                    task.add_done_callback(self._deliveries.discard)
            except Exception:
                log.exception("looking up webhooks for %s failed", emitted.event)

    async def _anyone_listening(self, emitted: Emitted) -> bool:
        """Most users have no hooks: answer from a cache instead of querying for every event."""
        now = asyncio.get_running_loop().time()
        if self._hooked is None or self._hooked_version != hook_store.changes or now - self._hooked_at > _HOOKED_TTL:
            version = hook_store.changes
            async with self.runtime.db.session() as session:
                self._hooked = await hook_store.hooked(session)
            self._hooked_version, self._hooked_at = version, now
        owners, chats = self._hooked
        if emitted.chat_id is not None and emitted.chat_id in chats:
            return True
        return emitted.owner_id is None or emitted.owner_id in owners

    async def _deliveries_for(self, emitted: Emitted) -> list[Delivery]:
        """The hooks subscribed to the event, each with the signed body it gets."""
        if not await self._anyone_listening(emitted):
            return []
        async with self.runtime.db.session() as session:
            owner_id = emitted.owner_id
            if owner_id is None and emitted.chat_id is not None:
                chat = await session.get(Chat, emitted.chat_id)
                owner_id = chat.owner_id if chat is not None else None
            if owner_id is None:
                return []
            hooks = await hooks_for_event(session, owner_id, emitted.chat_id, emitted.event)
            if not hooks:
                return []
            data: dict[str, Any] = {"chatId": emitted.chat_id}
            if emitted.message_id is not None:
                data["messageId"] = emitted.message_id
                message = await session.get(Message, emitted.message_id)
                if message is not None:
                    data["role"] = message.role
                    data["finishReason"] = message.finish_reason
        event_id = "evt_" + new_id()
        body = json.dumps(
            {"id": event_id, "object": "event", "type": emitted.event, "createdAt": iso(utcnow()), "data": data}, separators=(",", ":")
        ).encode()
        return [Delivery(h.id, h.url, h.secret, event_id, emitted.event, body) for h in hooks]

    async def _deliver(self, delivery: Delivery) -> None:
        settings = self.runtime.settings
        for number in range(1, max(1, settings.hook_max_attempts) + 1):
            task = asyncio.current_task()
            async with self._gate:
                self._sending.add(task)
                try:
                    attempt = await self.send(delivery, number)
                finally:
                    self._sending.discard(task)
            last = number >= settings.hook_max_attempts
            attempt = Attempt(delivery, number, attempt.ok, attempt.status, attempt.error, final=attempt.final or attempt.ok or last)
            self._record(attempt)
            if attempt.final:
                if not attempt.ok:
                    log.warning("webhook %s for %s gave up after %d attempt(s): %s", delivery.hook_id, delivery.event, number, attempt.error)
                return
            delay = min(settings.hook_retry_base_seconds * 2 ** (number - 1), settings.hook_retry_max_seconds)
            await asyncio.sleep(delay * random.uniform(0.9, 1.1))

    def _record(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        del self.attempts[:-200]

    async def send(self, delivery: Delivery, number: int = 1) -> Attempt:
        """One POST through the safe-URL rules: only to addresses checked just now, no redirects followed."""
        assert self.fetcher is not None, "start() the dispatcher first"
        try:
            url = parse_url(delivery.url, action=_PURPOSE)
            addresses = await self.fetcher.vetted_addresses(url, action=_PURPOSE)
        except UnsafeSource as exc:
            return Attempt(delivery, number, False, error=exc.message, final=True)
        except SourceError as exc:
            return Attempt(delivery, number, False, error=exc.message)
        host = url.raw_host.decode("ascii")
        headers = {
            "Host": url.netloc.decode("ascii"),
            "Content-Type": "application/json",
            "User-Agent": "vzero-webhooks",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.event_id,
            ATTEMPT_HEADER: str(number),
            SIGNATURE_HEADER: sign(delivery.secret, delivery.body),
        }
        extensions = {} if _is_ip(host) else {"sni_hostname": host}
        error = "no address answered"
        for address in addresses:
            request = self._http().build_request("POST", url.copy_with(host=address), content=delivery.body, headers=headers, extensions=extensions)
            try:
                response = await self._http().send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                error = f"could not connect: {exc or type(exc).__name__}"
                continue
            except httpx.HTTPError as exc:
                return Attempt(delivery, number, False, error=f"{display_url(url)}: {exc or type(exc).__name__}")
            await response.aclose()  # the answer's body is never read: a receiver cannot make vzero download anything
            if 200 <= response.status_code < 300:
                return Attempt(delivery, number, True, status=response.status_code)
            return Attempt(delivery, number, False, status=response.status_code, error=f"{display_url(url)} answered {response.status_code}")
        return Attempt(delivery, number, False, error=f"{display_url(url)}: {error}")


def _is_ip(host: str) -> bool:
    try:
        address_problem(host.strip("[]"))
    except ValueError:
        return False
    return True
