"""Bad input or a forbidden state, naming the field to fix. Every capability's service raises these;
one exception handler (api/app.py) answers them with `status` in FastAPI's own 422 body shape
(`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`), so clients read every error one way, and
CLIs print `field: message`. Routes stay thin: they do not catch these."""

from __future__ import annotations


class FieldError(ValueError):
    status = 422

    def __init__(self, field: str, message: str, status: int | None = None):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message
        if status is not None:
            self.status = status

    def details(self) -> list[dict]:
        """The `detail` list of the HTTP answer."""
        return [{"loc": ["body", self.field], "msg": self.message, "type": type(self).__name__.lower()}]


class NotFound(FieldError):
    status = 404


class Conflict(FieldError):
    status = 409


class Unavailable(FieldError):
    """Something this request needs is not running here (e.g. the live link to Asterisk)."""

    status = 503


class FieldErrors(FieldError):
    """Several problems found at once (e.g. a whole IVR flow): one `detail` item each."""

    def __init__(self, field: str, items: list[dict], status: int | None = None):
        """`items`: {"loc": [...] (after "body"), "msg": ..., plus any extra keys kept for clients}."""
        self.items = items
        super().__init__(field, "; ".join(i["msg"] for i in items) or "invalid", status)

    def details(self) -> list[dict]:
        kind = type(self).__name__.lower()
        return [{"type": kind, **item, "loc": ["body", *item["loc"]]} for item in self.items]


def error_body(exc: FieldError) -> dict:
    return {"detail": exc.details()}
