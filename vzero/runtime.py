"""What every layer of a running server reads and writes through: settings, database, blob store, rate limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from vzero.config import Settings
from vzero.crypto import SecretBox
from vzero.ratelimit import RateLimiter
from vzero.store.blobs import BlobStore
from vzero.store.db import Database
from vzero.tools.skills import RemoteSkills


@dataclass
class Runtime:
    """Built once per app; the services (vzero/services.py) and the API's routes reach it."""

    settings: Settings
    db: Database
    blobs: BlobStore = field(default_factory=BlobStore)
    limiter: RateLimiter = field(default_factory=RateLimiter)

    @cached_property
    def secret_box(self) -> SecretBox:
        """Encrypts secrets at rest; built on first use (it may create the key file in the data directory)."""
        return SecretBox.from_settings(self.settings.secret_key, self.settings.data_dir)

    @cached_property
    def remote_skills(self) -> RemoteSkills:
        """skills.sh skills, read through the safe fetcher and cached for the process."""
        from vzero.sources.fetch import SafeFetcher

        settings = self.settings
        return RemoteSkills(SafeFetcher(settings), settings.skills_base_url, settings.skills_cache_seconds, settings.skill_max_bytes)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=Database(
                settings.resolved_database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout,
            ),
            limiter=RateLimiter(settings.rate_limit_per_minute),
        )
