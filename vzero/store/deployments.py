"""Deployments: the rows of a version's build frozen at a stable URL, with its build log and errors.

The frozen files themselves live on disk (vzero/preview/frozen.py).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.access import Principal, can_read, can_write
from vzero.core.ids import new_id, utcnow
from vzero.errors import Forbidden, NotFound
from vzero.store.tables import Chat, Deployment, User

log = logging.getLogger(__name__)

_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")
MAX_LOGS = 500  # build lines plus run-time reports; later reports are dropped


def log_entry(text: str, *, level: str = "info", at: float | None = None) -> dict[str, Any]:
    """One log line as stored: `t` is unix seconds, `type` the stream a build tool would have used."""
    return {"id": new_id(), "t": time.time() if at is None else at, "text": text, "level": level, "type": "stderr" if level == "error" else "stdout"}


def new_deployment_id() -> str:
    """A fresh deployment id: random, so the deployment's URL cannot be guessed."""
    return new_id()


async def create_deployment(
    session: AsyncSession,
    *,
    deployment_id: str,
    owner_id: str,
    chat: Chat,
    version_id: str,
    project_id: str | None,
    ok: bool,
    build_key: str | None,
    logs: list[dict[str, Any]],
    errors: list[dict[str, Any]],
) -> Deployment:
    """A deployment row for a finished build (status `ready`, or `error` when the build failed)."""
    deployment = Deployment(
        id=deployment_id, owner_id=owner_id, chat_id=chat.id, version_id=version_id, project_id=project_id,
        status="ready" if ok else "error", build_key=build_key, logs=logs, errors=errors, created_at=utcnow(),
    )
    session.add(deployment)
    await session.flush()
    return deployment


async def deployment_for(session: AsyncSession, principal: Principal, deployment_id: str, *, write: bool = False) -> Deployment:
    """The deployment if the caller may read its chat (404 otherwise); write=True also needs the right to change the chat.

    A deployment outlives its chat: once the chat is deleted, only the deployment's creator sees it.
    """
    deployment = await session.get(Deployment, deployment_id) if _ID.match(deployment_id) else None
    if deployment is None:
        raise NotFound(f"Deployment not found: {deployment_id}")
    row = (await session.execute(select(Chat, User.team_id).join(User, User.id == Chat.owner_id).where(Chat.id == deployment.chat_id))).first()
    if row is None:
        if deployment.owner_id != principal.user_id:
            raise NotFound(f"Deployment not found: {deployment_id}")
        return deployment
    chat, owner_team = row
    if not can_read(principal, chat.owner_id, owner_team, chat.privacy):
        raise NotFound(f"Deployment not found: {deployment_id}")
    if write and not can_write(principal, chat.owner_id, owner_team, chat.privacy):
        raise Forbidden("You can read this deployment but only those who may change its chat can delete it")
    return deployment


async def list_deployments(session: AsyncSession, chat_id: str, version_id: str, project_id: str | None = None) -> list[Deployment]:
    """Deployments of one version of a chat, newest first."""
    query = select(Deployment).where(Deployment.chat_id == chat_id, Deployment.version_id == version_id)
    if project_id is not None:
        query = query.where(Deployment.project_id == project_id)
    return list((await session.execute(query.order_by(Deployment.created_at.desc(), Deployment.id))).scalars())


def logs_since(deployment: Deployment, since: float | None) -> list[dict[str, Any]]:
    """Log lines written after `since` (unix seconds), oldest first."""
    return [entry for entry in deployment.logs or [] if since is None or float(entry.get("t", 0)) > since]


def add_report(deployment: Deployment, report: dict[str, Any], *, max_errors: int) -> bool:
    """Record a run-time error report on the deployment (errors and log); False when it is a repeat or over the cap."""
    errors = list(deployment.errors or [])
    if any(e.get("source") == report["source"] and e.get("message") == report["message"] for e in errors) or len(errors) >= max_errors:
        return False
    deployment.errors = [*errors, report]
    logs = list(deployment.logs or [])
    if len(logs) < MAX_LOGS:
        deployment.logs = [*logs, log_entry(f"Runtime error ({report['source']}): {report['message']}", level="error")]
    return True
