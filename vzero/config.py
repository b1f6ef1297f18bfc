"""All of vzero's settings, read from VZERO_* environment variables (and the providers' standard ones)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from vzero.origins import Origins


class Settings(BaseSettings):
    """Typed settings; pass an instance to `create_app` so tests can build their own."""

    model_config = SettingsConfigDict(env_prefix="VZERO_", extra="ignore", populate_by_name=True)

    # --- server and storage -------------------------------------------------------------
    data_dir: Path = Path("./vzero-data")
    database_url: str | None = None
    public_url: str | None = None  # base URL used in webUrl/apiUrl/demoUrl; default http://host:port
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None  # bootstrap key of the default user
    secret_key: str | None = None  # encrypts env vars at rest; generated into data_dir when unset
    # database connections per process: kept open, opened beyond that at a peak, and how long a request waits for one
    # before it is answered 503 with Retry-After
    db_pool_size: int = Field(default=16, ge=1)
    db_max_overflow: int = Field(default=16, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)

    # --- rate limits (per API key, sliding one-minute window) ---------------------------
    rate_limit_per_minute: int = 600
    daily_message_limit: int = 1000

    # --- model provider ----------------------------------------------------------------
    provider: str | None = None  # the name of a registered provider (vzero.providers.register): openai, anthropic, ...
    model: str | None = None
    # JSON object mapping v0 model ids to provider model names, e.g. {"v0-mini": "gpt-4o-mini"}
    model_map: dict[str, str] = Field(default_factory=dict)
    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "VZERO_OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "VZERO_OPENAI_BASE_URL"))
    anthropic_api_key: str | None = Field(default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "VZERO_ANTHROPIC_API_KEY"))
    anthropic_base_url: str | None = Field(default=None, validation_alias=AliasChoices("ANTHROPIC_BASE_URL", "VZERO_ANTHROPIC_BASE_URL"))
    provider_timeout: float = 600.0  # seconds for a whole model call
    provider_connect_timeout: float = 10.0
    provider_first_token_timeout: float = 120.0
    provider_retries: int = 2  # retries on transient errors before any text is streamed
    max_output_tokens: int = 16000
    context_file_budget_chars: int = 120_000  # current files sent to the model in full up to this size
    # JSON object of credit rates per million tokens, per provider model: {"gpt-4o": {"input": 2.5, "output": 10}};
    # an image model's rate is per image: {"gpt-image-1": {"image": 0.04}}
    credit_rates: dict[str, dict[str, float]] = Field(default_factory=dict)
    reasoning_effort: str = "medium"  # the OpenAI-compatible `reasoning_effort` that `thinking` turns on

    # --- tools: the model -> tools -> model loop of one reply ---------------------------
    agent_max_rounds: int = Field(default=8, ge=1)  # model calls that may end in tool calls, per reply
    agent_budget_seconds: float = Field(default=300.0, gt=0)  # the whole loop, model calls and tools together
    agent_max_tokens: int = Field(default=400_000, ge=1)  # input and output tokens of all the loop's model calls
    tool_timeout: float = Field(default=60.0, gt=0)  # one tool call
    tool_max_output_chars: int = Field(default=20_000, ge=100)  # a tool's result as the model reads it
    # MCP servers: connecting (tools/list included), at most this many per user
    mcp_connect_timeout: float = Field(default=10.0, gt=0)
    mcp_max_servers: int = Field(default=10, ge=1)
    # which MCP tools run without asking the user: "read-only" (those annotated readOnlyHint), "all", "none"
    mcp_auto_approve: str = "read-only"
    # skills.sh skills: `owner/repo/skill` is read from <base>/<owner>/<repo>/HEAD/skills/<skill>/SKILL.md
    skills_base_url: str = "https://raw.githubusercontent.com"
    skills_cache_seconds: float = Field(default=3600.0, ge=0)
    skill_max_bytes: int = Field(default=256 * 1024, ge=1024)

    # --- images (the generate_image tool) -----------------------------------------------
    image_provider: str | None = None  # "openai": an OpenAI-compatible images/generations endpoint
    image_model: str = "gpt-image-1"
    # where the images endpoint is; default OPENAI_BASE_URL / OPENAI_API_KEY
    image_base_url: str | None = None
    image_api_key: str | None = None
    image_size: str = "1024x1024"
    image_timeout: float = Field(default=120.0, gt=0)
    image_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_images_per_version: int = Field(default=5, ge=0)

    # --- design systems (designSystemId) ------------------------------------------------
    # a design system id that is not a URL names the registry item <template with {id}>
    design_system_url: str = "https://ui.shadcn.com/r/styles/new-york-v4/{id}.json"

    # --- untrusted input ---------------------------------------------------------------
    allow_private_urls: bool = False
    fetch_timeout: float = 20.0  # seconds for one URL fetch, body included
    fetch_max_bytes: int = 50 * 1024 * 1024
    fetch_max_redirects: int = 5
    max_request_bytes: int = 20 * 1024 * 1024
    max_files: int = 2000
    max_file_bytes: int = 5 * 1024 * 1024
    max_total_file_bytes: int = 100 * 1024 * 1024
    max_message_chars: int = 200_000  # one prompt (error logs included)
    max_attachments: int = 10  # per message
    max_attachment_bytes: int = 10 * 1024 * 1024  # each, fetched or given as a data URI
    archive_max_members: int = 5000
    archive_max_member_bytes: int = 10 * 1024 * 1024
    archive_max_total_bytes: int = 200 * 1024 * 1024

    # --- webhooks (vzero/hooks.py) -----------------------------------------------------
    hook_timeout: float = 10.0  # seconds for one delivery attempt
    hook_max_attempts: int = 6  # first try plus retries
    hook_retry_base_seconds: float = 2.0  # retry n waits base * 2**(n-1), capped at hook_retry_max_seconds
    hook_retry_max_seconds: float = 300.0

    # --- preview -----------------------------------------------------------------------
    # where the preview's npm packages are installed; default <data_dir>/preview-runtime
    preview_runtime_dir: Path | None = None
    auto_fix: bool = False
    auto_fix_attempts: int = 2
    screenshots: bool = True  # screenshotUrl of versions, taken with headless Chromium when it is installed
    # Packages an app imports beyond the pinned set (or at other versions) come from the npm registry on demand,
    # into a cache shared by all apps (default <preview runtime dir>/packages); never with install scripts.
    preview_npm_installs: bool = True
    preview_npm_registry: str | None = None  # default: the registry the server's `npm config` names
    preview_npm_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)  # names or patterns ("@mui/*"), comma-separated
    preview_npm_deny: Annotated[list[str], NoDecode] = Field(default_factory=list)
    preview_npm_max_package_bytes: int = 256 * 1024 * 1024  # unpacked size of one package
    preview_npm_max_tarball_bytes: int = 64 * 1024 * 1024
    preview_npm_cache_bytes: int = 4 * 1024 * 1024 * 1024  # the whole cache; least recently used packages go first
    preview_npm_timeout: float = 120.0  # seconds to fetch and unpack one package
    preview_packages_dir: Path | None = None

    @field_validator("preview_npm_allow", "preview_npm_deny", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        """A comma-separated string or a JSON list, as an environment variable gives it."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("preview_npm_registry")
    @classmethod
    def _registry_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("VZERO_PREVIEW_NPM_REGISTRY must be an http(s) URL")
        return value or None

    # --- web workspace (vzero/ui) and its sign-in (vzero/api/web_sessions.py) -----------
    # Origin of previews and deployments, e.g. https://previews.example.net; by default a server on a loopback
    # address serves them under its other loopback name, and any other server under a CSP sandbox (vzero/origins.py).
    preview_url: str | None = None
    ui: bool = True  # serve the workspace at / (built from vzero/ui on first start when missing or stale)
    ui_build_dir: Path | None = None  # where it is built; default vzero/ui itself, or <data_dir>/ui when read-only
    session_days: float = 14.0  # a browser stays signed in this long
    sign_in_link_minutes: float = 15.0  # lifetime of the single-use sign-in link `vzero serve` prints

    @field_validator("mcp_auto_approve")
    @classmethod
    def _check_auto_approve(cls, value: str) -> str:
        if value not in ("read-only", "all", "none"):
            raise ValueError("VZERO_MCP_AUTO_APPROVE must be read-only, all or none")
        return value

    @field_validator("image_provider")
    @classmethod
    def _check_image_provider(cls, value: str | None) -> str | None:
        if value and value != "openai":
            raise ValueError("VZERO_IMAGE_PROVIDER must be openai (any OpenAI-compatible images/generations endpoint)")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        """Accept the usual spellings and pick the async driver each backend needs."""
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix):]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value[len("sqlite:///"):]
        return value

    @field_validator("preview_url")
    @classmethod
    def _check_preview_url(cls, value: str | None) -> str | None:
        return Origins.check_preview_url(value) if value else None

    @model_validator(mode="after")
    def _check_origins(self) -> Settings:
        """Refuse at startup a preview origin that would share the workspace's cookies."""
        Origins.from_urls(self.base_url, self.preview_url)
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL in force: VZERO_DATABASE_URL, else SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'vzero.db').resolve()}"

    @property
    def base_url(self) -> str:
        """Public base URL of this server, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @cached_property
    def origins(self) -> Origins:
        """The workspace's origin and the previews' (another site, or a sandbox): see vzero/origins.py."""
        return Origins.from_urls(self.base_url, self.preview_url)
