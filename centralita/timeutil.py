"""Time helpers: everything stored is UTC, naive-free."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
