"""Where a chat's first files come from: inline files, URLs, zip archives, git repositories, registries, templates."""

from vzero.sources._types import ImportedFile, is_binary, lock_all

__all__ = ["ImportedFile", "is_binary", "lock_all"]
