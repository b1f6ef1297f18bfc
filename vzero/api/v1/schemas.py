"""v1 request bodies, as the v1 spec declares them (unknown keys are refused, as the spec's closed schemas say)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vzero.api.v2.schemas import Skill

# Any constraint makes pydantic check that a string is valid Unicode: a plain `str` lets a lone surrogate
# (JSON "\ud800") through, which then fails as a 500 when the text is encoded to be stored.
Text = Annotated[str, Field(min_length=0)]
ChatPrivacy = Literal["public", "private", "team", "team-edit", "unlisted"]
Metadata = dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Annotated[str, StringConstraints(max_length=500)]]
MetadataPatch = dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Annotated[str, StringConstraints(max_length=500)] | None]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InlineFile(Body):
    name: str = Field(min_length=1, max_length=1024)
    content: Text
    locked: bool | None = None


class UrlFile(Body):
    name: str = Field(min_length=1, max_length=1024)
    # No length cap here: a data: URI carries the whole file (VZERO_MAX_FILE_BYTES bounds it); http(s) URLs
    # are capped at 8192 characters by the safe fetcher.
    url: str = Field(min_length=1)
    locked: bool | None = None


class RepoSource(Body):
    url: str = Field(min_length=1, max_length=8192)
    branch: str | None = Field(default=None, max_length=250)


class UrlSource(Body):
    url: str = Field(min_length=1, max_length=8192)


class _InitCommon(Body):
    name: str | None = Field(default=None, max_length=255)
    chatPrivacy: ChatPrivacy = "private"
    projectId: Text | None = None
    metadata: Metadata = Field(default_factory=dict)


class InitFiles(_InitCommon):
    type: Literal["files"]
    files: list[InlineFile | UrlFile]


class InitRepo(_InitCommon):
    type: Literal["repo"]
    repo: RepoSource
    lockAllFiles: bool | None = None


class InitRegistry(_InitCommon):
    type: Literal["registry"]
    registry: UrlSource
    lockAllFiles: bool | None = None


class InitZip(_InitCommon):
    type: Literal["zip"]
    zip: UrlSource
    lockAllFiles: bool | None = None


class InitTemplate(_InitCommon):
    type: Literal["template"]
    templateId: str = Field(min_length=1, max_length=200)


InitChat = Annotated[InitFiles | InitRepo | InitRegistry | InitZip | InitTemplate, Field(discriminator="type")]


class ModelConfiguration(Body):
    modelId: str | None = Field(default=None, max_length=128)
    imageGenerations: bool | None = None
    thinking: bool | None = None


class Attachment(Body):
    url: str = Field(min_length=1)


class FixAction(Body):
    type: Literal["fix-with-v0"]


class CreateChat(Body):
    message: str = Field(min_length=1)
    attachments: list[Attachment] = Field(default_factory=list)
    system: Text | None = None
    chatPrivacy: ChatPrivacy = "private"
    projectId: Text | None = None
    modelConfiguration: ModelConfiguration | None = None
    responseMode: Literal["sync", "async", "experimental_stream"] = "sync"
    designSystemId: Text | None = None
    mcpServerIds: list[Text] | None = None
    attachedSkillIds: list[Text] | None = None
    skills: list[Skill] | None = None
    metadata: Metadata = Field(default_factory=dict)


class SendMessage(Body):
    message: str = Field(min_length=1)
    attachments: list[Attachment] = Field(default_factory=list)
    system: Text | None = None
    modelConfiguration: ModelConfiguration | None = None
    responseMode: Literal["sync", "async", "experimental_stream"] = "sync"
    mcpServerIds: list[Text] | None = None
    attachedSkillIds: list[Text] | None = None
    skills: list[Skill] | None = None
    action: FixAction | None = None


class UpdateChat(Body):
    name: str | None = Field(default=None, max_length=255)
    privacy: ChatPrivacy | None = None
    metadata: MetadataPatch | None = None


class FavoriteChat(Body):
    isFavorite: bool


class ForkChat(Body):
    versionId: str | None = Field(default=None, max_length=32)
    privacy: ChatPrivacy = "private"


class VersionFile(Body):
    name: str = Field(min_length=1, max_length=1024)
    content: Text
    locked: bool | None = None


class UpdateVersion(Body):
    files: list[VersionFile]


class DeleteVersionFiles(Body):
    filePaths: list[Text]
