"""The dialer's errors: each names the field to fix; routes map `status` to HTTP, the CLI to exit codes."""
from __future__ import annotations


class DialerError(ValueError):
    status = 422

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class NotFound(DialerError):
    status = 404


class Conflict(DialerError):
    status = 409
