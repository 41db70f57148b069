"""Bad input or a forbidden state, naming the field to fix. Every capability's service raises these;
routes answer with `status` in FastAPI's own 422 body shape, and CLIs print `field: message`."""

from __future__ import annotations


class FieldError(ValueError):
    status = 422

    def __init__(self, field: str, message: str, status: int | None = None):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message
        if status is not None:
            self.status = status


class NotFound(FieldError):
    status = 404


class Conflict(FieldError):
    status = 409


def http_error(exc: FieldError):
    """The HTTPException for `exc`: the same shape as FastAPI's validation errors, so clients read
    every field error one way."""
    from fastapi import HTTPException

    return HTTPException(
        exc.status, detail=[{"loc": ["body", exc.field], "msg": exc.message, "type": type(exc).__name__.lower()}]
    )
