"""Parameter and field types that say exactly what is valid, so the OpenAPI document and the
validation agree (Schemathesis checks both): database-sized integers, ISO 8601 times only."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator

# The largest id or count a column holds on both backends (PostgreSQL `integer`); SQLite's 64-bit
# limit is larger. Anything above is refused with a 422 instead of overflowing the driver.
DB_INT_MAX = 2**31 - 1

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _iso_only(value: Any) -> Any:
    # pydantic reads a bare number as seconds since 1970: `until=0.5` would mean 1970-01-01. Only
    # date/time text (or a datetime) is a time here.
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2026-12-01T09:00:00-05:00")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_iso_only)]
"""A date and time written as ISO 8601 text (naive means UTC where the route says so)."""

Day = Annotated[date, BeforeValidator(_iso_only)]
"""A calendar day written as ISO 8601 text (2026-12-01)."""

Id = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
"""A row id in the path."""

Offset = Annotated[int, Query(ge=0, le=DB_INT_MAX, description="Rows to skip")]

# Body integers: `Field(..., ge=, le=, strict=True)`, so true/false and "5" are refused, not read as 1/0/5.
