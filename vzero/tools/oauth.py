"""OAuth for MCP servers: the authorization URL (PKCE S256, state), the code exchange, and token refresh.

The flow spans two requests: `start` builds the URL the user is sent to and the pending record (the PKCE verifier
and a hash of the state) that is sealed with the server's authentication; the provider then redirects the browser
to vzero's callback, which `finish`es the exchange and keeps the tokens, sealed. Token and registration endpoints
are called through the vetted client, like every URL a user gives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2

from vzero.core import jsontext
from vzero.core.ids import iso, parse_moment, utcnow
from vzero.errors import InvalidInput, SourceError
from vzero.sources.fetch import SafeFetcher, display_url
from vzero.tools.http import vetted_client

STATE_SECONDS = 300  # an authorization URL is good for five minutes
REFRESH_MARGIN = timedelta(seconds=60)  # a token this close to expiring is refreshed before use
MAX_TOKEN_RESPONSE = 64 * 1024
_ACTION = "call the OAuth endpoint at"


@dataclass(frozen=True, slots=True)
class Pending:
    """An authorization under way: what the callback checks and needs."""

    state: str  # sent to the provider: "<server id>.<secret>"
    record: dict[str, Any]  # kept sealed with the server's authentication


async def discover(fetcher: SafeFetcher, server_url: str, config: dict[str, Any] | None, redirect_uri: str) -> dict[str, Any]:
    """The OAuth configuration of an MCP server, filled in from what it publishes: its protected resource metadata
    (RFC 9728) names the authorization server, whose metadata (RFC 8414) names the endpoints; a client id is
    registered dynamically (RFC 7591) when none is set. What `config` sets is kept."""
    config = dict(config or {})
    if config.get("authorizationUrl") and config.get("tokenUrl") and config.get("clientId"):
        config.setdefault("scopes", [])
        config.setdefault("usePKCE", True)
        return config
    resource = await _first_json(fetcher, _well_known(server_url, "oauth-protected-resource"))
    servers = resource.get("authorization_servers") if resource else None
    issuer = config.get("issuer") or (servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], str) else None)
    if not issuer:
        origin = urlsplit(server_url)
        issuer = f"{origin.scheme}://{origin.netloc}"
    metadata = await _first_json(fetcher, [*_well_known(issuer, "oauth-authorization-server"), *_well_known(issuer, "openid-configuration")])
    if not metadata or not isinstance(metadata.get("authorization_endpoint"), str) or not isinstance(metadata.get("token_endpoint"), str):
        raise InvalidInput(
            f"The MCP server at {display_url(server_url)} publishes no OAuth metadata: set auth.config (authorizationUrl, tokenUrl, "
            "clientId) with PATCH /v1/mcp-servers/{id}"
        )
    config.setdefault("authorizationUrl", metadata["authorization_endpoint"])
    config.setdefault("tokenUrl", metadata["token_endpoint"])
    config.setdefault("issuer", str(metadata.get("issuer") or issuer))
    if resource and isinstance(resource.get("resource"), str):
        config.setdefault("resource", resource["resource"])
    if isinstance(metadata.get("scopes_supported"), list) and not config.get("scopes"):
        wanted = resource.get("scopes_supported") if resource else None
        config["scopes"] = [str(x) for x in (wanted if isinstance(wanted, list) else [])]
    config.setdefault("scopes", [])
    config.setdefault("usePKCE", True)
    if not config.get("clientId"):
        registration = metadata.get("registration_endpoint")
        if not isinstance(registration, str):
            raise InvalidInput(
                f"The MCP server at {display_url(server_url)} needs a client id and offers no dynamic registration: set auth.config.clientId"
            )
        config["registrationUrl"] = registration
        config.update(await _register(fetcher, registration, redirect_uri))
    return config


def _well_known(url: str, name: str) -> list[str]:
    """Where a well-known document of `url` may be: with the URL's path (RFC 9728, 8414), then at the root."""
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}/.well-known/{name}"
    path = parts.path.rstrip("/")
    return [root + path, root] if path else [root]


async def _first_json(fetcher: SafeFetcher, urls: list[str]) -> dict[str, Any] | None:
    for url in urls:
        try:
            fetched = await fetcher.fetch(url, max_bytes=MAX_TOKEN_RESPONSE, accept="application/json")
            value = jsontext.loads(fetched.body)
        except (SourceError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return None


async def _register(fetcher: SafeFetcher, url: str, redirect_uri: str) -> dict[str, Any]:
    body = {
        "client_name": "vzero", "redirect_uris": [redirect_uri], "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"], "token_endpoint_auth_method": "none",
    }
    payload = await _post(fetcher, url, json_body=body, ok=(200, 201))
    if not isinstance(payload.get("client_id"), str):
        raise SourceError(f"The OAuth registration endpoint {display_url(url)} returned no client_id")
    registered: dict[str, Any] = {"clientId": payload["client_id"]}
    if isinstance(payload.get("client_secret"), str):
        registered["clientSecret"] = payload["client_secret"]
    return registered


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _state_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def server_of_state(state: str) -> str:
    """The server id a state names (the part before the dot), or InvalidInput."""
    server_id, dot, secret = state.partition(".")
    if not dot or not server_id or not secret:
        raise InvalidInput("The OAuth state is not one vzero issued")
    return server_id


