"""Time helpers: everything stored is UTC, naive-free."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
