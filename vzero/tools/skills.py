"""Skills: instructions the model loads when it needs them (a `SKILL.md`: front matter with a name and a
description, then the body).

They come from three places: `remote` skills of the skills.sh form `owner/repo/skill`, read from that public
repository's `SKILL.md` through the safe fetcher and cached; `project` skills from the chat's files
(`.agents/skills/<name>/SKILL.md`); `memory` skills from the user's or team's store. The model always sees every
attached skill's name and description (in the system prompt) and reads a body with the `load_skill` tool.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from vzero.core.files import FileSet
from vzero.errors import InvalidInput, PayloadTooLarge, SourceError
from vzero.providers import ToolSpec
from vzero.sources.fetch import SafeFetcher, display_url
from vzero.tools.base import Presentation, Tool, ToolOutput, Workspace

LOAD_SKILL = "load_skill"
PROJECT_SKILL_DIRS = (".agents/skills", ".claude/skills")
# Where skills.sh repositories keep a skill, tried in order.
REMOTE_LAYOUTS = ("skills/{skill}/SKILL.md", "{skill}/SKILL.md", ".agents/skills/{skill}/SKILL.md", ".claude/skills/{skill}/SKILL.md")
_REMOTE_ID = re.compile(r"([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.:-]{1,128})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill as the model gets it: how it is named, what it is for, and what it says."""

    name: str
    description: str
    body: str
    origin: str  # where it came from, for messages


def parse_skill(text: str, fallback_name: str, origin: str) -> Skill:
    """A SKILL.md: `---` front matter (`name:`, `description:`, values optionally quoted or continued on indented
    lines), then the body. Without front matter the whole text is the body."""
    fields: dict[str, str] = {}
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            key = None
            for line in text[3:end].splitlines():
                match = re.match(r"([A-Za-z_][\w-]*):\s*(.*)$", line)
                if match and not line[:1].isspace():
                    key, value = match.group(1), match.group(2).strip()
                    fields[key] = "" if value in (">", "|", ">-", "|-") else value
                elif key is not None and line.strip():
                    fields[key] = (fields[key] + " " + line.strip()).strip()
            body = text[end + 4 :].lstrip("\n")
    name = _unquote(fields.get("name", "")) or fallback_name
    description = _unquote(fields.get("description", "")) or body.strip().split("\n", 1)[0][:200]
    return Skill(name=name[:128], description=description[:1024], body=body, origin=origin)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def project_skill(files: FileSet, name: str) -> Skill:
    """A skill of the chat's files, or InvalidInput naming where it was looked for."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(f"{name[:80]!r} is not a skill name")
    for folder in PROJECT_SKILL_DIRS:
        entry = files.get(f"{folder}/{name}/SKILL.md")
        if entry is not None:
            return parse_skill(entry.content.decode("utf-8", "replace"), name, f"the project's {entry.path}")
    raise InvalidInput(f"No project skill {name!r}: the chat's files have no {PROJECT_SKILL_DIRS[0]}/{name}/SKILL.md")


class RemoteSkills:
    """skills.sh skills read from their public repositories, cached for a while per process."""

    def __init__(self, fetcher: SafeFetcher, base_url: str, cache_seconds: float, max_bytes: int) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self.cache_seconds = cache_seconds
        self.max_bytes = max_bytes
        self._cache: dict[str, tuple[float, Skill]] = {}

    async def get(self, skill_id: str) -> Skill:
        """The skill `owner/repo/skill`; InvalidInput (a 422) when it is malformed, missing or unreachable."""
        match = _REMOTE_ID.fullmatch(skill_id.strip())
        if match is None or ".." in skill_id:
            raise InvalidInput(f"Skill id {skill_id[:120]!r} is not of the skills.sh form owner/repo/skill")
        owner, repo, name = match.groups()
        cached = self._cache.get(skill_id)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        tried = []
        for layout in REMOTE_LAYOUTS:
            url = f"{self.base_url}/{owner}/{repo}/HEAD/{layout.format(skill=name)}"
            tried.append(display_url(url))
            try:
                fetched = await self.fetcher.fetch(url, max_bytes=self.max_bytes, accept="text/markdown, text/plain")
            except PayloadTooLarge:
                raise InvalidInput(f"The skill {skill_id} is larger than {self.max_bytes} bytes (VZERO_SKILL_MAX_BYTES)") from None
            except SourceError as exc:
                if " 404" in exc.message:
                    continue
                raise InvalidInput(f"The skill {skill_id} could not be read: {exc.message}") from None
            skill = parse_skill(fetched.body.decode("utf-8", "replace"), name, f"skills.sh {skill_id}")
            self._cache[skill_id] = (time.monotonic(), skill)
            return skill
        raise InvalidInput(f"Skill {skill_id} not found: its repository has no SKILL.md at {', '.join(tried)} (VZERO_SKILLS_BASE_URL)")


def skills_prompt(skills: list[Skill]) -> str:
    """What the system prompt says of the attached skills: each name and description, and how to read one."""
    if not skills:
        return ""
    listed = "\n".join(f"- {s.name}: {s.description}" for s in skills)
    return (
        "## Skills\n\nThe user attached these skills. When one applies to the task, read it with the "
        f"`{LOAD_SKILL}` tool before you write code, and follow it:\n\n{listed}"
    )


class LoadSkill(Tool):
    """Reads the body of an attached skill."""

    presentation: ClassVar[Presentation] = "tool-call"

    def __init__(self, skills: list[Skill]) -> None:
        self.skills = {s.name: s for s in skills}
        super().__init__(ToolSpec(
            LOAD_SKILL, "Read the full instructions of one of the attached skills (listed in the system prompt).",
            {"type": "object", "properties": {"name": {"type": "string", "enum": list(self.skills)}}, "required": ["name"]},
        ))

    async def run(self, arguments: dict[str, Any], workspace: Workspace) -> ToolOutput:
        skill = self.skills.get(str(arguments.get("name", "")))
        if skill is None:
            return ToolOutput(f"No attached skill is called {arguments.get('name')!r}; they are: {', '.join(self.skills)}", is_error=True)
        return ToolOutput(skill.body)
