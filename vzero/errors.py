"""One error tree for vzero: core and engine raise these, each API dialect translates them once."""

from __future__ import annotations


class VzeroError(Exception):
    """Base of every error vzero raises on purpose."""

    status_code = 500
    v1_type = "internal_server_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(VzeroError):
    """The request carries no valid API key."""

    status_code = 401
    v1_type = "unauthorized_error"


class Forbidden(VzeroError):
    """The caller may read the resource but not do this to it."""

    status_code = 403
    v1_type = "forbidden_error"


class NotFound(VzeroError):
    """The resource does not exist, or the caller may not see it."""

    status_code = 404
    v1_type = "not_found_error"


class Conflict(VzeroError):
    """The resource is in a state that does not allow the operation (e.g. a generation is running)."""

    status_code = 409
    v1_type = "conflict_error"


class PayloadTooLarge(VzeroError):
    """A body, file, archive or download exceeds a configured limit."""

    status_code = 413
    v1_type = "payload_too_large_error"


class InvalidInput(VzeroError):
    """The request is well-formed JSON but its values are not acceptable."""

    status_code = 422
    v1_type = "unprocessable_entity_error"


class UnsafeSource(InvalidInput):
    """A URL or archive was refused: private address, bad scheme, path escape, ..."""


class SourceError(InvalidInput):
    """A URL, repository or archive could not be fetched or read."""


class RateLimited(VzeroError):
    """The key has used up its requests for the current window."""

    status_code = 429
    v1_type = "too_many_requests_error"

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderError(VzeroError):
    """The model provider failed or is not configured."""

    status_code = 500
    v1_type = "internal_server_error"

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class ProviderNotConfigured(ProviderError):
    """No model provider is set up; everything that needs no model still works."""

    status_code = 422
    v1_type = "unprocessable_entity_error"


class NotOffered(VzeroError):
    """An operation of the hosted service that a self-hosted server does not offer."""

    status_code = 403
    v1_type = "forbidden_error"


class PreviewUnavailable(VzeroError):
    """The offline preview cannot build right now: npm/node missing, runtime install or bundler worker failed."""

    status_code = 503
    v1_type = "internal_server_error"
