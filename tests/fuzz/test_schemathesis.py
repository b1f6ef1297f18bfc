"""A bounded schemathesis run of /v1 and /v2 against vzero's own OpenAPI document, in-process over ASGI.

Every operation of the served `/openapi.json` gets schema-valid (positive) and schema-violating (negative)
requests; each response must not be a 5xx, must use a documented status and content type, and must
validate against the documented schema (vzero documents its real v1/v2 error envelopes). Half of the
examples aim at resources that exist, so the handlers past the 404 are reached too. A second run sends the
official v1/v2 specs' own request shapes to the read operations and checks the official response schemas.

The run is derandomised and bounded (VZERO_FUZZ_EXAMPLES examples per operation and mode, 25 by default)
so it finishes in about two minutes on two cores; it runs on SQLite only, with no model configured.
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi import checks as openapi_checks

from tests import conformance
from tests.conformance import reference_dir
from tests.conftest import API_KEY
from tests.fakes import FakeOpenAIServer
from vzero.app import create_app
from vzero.config import Settings

EXAMPLES = int(os.environ.get("VZERO_FUZZ_EXAMPLES", "25"))
AUTH = {"Authorization": f"Bearer {API_KEY}"}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
SPECS = {"v1": "v0-platform-api-v1.openapi.json", "v2": "v0-api-v2.openapi.json"}
# Writes also sent with the official request shapes: the v2 imports (the official v1 init body is unsatisfiable:
# its allOf closes the common properties with additionalProperties: false, which no variant can then add to).
OFFICIAL_WRITES = ("/chats/from-files", "/chats/from-zip", "/chats/from-repo")
# Documentation gaps found by this run and reported to the owners of those routes: (operation, check) -> why.
OWN_DOCUMENT_GAPS: dict[tuple[str, str], str] = {}
OFFICIAL_GAPS: dict[str, dict[tuple[str, str], str]] = {
    "v1": {},
    "v2": {
        # The official v2 spec itself labels the ZIP archive it describes as application/json.
        ("GET /chats/{chatId}/files/download", "Undocumented Content-Type"): "the spec's own mislabel",
    },
}
# Operations that destroy the shared resources run last, so the others still find them.
DESTRUCTIVE = ("DELETE",)


@dataclass
class Findings:
    """Every failed check, once per (operation, check, status), with a curl line to reproduce it."""

    seen: set[tuple[str, str, int]] = field(default_factory=set)
    reports: list[str] = field(default_factory=list)
    requests: int = 0

    def record(self, label: str, status: int, error: BaseException, curl: str) -> None:
        name = type(error).__name__
        for failure in getattr(error, "exceptions", [error]):
            title = getattr(failure, "title", type(failure).__name__)
            key = (label, str(title), status)
            if key in self.seen:
                continue
            self.seen.add(key)
            message = getattr(failure, "message", str(failure))
            self.reports.append(f"{label} -> {status} [{name}: {title}]\n  {str(message)[:600]}\n  {curl[:800]}")


@pytest.fixture(autouse=True)
def only_loopback_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fuzzed URL must never reach past this machine: any other connection fails as if the network were down."""
    original = httpx.AsyncClient.send

    async def guarded(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            loopback = ipaddress.ip_address(request.url.host).is_loopback
        except ValueError:
            loopback = request.url.host == "localhost"
        if not loopback:
            raise httpx.ConnectError("network disabled for the fuzzing run", request=request)
        return await original(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", guarded)


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fuzz_app(tmp_path: Path, model_server: FakeOpenAIServer) -> Iterator[Any]:
    """SQLite, a fake model that answers every prompt with a small app, limits loose enough not to hide handlers."""
    settings = Settings(
        data_dir=tmp_path / "data", api_key=API_KEY, public_url="http://testserver",
        provider="openai", openai_api_key="sk-test", openai_base_url=model_server.base_url, model="fake-model",
        provider_retries=0, rate_limit_per_minute=1_000_000, daily_message_limit=1_000_000,
        fetch_timeout=2.0, hook_timeout=1.0, hook_max_attempts=1,
    )
    app = create_app(settings)
    yield app
    schemathesis_asgi.shutdown_lifespans()


def known_resources(app: Any) -> dict[str, str]:
    """Create a chat (v1 and v2), a project and a hook, and return their ids by path parameter name."""
    with schemathesis_asgi.get_client(app) as client:
        client.headers.update(AUTH)

        def ok(response: Any) -> dict[str, Any]:
            assert response.status_code in (200, 201), response.text[:500]
            return response.json()  # type: ignore[no-any-return]

        files = [{"name": "app/page.tsx", "content": "export default function Page() { return null }\n"}]
        chat = ok(client.post("/v1/chats/init", json={"type": "files", "files": files}))
        project = ok(client.post("/v1/projects", json={"name": "fuzz"}))
        env = ok(client.post(f"/v1/projects/{project['id']}/env-vars", json={"environmentVariables": [{"key": "A", "value": "1"}]}))
        v2 = ok(client.post("/v2/chats/from-files", json={"files": [{"name": "a.ts", "content": "export {}\n"}]}))["chat"]
        messages = ok(client.get(f"/v2/chats/{v2['id']}/messages", params={"limit": 10}))
    ids = {
        "chatId": chat["id"],
        "versionId": chat["latestVersion"]["id"],
        "projectId": project["id"],
        "environmentVariableId": env["data"][0]["id"],
    }
    listed = messages.get("messages") or messages.get("data") or []
    if listed:
        ids["messageId"] = listed[0]["id"]
    return ids


Extra = Callable[[Any, Any], None]


def run_operation(
    operation: Any, mode: GenerationMode, known: dict[str, str], findings: Findings, checks: list[Any], extra: Extra | None
) -> None:
    """Send up to EXAMPLES generated requests to one operation and record every failed check."""
    strategy = operation.as_strategy(generation_mode=mode)

    @hypothesis_settings(
        max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, use_known=st.booleans())
    def examples(case: Any, use_known: bool) -> None:
        if use_known and case.path_parameters:
            for name in case.path_parameters:
                if name in known:
                    case.path_parameters[name] = known[name]
        findings.requests += 1
        try:
            response = case.call(headers=AUTH, timeout=30)
        except Exception as error:  # noqa: BLE001 - the app raised through the ASGI transport: a 500 in production
            findings.record(operation.label, 500, error, case.as_curl_command(headers=AUTH))
            return
        try:
            case.validate_response(response, checks=checks, headers=AUTH)
            if extra is not None:
                extra(operation, response)
        except BaseException as error:
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            findings.record(operation.label, response.status_code, error, case.as_curl_command(headers=AUTH))

    examples()


def fuzz(
    schema: Any, known: dict[str, str], checks: list[Any], modes: tuple[GenerationMode, ...],
    keep: Callable[[Any], bool], extra: Extra | None = None,
) -> Findings:
    findings = Findings()
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = sorted((op for op in operations if keep(op)), key=lambda op: (op.method.upper() in DESTRUCTIVE, op.label))
    assert operations, "no operations to fuzz"
    for operation in operations:
        for mode in modes:
            run_operation(operation, mode, known, findings, checks, extra)
    return findings


def test_own_openapi_document_is_sensible(fuzz_app: Any) -> None:
    with schemathesis_asgi.get_client(fuzz_app) as client:
        document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert sum(p.startswith("/v1/") for p in paths) > 20 and sum(p.startswith("/v2/") for p in paths) > 20
    init = paths["/v1/chats/init"]["post"]
    body = init["requestBody"]["content"]["application/json"]["schema"]
    assert {"files", "repo", "registry", "zip", "template"} <= set(body["discriminator"]["mapping"])
    assert init["responses"]["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/V1Error"}
    assert paths["/v2/chats/from-zip"]["post"]["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/V2Error"
    }
    assert "HTTPValidationError" not in json.dumps(document), "a {detail} error body vzero never sends is documented"


def unexpected(findings: Findings, known: dict[tuple[str, str], str]) -> list[str]:
    """The findings that are not documented gaps already reported to the owners of those routes."""
    return [r for r in findings.reports if not any(r.startswith(f"{label} -> ") and f": {title}]" in r.split("\n", 1)[0] for label, title in known)]


def test_fuzz_both_apis_against_own_document(fuzz_app: Any) -> None:
    started = time.monotonic()
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    known = known_resources(fuzz_app)
    findings = fuzz(schema, known, CHECKS, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE), lambda op: True)
    elapsed = time.monotonic() - started
    print(f"\nown document: {findings.requests} requests in {elapsed:.0f} s, {len(findings.reports)} findings")
    for report in findings.reports:
        print(report)
    left = unexpected(findings, OWN_DOCUMENT_GAPS)
    assert not left, "\n\n".join(left)


def official(dialect: str) -> Any:
    """One of the official specs, loaded for schemathesis, without its hosted server URL."""
    raw = json.loads((reference_dir() / SPECS[dialect]).read_text())
    raw.pop("servers", None)
    return schemathesis.openapi.from_dict(raw)


def run_official(app: Any, dialect: str, keep: Callable[[Any], bool]) -> Findings:
    schema = official(dialect)
    schema.app = app
    schema.config.base_url = f"http://testserver/{dialect}"
    known = known_resources(app)

    def conforms(operation: Any, response: Any) -> None:
        # The project's 2020-12 validator: schemathesis' own one rewrites `prefixItems` into a form it then rejects.
        if (response.headers.get("content-type") or [""])[0].startswith("application/json"):
            conformance.assert_conforms(dialect, operation.definition.raw["operationId"], response)

    checks = [check for check in CHECKS if check is not openapi_checks.response_schema_conformance]
    return fuzz(schema, known, checks, (GenerationMode.POSITIVE,), keep, conforms)


@pytest.mark.parametrize("dialect", ["v1", "v2"])
def test_fuzz_reads_against_the_official_specs(fuzz_app: Any, dialect: str) -> None:
    """The official request shapes for every read (and the imports), checked against the official response schemas."""
    started = time.monotonic()
    keep = lambda op: op.method.upper() == "GET" or op.path in OFFICIAL_WRITES
    findings = run_official(fuzz_app, dialect, keep)
    print(f"\nofficial {dialect}: {findings.requests} requests in {time.monotonic() - started:.0f} s, {len(findings.reports)} findings")
    for report in findings.reports:
        print(report)
    left = unexpected(findings, OFFICIAL_GAPS[dialect])
    assert not left, "\n\n".join(left)
