"""`vzero chat`: one generation in this process, shown live with rich, its files written to a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from vzero.app import GENERATION_VIEWS
from vzero.config import Settings
from vzero.engine.ask import Ask
from vzero.errors import VzeroError
from vzero.services import Services
from vzero.store import chats as chat_store
from vzero.store.tables import Chat, Message, Version
from vzero.store.users import DEFAULT_USER_ID
from vzero.store.versions import files_of

_MARK = {"create": "+", "update": "~", "delete": "-", "rename": ">"}


def _render(parts: list[dict[str, Any]], status: str) -> Group:
    lines: list[Text] = []
    for part in parts:
        kind = part["type"]
        if kind == "thinking":
            tail = part["text"].strip().splitlines()[-1:] or [""]
            lines.append(Text(f"thinking: {tail[0][:100]}", style="dim italic"))
        elif kind == "file-read":
            lines.append(Text(f"read {len(part['paths'])} file(s)", style="dim"))
        elif kind == "file-edit":
            done = "finishedAt" in part
            target = f" -> {part['toPath']}" if part.get("toPath") else ""
            lines.append(Text(f"{_MARK.get(part['operation'], '?')} {part['path']}{target}{'' if done else ' ...'}", style="green" if done else "yellow"))
        elif kind == "text":
            lines.append(Text(part["text"].strip()[-400:]))
    lines.append(Text(status, style="bold"))
    return Group(*lines)


async def run_chat(settings: Settings, prompt: str, *, chat_id: str | None, out: Path | None, model_id: str | None, thinking: bool) -> int:
    console = Console()
    services = Services.build(settings, views=GENERATION_VIEWS)
    runtime, manager = services.runtime, services.generations
    await services.start()
    try:
        manager.model()  # say what to configure before creating anything
        if chat_id:
            async with runtime.db.session() as session:
                found = await session.get(Chat, chat_id)
            if found is None:
                console.print(f"[red]No chat {chat_id} in {settings.data_dir}[/red]")
                return 1
            chat = found
        else:
            chat = chat_store.new_chat(DEFAULT_USER_ID, text=prompt)
        ask = Ask(message=prompt, author_id=chat.owner_id, model_id=model_id, thinking=thinking)
        started = await manager.start(chat, ask, new=chat_id is None)
        generation = started.generation
        with Live(_render([], "generating..."), console=console, refresh_per_second=12, transient=False) as live:
            async for _ in generation.follow():
                live.update(_render(generation.parts.parts, "generating..."))
            live.update(_render(generation.parts.parts, ""))
        async with runtime.db.session() as session:
            version = await session.get(Version, started.version.id)
            message = await session.get(Message, started.message_id)
            assert version is not None and message is not None
            if version.status != "completed":
                console.print(f"[red]The generation {message.status}: {message.error or message.finish_reason}[/red]")
                return 2
            files = await files_of(session, runtime.blobs, version)
        target = out or Path(f"vzero-{chat.id}")
        for entry in files.entries():
            path = target / entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(entry.content)
        console.print(f"Chat {chat.id}, version {version.id}: {len(files)} file(s) written to {target}/")
        console.print(f"Continue with: vzero chat --chat {chat.id} 'next change'")
        return 0
    except VzeroError as exc:
        console.print(f"[red]{exc.message}[/red]")
        return 1
    finally:
        await services.stop()
