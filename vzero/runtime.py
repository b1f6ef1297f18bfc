"""What a running server holds: settings, database, blob store and the long-lived services."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from vzero.config import Settings
from vzero.crypto import SecretBox
from vzero.ratelimit import RateLimiter
from vzero.store.blobs import BlobStore
from vzero.store.db import Database


@dataclass
class Runtime:
    """Built once per app in its lifespan; routers reach it through `api.deps`."""

    settings: Settings
    db: Database
    blobs: BlobStore = field(default_factory=BlobStore)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    # Services added by later layers (generation manager, preview builder, hooks) live here by name.
    services: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def secret_box(self) -> SecretBox:
        """Encrypts secrets at rest; built on first use (it may create the key file in the data directory)."""
        return SecretBox.from_settings(self.settings.secret_key, self.settings.data_dir)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url),
            limiter=RateLimiter(settings.rate_limit_per_minute),
        )
