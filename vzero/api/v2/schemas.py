"""v2 request bodies, as the v2 spec declares them (closed objects: unknown keys are refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ChatPrivacy = Literal["public", "private", "team", "team-edit", "unlisted"]
Metadata = dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Annotated[str, StringConstraints(max_length=500)]]
MetadataPatch = dict[Annotated[str, StringConstraints(min_length=1, max_length=50)], Annotated[str, StringConstraints(max_length=500)] | None]
HookEvent = Literal["chat.created", "chat.updated", "chat.deleted", "message.created", "message.updated", "message.deleted", "message.finished"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfiguration(Body):
    # The spec lists v0-mini/pro/max/max-fast; any id is accepted and mapped by VZERO_MODEL_MAP.
    modelId: str | None = Field(default=None, max_length=128)
    imageGenerations: bool | None = None


class Attachment(Body):
    url: str = Field(min_length=1)


class RemoteSkill(Body):
    type: Literal["remote"]
    id: str


class MemorySkill(Body):
    type: Literal["memory"]
    scope: Literal["user", "team"]
    skillName: str


class ProjectSkill(Body):
    type: Literal["project"]
    skillName: str


Skill = Annotated[RemoteSkill | MemorySkill | ProjectSkill, Field(discriminator="type")]


class SendMessage(Body):
    """messages.send / sendStream / sendAsync."""

    message: str = Field(min_length=1)
    systemPrompt: str | None = None
    modelConfiguration: ModelConfiguration | None = None
    mcpServerIds: list[str] | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    skills: list[Skill] | None = Field(default=None, max_length=3)


class CreateChat(SendMessage):
    """chats.create / createStream / createAsync."""

    privacy: ChatPrivacy = "private"
    title: str | None = Field(default=None, max_length=255)
    metadata: Metadata = Field(default_factory=dict)


class _NewChat(Body):
    privacy: ChatPrivacy = "private"
    title: str | None = Field(default=None, max_length=255)
    metadata: Metadata = Field(default_factory=dict)


class SourceFile(Body):
    name: str = Field(min_length=1, max_length=1024)
    content: str


class CreateFromFiles(_NewChat):
    files: list[SourceFile] = Field(min_length=1, max_length=20)


class CreateFromZip(_NewChat):
    url: str = Field(min_length=1, max_length=8192)


class RepoSource(Body):
    url: str = Field(min_length=1, max_length=8192)
    branch: str | None = Field(default=None, max_length=250)


class CreateFromRepo(_NewChat):
    repo: RepoSource


class UpdateChat(Body):
    title: str | None = Field(default=None, max_length=255)
    privacy: ChatPrivacy | None = None
    metadata: MetadataPatch | None = None


class FileChange(Body):
    path: str = Field(min_length=1, max_length=1024)
    content: str | None  # null deletes the file


class UpdateFiles(Body):
    files: list[FileChange] = Field(min_length=1)


class RestoreMessage(Body):
    messageId: str = Field(min_length=1)


class DuplicateChat(Body):
    privacy: ChatPrivacy = "private"
    title: str | None = Field(default=None, max_length=255)


class ConfirmedSteps(Body):
    type: Literal["confirmed-steps"]
    connectedIntegrationNames: list[Annotated[str, StringConstraints(max_length=64)]] = Field(default_factory=list, max_length=100)
    connectedMcpPresetNames: list[str] = Field(default_factory=list)
    appliedScripts: list[Annotated[str, StringConstraints(min_length=1)]] = Field(default_factory=list)
    addedEnvVars: list[Annotated[str, StringConstraints(min_length=1)]] = Field(default_factory=list)


class PlanExitResponse(Body):
    type: Literal["plan-exit-response"]
    status: Literal["approved", "rejected", "request-changes"]
    content: str = Field(min_length=1)


class Answer(Body):
    questionId: str = Field(min_length=1)
    questionText: str = Field(min_length=1)
    selectedLabels: list[Annotated[str, StringConstraints(min_length=1)]]
    customText: str | None = Field(default=None, min_length=1)


class AnsweredQuestions(Body):
    type: Literal["answered-questions"]
    answers: list[Answer] = Field(min_length=1)


class Permission(Body):
    type: Literal["ALLOW_DYNAMIC_TOOL_STRICT"]
    toolName: str = Field(min_length=1)
    input: Any
    taskNameActive: str | None = None
    taskNameComplete: str | None = None
    userMessage: str | None = Field(default=None, min_length=1)


class ConfirmedPermissions(Body):
    type: Literal["confirmed-permissions"]
    permissions: list[Permission] = Field(min_length=1)
    userMessage: str | None = Field(default=None, min_length=1)


class VercelConnectSetup(Body):
    type: Literal["vercel-connect-setup"]


Task = Annotated[ConfirmedSteps | PlanExitResponse | AnsweredQuestions | ConfirmedPermissions | VercelConnectSetup, Field(discriminator="type")]


class ResolveTask(Body):
    task: Task
    modelConfiguration: ModelConfiguration | None = None


class CreateWebhook(Body):
    name: str = Field(min_length=1, max_length=255)
    events: list[HookEvent] = Field(max_length=20)
    url: str = Field(min_length=1)
    chatId: str | None = None


class UpdateWebhook(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    events: list[HookEvent] | None = Field(default=None, max_length=20)
    url: str | None = Field(default=None, min_length=1)
