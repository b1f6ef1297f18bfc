"""The `vzero` command: serve the API, manage keys and memory skills, chat from the terminal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

from vzero.config import Settings

app = typer.Typer(help="vzero: a self-hosted AI app builder that speaks the v0 Platform API.", no_args_is_help=True)
keys_app = typer.Typer(help="Create API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
skills_app = typer.Typer(help="Memory skills: instructions a user (or team) attaches by name.", no_args_is_help=True)
app.add_typer(skills_app, name="skills")


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to bind (default VZERO_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default VZERO_PORT or 8000)."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Start the server: the workspace at /, the API (v1 at /v1, v2 at /v2), previews, /healthz."""
    import uvicorn

    from vzero.app import create_app

    settings = Settings()
    settings = settings.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    if not settings.api_key:
        key = asyncio.run(_first_key(settings))
        if key:
            typer.echo(f"No VZERO_API_KEY is set and no key exists yet: created one for the default user (shown once):\n{key}")
    if settings.ui:
        _print_link(settings)
    uvicorn.run(create_app(settings, own_process=True), host=settings.host, port=settings.port, log_level=log_level, access_log=False)


async def _first_key(settings: Settings) -> str | None:
    """A key for the default user when the server would otherwise accept no key at all."""
    from sqlalchemy import func, select

    from vzero.services import Services
    from vzero.store.tables import ApiKey
    from vzero.store.users import DEFAULT_USER_ID, create_key

    services = Services.build(settings)
    await services.start()
    try:
        async with services.runtime.db.session() as session:
            if (await session.execute(select(func.count()).select_from(ApiKey))).scalar_one():
                return None
            new = await create_key(session, DEFAULT_USER_ID, "default")
            await session.commit()
            return new.key
    finally:
        await services.stop()


@app.command()
def link() -> None:
    """Print a new one-time link that signs a browser in to the workspace (as the default user)."""
    _print_link(Settings())


def _print_link(settings: Settings) -> None:
    url = asyncio.run(_sign_in_link(settings))
    minutes = settings.sign_in_link_minutes
    typer.echo(f"Open the workspace: {url}\n(a one-time sign-in link, valid for {minutes:g} minutes; `vzero link` prints a new one)")


async def _sign_in_link(settings: Settings) -> str:
    """A new single-use sign-in link, stored (hashed) in the database the server uses."""
    from vzero.api.signin import sign_in_link
    from vzero.runtime import Runtime
    from vzero.store.users import ensure_default_user

    runtime = Runtime.from_settings(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await runtime.db.open()
    try:
        async with runtime.db.session() as session:
            await ensure_default_user(session)
            await session.commit()
        return await sign_in_link(runtime)
    finally:
        await runtime.db.close()


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name", help="Name of the new user (and of its key)."),
    team: str = typer.Option(None, "--team", help="Team id: users of one team share team chats and projects."),
    email: str = typer.Option(None, "--email", help="Email shown by GET /v1/user."),
) -> None:
    """Create a user with a new API key; the key is printed once, as the last line."""
    from vzero.services import Services
    from vzero.store.users import create_user_with_key

    async def create() -> str:
        services = Services.build(Settings())
        await services.start()
        try:
            async with services.runtime.db.session() as session:
                new = await create_user_with_key(session, name, email=email, team_id=team)
                await session.commit()
            return f"{new.user_id}\n{new.key}"
        finally:
            await services.stop()

    user_id, key = asyncio.run(create()).split("\n")
    typer.echo(f"Created user {user_id} ({name}). Keep this key: it is not shown again.")
    typer.echo(key)


def _with_store(work: Any) -> Any:
    """Run `work(session)` against the configured store (migrated first), committing after it."""
    from vzero.services import Services

    async def run() -> Any:
        services = Services.build(Settings())
        await services.start()
        try:
            async with services.runtime.db.session() as session:
                result = await work(session)
                await session.commit()
            return result
        finally:
            await services.stop()

    return asyncio.run(run())


@skills_app.command("add")
def skills_add(
    name: str = typer.Argument(..., help="The name the skill is attached by (skills: [{type: memory, skillName: NAME}])."),
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="A SKILL.md: front matter (name, description), then the body."),
    team: bool = typer.Option(False, "--team", help="Share it with the user's team (scope team)."),
    user: str = typer.Option(None, "--user", help="The user it belongs to (default: the default user)."),
) -> None:
    """Add a memory skill, or replace the one of that name."""
    from vzero.store.skills import save_skill
    from vzero.store.users import DEFAULT_USER_ID
    from vzero.tools.skills import parse_skill

    skill = parse_skill(file.read_text(encoding="utf-8"), name, str(file))
    scope = "team" if team else "user"
    _with_store(lambda session: save_skill(session, user or DEFAULT_USER_ID, scope=scope, name=name, description=skill.description, body=skill.body))
    typer.echo(f"Saved the {scope} skill {name}: {skill.description}")


@skills_app.command("list")
def skills_list(user: str = typer.Option(None, "--user", help="Whose skills (default: the default user).")) -> None:
    """List a user's memory skills."""
    from vzero.store.skills import skills_of
    from vzero.store.users import DEFAULT_USER_ID

    for row in _with_store(lambda session: skills_of(session, user or DEFAULT_USER_ID)):
        typer.echo(f"{row.scope}\t{row.name}\t{row.description}")


@skills_app.command("remove")
def skills_remove(
    name: str = typer.Argument(...), team: bool = typer.Option(False, "--team"), user: str = typer.Option(None, "--user"),
) -> None:
    """Remove a memory skill."""
    from vzero.store.skills import delete_skill
    from vzero.store.users import DEFAULT_USER_ID

    removed = _with_store(lambda session: delete_skill(session, user or DEFAULT_USER_ID, "team" if team else "user", name))
    if not removed:
        raise typer.BadParameter(f"no skill {name}")
    typer.echo(f"Removed {name}")


@app.command()
def chat(
    prompt: str = typer.Argument(..., help="What to build or change."),
    chat_id: str = typer.Option(None, "--chat", help="Continue this chat instead of creating one."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder to write the version's files into (default ./vzero-<chat id>)."),
    model: str = typer.Option(None, "--model", help="v0 model id (mapped by VZERO_MODEL_MAP) or provider model."),
    thinking: bool = typer.Option(False, "--thinking", help="Ask the model to think first."),
) -> None:
    """Generate from the terminal: stream the reply live, then write the new version's files to a folder."""
    from vzero.terminal import run_chat

    code = asyncio.run(run_chat(Settings(), prompt, chat_id=chat_id, out=out, model_id=model, thinking=thinking))
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