def start(server_id: str, config: dict[str, Any], redirect_uri: str, return_url: str) -> tuple[str, Pending, datetime]:
    """The authorization URL, the pending record and when it expires."""
    secret = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    params = {"response_type": "code", "client_id": config["clientId"], "redirect_uri": redirect_uri, "state": f"{server_id}.{secret}"}
    if config.get("scopes"):
        params["scope"] = " ".join(config["scopes"])
    if config.get("usePKCE", True):
        params["code_challenge"] = _b64url(hashlib.sha256(verifier.encode()).digest())
        params["code_challenge_method"] = "S256"
    if config.get("resource"):
        params["resource"] = config["resource"]
    base = config["authorizationUrl"]
    url = base + ("&" if urlsplit(base).query else "?") + urlencode(params)
    expires = utcnow() + timedelta(seconds=STATE_SECONDS)
    record = {"stateHash": _state_hash(secret), "verifier": verifier, "redirectUri": redirect_uri, "returnUrl": return_url, "expiresAt": iso(expires)}
    return url, Pending(params["state"], record), expires


def check_state(state: str, record: dict[str, Any] | None) -> None:
    """InvalidInput unless `state` is the pending one and has not expired."""
    secret = state.partition(".")[2]
    if not record or not hmac.compare_digest(_state_hash(secret), str(record.get("stateHash", ""))):
        raise InvalidInput("The OAuth state does not match a pending authorization of this server: start again with POST /v1/mcp-servers/{id}/oauth/authorize")
    expires = parse_moment(record.get("expiresAt"), "expiresAt")
    if expires is None or expires < utcnow():
        raise InvalidInput("The OAuth authorization expired (it is good for five minutes): start again with POST /v1/mcp-servers/{id}/oauth/authorize")


async def exchange(fetcher: SafeFetcher, config: dict[str, Any], code: str, record: dict[str, Any]) -> dict[str, Any]:
    """Trade the code for tokens."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": record["redirectUri"], "client_id": config["clientId"]}
    if config.get("usePKCE", True):
        form["code_verifier"] = record["verifier"]
    return await _token_request(fetcher, config, form)


async def refresh(fetcher: SafeFetcher, config: dict[str, Any], tokens: dict[str, Any]) -> dict[str, Any]:
    """New tokens from the refresh token (the old refresh token is kept if the provider sends none)."""
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refreshToken"], "client_id": config["clientId"]}
    fresh = await _token_request(fetcher, config, form)
    fresh.setdefault("refreshToken", tokens.get("refreshToken"))
    return {k: v for k, v in fresh.items() if v is not None}


def needs_refresh(tokens: dict[str, Any]) -> bool:
    expires = parse_moment(tokens.get("expiresAt"), "expiresAt") if tokens.get("expiresAt") else None
    return expires is not None and expires - REFRESH_MARGIN <= utcnow()


async def _token_request(fetcher: SafeFetcher, config: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    if config.get("clientSecret"):
        form["client_secret"] = config["clientSecret"]
    if config.get("resource"):
        form["resource"] = config["resource"]
    payload = await _post(fetcher, config["tokenUrl"], form=form, ok=(200,))
    if not isinstance(payload.get("access_token"), str):
        raise SourceError(f"The OAuth token endpoint {display_url(config['tokenUrl'])} returned no access_token")
    tokens: dict[str, Any] = {"accessToken": payload["access_token"], "tokenType": str(payload.get("token_type") or "Bearer")}
    if isinstance(payload.get("refresh_token"), str):
        tokens["refreshToken"] = payload["refresh_token"]
    if isinstance(payload.get("expires_in"), int | float) and payload["expires_in"] > 0:
        tokens["expiresAt"] = iso(utcnow() + timedelta(seconds=float(payload["expires_in"])))
    return tokens


async def _post(
    fetcher: SafeFetcher, url: str, *, form: dict[str, str] | None = None, json_body: dict[str, Any] | None = None, ok: tuple[int, ...]
) -> dict[str, Any]:
    """POST to an OAuth endpoint through the vetted client; its JSON answer, size-limited."""
    body = bytearray()
    try:
        async with (
            vetted_client(fetcher, action=_ACTION, timeout=fetcher.settings.fetch_timeout) as client,
            client.stream("POST", url, data=form, json=json_body, headers={"Accept": "application/json"}) as response,
        ):
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_TOKEN_RESPONSE:
                    raise SourceError(f"The OAuth endpoint {display_url(url)} sent more than {MAX_TOKEN_RESPONSE} bytes")
    except httpx2.HTTPError as exc:
        raise SourceError(f"The OAuth endpoint {display_url(url)} could not be reached: {exc or type(exc).__name__}") from None
    try:
        payload = jsontext.loads(bytes(body)) if body else {}
    except ValueError:
        payload = {}
    if response.status_code not in ok or not isinstance(payload, dict):
        detail = (payload.get("error_description") or payload.get("error")) if isinstance(payload, dict) else None
        raise SourceError(f"The OAuth endpoint {display_url(url)} refused: {response.status_code} {detail or ''}".rstrip())
    return payload
