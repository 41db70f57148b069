"""Time helpers: everything stored is UTC, naive-free."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment as aware UTC: SQLite gives stored UTC back naive, PostgreSQL aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
