"""Offline preview: bundle a version's files with esbuild into a page served entirely by vzero."""

from vzero.preview.builder import PreviewBuilder
from vzero.preview.result import BuildError, BuildResult
from vzero.preview.runtime import ensure_runtime
from vzero.preview.static import preview_headers, read_asset

__all__ = ["BuildError", "BuildResult", "PreviewBuilder", "ensure_runtime", "preview_headers", "read_asset"]
