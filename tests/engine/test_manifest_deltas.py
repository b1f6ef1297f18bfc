"""Versions written by a generation, an edit, a restore or a fork store their manifests as deltas, and read back whole."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests import conformance
from tests.fakes import FakeOpenAIServer, FakeReply
from vzero.store import versions as version_store
from vzero.store.blobs import BlobStore
from vzero.store.tables import Version

FILES = [{"name": f"components/c{i:02}.tsx", "content": f"export const C{i} = () => <div>{i}</div>\n" * 3} for i in range(20)]
FILES.append({"name": "lib/data.ts", "content": "export const data = 1\n", "locked": True})


def files_of(version: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {f["name"]: (f["content"], f["locked"]) for f in version["files"]}


async def manifest(runtime, version_id: str) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    """The version's manifest hash and its stored JSON, read from the database."""
    async with runtime.db.session() as session:
        version = await session.get(Version, version_id)
        assert version is not None and version.manifest_hash is not None
        raw = (await BlobStore().get_many(session, [version.manifest_hash]))[version.manifest_hash]
        return version.manifest_hash, json.loads(raw)


async def test_generation_edit_restore_and_fork_write_deltas(
    client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime  # type: ignore[no-untyped-def]
) -> None:
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={"type": "files", "files": FILES}))
    first = chat["latestVersion"]
    first_hash, doc = await manifest(runtime, first["id"])
    assert isinstance(doc, list) and len(doc) == len(FILES)  # a new chat's files: a full manifest

    # A generation: its manifest is a delta on the version it started from.
    reply = '<CodeProject id="p">\n```tsx file="components/c03.tsx"\nexport const C3 = () => <p>3</p>\n```\n</CodeProject>\nDone.'
    fake_model.enqueue(FakeReply(text=reply))
    generated = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "change c03"}))
    second = generated["latestVersion"]
    second_hash, doc = await manifest(runtime, second["id"])
    assert doc["base"] == first_hash and doc["depth"] == 1 and [row[0] for row in doc["set"]] == ["components/c03.tsx"]
    expected = files_of(first) | {"components/c03.tsx": ("export const C3 = () => <p>3</p>\n", False)}
    assert files_of(second) == expected

    # An edit through the API: a delta on the edited version, with the lock change in it.
    url = f"/v1/chats/{chat['id']}/versions/{second['id']}"
    edited = conformance.v1("chats.updateVersion", await client.patch(url, json={"files": [{"name": "components/c05.tsx", "content": "five", "locked": True}]}))
    third_hash, doc = await manifest(runtime, edited["id"])
    assert doc["base"] == second_hash and doc["depth"] == 2 and doc["set"][0][0] == "components/c05.tsx" and doc["set"][0][2] == 1
    expected["components/c05.tsx"] = ("five", True)
    assert files_of(edited) == expected

    # Deleting a file, then restoring the first version.
    base = f"/v1/chats/{chat['id']}/versions"
    trimmed = conformance.v1("chats.deleteVersionFiles", await client.post(f"{base}/{edited['id']}/files/delete", json={"filePaths": ["components/c07.tsx"]}))
    _, doc = await manifest(runtime, trimmed["id"])
    assert doc["base"] == third_hash and doc["del"] == ["components/c07.tsx"] and "set" not in doc
    assert files_of(trimmed) == {k: v for k, v in expected.items() if k != "components/c07.tsx"}
    restored = conformance.v1("chats.restore", await client.post(f"{base}/{first['id']}/restore"))
    assert (await manifest(runtime, restored["id"]))[0] == first_hash  # the same files: the same manifest
    assert files_of(restored) == files_of(first)

    # Fork at the edited version, then edit the fork: its delta's base is the shared manifest.
    fork = conformance.v1("chats.fork", await client.post(f"/v1/chats/{chat['id']}/fork", json={"versionId": edited["id"]}))
    forked = fork["latestVersion"]
    assert (await manifest(runtime, forked["id"]))[0] == third_hash and files_of(forked) == expected
    changed = conformance.v1(
        "chats.updateVersion",
        await client.patch(f"/v1/chats/{fork['id']}/versions/{forked['id']}", json={"files": [{"name": "lib/more.ts", "content": "more"}]}),
    )
    _, doc = await manifest(runtime, changed["id"])
    assert doc["base"] == third_hash and doc["depth"] == 3
    assert files_of(changed) == expected | {"lib/more.ts": ("more", False)}

    # Every version reads back the same from the database alone, through a store with empty caches.
    for version in (first, second, edited, trimmed, restored, forked, changed):
        async with runtime.db.session() as session:
            row = await session.get(Version, version["id"])
            got = await version_store.files_of(session, BlobStore(), row)
        assert {f.path: (f.content.decode(), f.locked) for f in got.entries()} == files_of(version)
