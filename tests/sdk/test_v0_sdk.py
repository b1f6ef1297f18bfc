"""The official npm client, v0-sdk 0.16.7, against a real `vzero serve`: chats without a model."""

from __future__ import annotations

import base64
import io
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests import conformance
from tests.sdk.conftest import Sdk
from tests.server import VzeroServer


class _Answer:
    """What the SDK returned, shaped like an HTTP response so `tests.conformance` can validate it."""

    def __init__(self, body: Any, status_code: int = 200) -> None:
        self.status_code = status_code
        self._body = body
        self.text = repr(body)

    def json(self) -> Any:
        return self._body


def conforms(operation_id: str, body: Any) -> Any:
    return conformance.v1(operation_id, _Answer(body))


@pytest.fixture(scope="module")
def files_run(sdk: Sdk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One run of scenarios/files.mjs; the tests below each check a part of it."""
    with VzeroServer(tmp_path_factory.mktemp("sdk") / "data") as server:
        yield sdk.run(server, "files")


def test_init_from_files_keeps_locks(files_run: dict[str, Any]) -> None:
    chat = conforms("chats.init", files_run["init"])
    assert chat["name"] == "sdk files chat" and chat["metadata"] == {"suite": "sdk"}
    files = {f["name"]: f for f in chat["latestVersion"]["files"]}
    assert set(files) == {"app/page.tsx", "components/ui/button.tsx", "app/globals.css"}
    assert files["components/ui/button.tsx"]["locked"] is True
    assert files["app/page.tsx"]["locked"] is False
    assert "<h1>Hello</h1>" in files["app/page.tsx"]["content"]
    assert chat["latestVersion"]["status"] == "completed"


def test_find_lists_and_filters_by_metadata(files_run: dict[str, Any]) -> None:
    chat_id = files_run["init"]["id"]
    assert chat_id in [c["id"] for c in conforms("chats.find", files_run["find"])["data"]]
    assert [c["id"] for c in conforms("chats.find", files_run["findByMetadata"])["data"]] == [chat_id]


def test_get_by_id_matches_init(files_run: dict[str, Any]) -> None:
    got = conforms("chats.getById", files_run["getById"])
    assert got["id"] == files_run["init"]["id"]
    assert got["latestVersion"]["id"] == files_run["init"]["latestVersion"]["id"]
    assert got["permissions"] == {"write": True}


def test_update_version_makes_a_new_version(files_run: dict[str, Any]) -> None:
    version = conforms("chats.updateVersion", files_run["updateVersion"])
    assert version["id"] != files_run["init"]["latestVersion"]["id"]
    files = {f["name"]: f for f in version["files"]}
    assert "<h1>Edited</h1>" in files["app/page.tsx"]["content"]
    assert files["components/ui/button.tsx"]["locked"] is True  # untouched files keep their lock


def test_find_versions_newest_first_with_cursor(files_run: dict[str, Any]) -> None:
    listed = conforms("chats.findVersions", files_run["findVersions"])
    ids = [v["id"] for v in listed["data"]]
    assert ids == [files_run["updateVersion"]["id"], files_run["init"]["latestVersion"]["id"]]
    assert listed["meta"] == {"totalCount": 2} and listed["pagination"]["hasMore"] is False
    page = conforms("chats.findVersions", files_run["findVersionsPage"])
    assert [v["id"] for v in page["data"]] == ids[:1]
    assert page["pagination"]["hasMore"] is True and page["pagination"]["nextCursor"]


def test_fork_copies_latest_or_given_version(files_run: dict[str, Any]) -> None:
    fork = conforms("chats.fork", files_run["fork"])
    assert fork["id"] != files_run["init"]["id"]
    contents = {f["name"]: f["content"] for f in fork["latestVersion"]["files"]}
    assert "<h1>Edited</h1>" in contents["app/page.tsx"]
    first = conforms("chats.fork", files_run["forkOfFirst"])
    assert "<h1>Hello</h1>" in {f["name"]: f["content"] for f in first["latestVersion"]["files"]}["app/page.tsx"]


def test_download_version_is_a_real_zip_and_tarball(files_run: dict[str, Any]) -> None:
    zipped = files_run["downloadZip"]
    assert zipped["isArrayBuffer"] is True
    raw = base64.b64decode(zipped["base64"])
    assert raw[:4] == b"PK\x03\x04" and len(raw) == zipped["byteLength"]
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.testzip() is None
        assert "app/page.tsx" in archive.namelist()
        assert b"<h1>Edited</h1>" in archive.read("app/page.tsx")
    tarball = files_run["downloadTarball"]
    assert tarball["isArrayBuffer"] is True
    raw = base64.b64decode(tarball["base64"])
    assert raw[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as archive:
        names = [m.name.removeprefix("./") for m in archive.getmembers() if m.isfile()]
        assert "app/globals.css" in names


def test_delete_then_get_by_id_is_404(files_run: dict[str, Any]) -> None:
    deleted = conforms("chats.delete", files_run["delete"])
    assert deleted == {"id": files_run["init"]["id"], "object": "chat", "deleted": True}
    gone = files_run["getDeleted"]
    assert gone["threw"] is True and gone["status"] == 404
    conformance.v1_error(_Answer(gone["body"], 404), 404, "not_found_error")
    assert files_run["forkStillThere"]["id"] == files_run["fork"]["id"]  # a fork outlives its source


def test_errors_reach_the_sdk_as_http_errors(files_run: dict[str, Any]) -> None:
    bad_key = files_run["badKey"]
    assert bad_key["threw"] is True and bad_key["status"] == 401
    conformance.v1_error(_Answer(bad_key["body"], 401), 401, "unauthorized_error")
    missing = files_run["missingVersion"]
    assert missing["threw"] is True and missing["status"] == 404
    conformance.v1_error(_Answer(missing["body"], 404), 404, "not_found_error")
