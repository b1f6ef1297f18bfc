"""The `vzero` command: keys create and chat, run as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.engine.test_generate_v1 import COUNTER
from tests.fakes import FakeOpenAIServer, FakeReply


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VZERO_") and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return subprocess.run([sys.executable, "-m", "vzero.cli", *args], env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_keys_create_prints_key_last(tmp_path: Path) -> None:
    result = run(["keys", "create", "--name", "alice"], {"VZERO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("vz_") and len(key) > 30


def test_chat_streams_and_writes_files(tmp_path: Path) -> None:
    with FakeOpenAIServer() as model:
        model.enqueue(FakeReply(text=COUNTER))
        env = {"VZERO_DATA_DIR": str(tmp_path / "data"), "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": model.base_url, "VZERO_MODEL": "fake"}
        result = run(["chat", "Build a counter", "--out", str(tmp_path / "app")], env)
        assert result.returncode == 0, result.stdout + result.stderr
        page = (tmp_path / "app" / "app" / "page.tsx").read_text()
        assert "useState" in page
        assert "app/page.tsx" in result.stdout
        chat_id = result.stdout.split("Chat ", 1)[1].split(",", 1)[0]
        model.enqueue(FakeReply(text='<CodeProject id="p">\n```ts file="lib/extra.ts"\nexport const x = 1\n```\n</CodeProject>'))
        again = run(["chat", "add extra", "--chat", chat_id, "--out", str(tmp_path / "app2")], env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert (tmp_path / "app2" / "lib" / "extra.ts").exists() and (tmp_path / "app2" / "app" / "page.tsx").exists()


def test_chat_without_provider_says_what_to_set(tmp_path: Path) -> None:
    result = run(["chat", "hi"], {"VZERO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "VZERO_PROVIDER" in result.stdout
