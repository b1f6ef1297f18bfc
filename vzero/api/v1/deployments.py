"""v1 deployments: find, create, getById, delete, findLogs, findErrors (the pages are served by preview/routes.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from vzero.api.deps import CallerDep, PreviewsDep, RuntimeDep, SessionDep
from vzero.api.v1.schemas import Body
from vzero.config import Settings
from vzero.core.ids import iso
from vzero.store import chats as chat_store
from vzero.store import deployments as store
from vzero.store.tables import Deployment

router = APIRouter(tags=["deployments"])

Id = Annotated[str, Field(min_length=1, max_length=64)]


class CreateDeployment(Body):
    projectId: Id | None = None
    chatId: Id
    versionId: Id


def deployment_detail(settings: Settings, deployment: Deployment) -> dict[str, Any]:
    """DeploymentDetail: the page at webUrl, its build log and errors at inspectorUrl (both on the preview host)."""
    base, pages = settings.base_url, settings.origins.preview
    body: dict[str, Any] = {
        "id": deployment.id,
        "object": "deployment",
        "inspectorUrl": f"{pages}/deployments/{deployment.id}/__inspect",
        "chatId": deployment.chat_id,
        "versionId": deployment.version_id,
        "apiUrl": f"{base}/v1/deployments/{deployment.id}",
        "webUrl": f"{pages}/deployments/{deployment.id}/",
    }
    if deployment.project_id is not None:
        body["projectId"] = deployment.project_id
    return body


def _log(deployment_id: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(entry["id"]),
        "object": "deployment_log",
        "deploymentId": deployment_id,
        "createdAt": iso(datetime.fromtimestamp(float(entry["t"]), UTC)),
        "text": str(entry.get("text", "")),
        "type": "stderr" if entry.get("type") == "stderr" else "stdout",
        "level": entry.get("level") if entry.get("level") in ("error", "warning", "info") else "info",
    }


def _formatted(error: dict[str, Any]) -> str:
    where = str(error.get("file") or "")
    if where and error.get("line"):
        where += f":{error['line']}:{error.get('column') or 1}"
    text = (f"{where}: " if where else "") + str(error.get("message", ""))
    if error.get("text"):
        text += f"\n    {str(error['text']).strip()}"
    if error.get("stack"):
        text += f"\n{error['stack']}"
    return text


@router.get("/deployments")
async def find_deployments(
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    chatId: Annotated[str, Query(min_length=1, max_length=64)],
    versionId: Annotated[str, Query(min_length=1, max_length=64)],
    projectId: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    await chat_store.chat_for(session, caller, chatId)
    await chat_store.version_of(session, chatId, versionId)
    rows = await store.list_deployments(session, chatId, versionId, projectId)
    return {"object": "list", "data": [deployment_detail(runtime.settings, d) for d in rows]}


@router.post("/deployments")
async def create_deployment(body: CreateDeployment, caller: CallerDep, runtime: RuntimeDep, previews: PreviewsDep) -> dict[str, Any]:
    """Build the version and freeze the build at its own URL; a failed build still makes a deployment, with its errors."""
    deployment = await previews.deploy(caller, body.chatId, body.versionId, body.projectId)
    return deployment_detail(runtime.settings, deployment)


@router.get("/deployments/{deploymentId}")
async def get_deployment(deploymentId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    return deployment_detail(runtime.settings, await store.deployment_for(session, caller, deploymentId))


@router.delete("/deployments/{deploymentId}")
async def delete_deployment(deploymentId: str, caller: CallerDep, previews: PreviewsDep, session: SessionDep) -> dict[str, Any]:
    deployment = await store.deployment_for(session, caller, deploymentId, write=True)
    await session.delete(deployment)
    await session.commit()
    await previews.undeploy(deploymentId)
    return {"id": deploymentId, "object": "deployment", "deleted": True}


@router.get("/deployments/{deploymentId}/logs")
async def find_deployment_logs(
    deploymentId: str,
    caller: CallerDep,
    session: SessionDep,
    since: Annotated[float | None, Query(allow_inf_nan=False)] = None,
) -> dict[str, Any]:
    """The build log (and run-time errors the page reported), oldest first; `since` is unix seconds."""
    deployment = await store.deployment_for(session, caller, deploymentId)
    entries = store.logs_since(deployment, since)
    body: dict[str, Any] = {"object": "list", "logs": [_log(deployment.id, e) for e in entries]}
    if entries:
        body["nextSince"] = float(entries[-1]["t"])
    return body


@router.get("/deployments/{deploymentId}/errors")
async def find_deployment_errors(deploymentId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """The build's errors (or, for a build that worked, the errors its pages reported); {} when there are none."""
    deployment = await store.deployment_for(session, caller, deploymentId)
    errors = list(deployment.errors or [])
    if not errors:
        return {}
    first = errors[0]
    return {
        "errorType": "build" if first.get("source") == "build" else "runtime",
        "formattedError": _formatted(first),
        "fullErrorText": "\n\n".join(_formatted(e) for e in errors),
    }
