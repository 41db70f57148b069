"""The dialer's errors: each names the field to fix; routes map `status` to HTTP, the CLI to exit codes."""

from __future__ import annotations

from centralita.errors import Conflict, FieldError, NotFound  # noqa: F401 (re-exported)

DialerError = FieldError
