"""What a preview build produces: the page, its assets, and errors located in the app's files."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class BuildError:
    """One build problem; `line` and `column` are 1-based, `text` is the offending source line."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    text: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if where and self.line:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.message}" if where else self.message


@dataclass
class BuildResult:
    """A built preview: `html` references `assets` (and the shared vendor files) by relative URL."""

    ok: bool
    html: str
    assets: dict[str, bytes]
    errors: list[BuildError]
    log: str
    duration_ms: float
    digest: str = ""  # content hash of the inputs: the cache key, and a stable name for the preview's URL
    cached: bool = field(default=False, compare=False)  # answered from the cache, no bundling done
    script_hashes: list[str] = field(default_factory=list)  # CSP sources for the page's inline import map
    bundles: list[str] = field(default_factory=list)  # package bundles the page loads ("<name>@<version>/<build>")
    transient: bool = field(default=False, compare=False)  # failed for a reason that may pass: not stored

    def meta(self) -> dict[str, Any]:
        """Everything but the page and asset bytes, as JSON-ready data."""
        return {
            "ok": self.ok,
            "errors": [asdict(e) for e in self.errors],
            "log": self.log,
            "duration_ms": self.duration_ms,
            "digest": self.digest,
            "assets": sorted(self.assets),
            "script_hashes": list(self.script_hashes),
            "bundles": list(self.bundles),
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any], html: str, assets: dict[str, bytes]) -> BuildResult:
        """Rebuild a result stored with `meta()`."""
        return cls(
            ok=bool(meta["ok"]),
            html=html,
            assets=assets,
            errors=[BuildError(**e) for e in meta.get("errors", [])],
            log=str(meta.get("log", "")),
            duration_ms=float(meta.get("duration_ms", 0.0)),
            digest=str(meta.get("digest", "")),
            cached=True,
            script_hashes=[str(h) for h in meta.get("script_hashes", [])],
            bundles=[str(b) for b in meta.get("bundles", [])],
        )
