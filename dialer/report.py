"""The campaign report: per day (in the campaign's time zone) attempts, answers, connects,
right-party contacts, dispositions and abandonment; as rows for the API and as CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from dialer.errors import DialerError
from dialer.models import Attempt, Campaign
from dialer.scheduling import zone

COUNTS = (
    "attempts",
    "answered",
    "human_answers",
    "machines",
    "busy",
    "no_answer",
    "failed",
    "connects",
    "right_party_contacts",
    "abandoned",
)


def _day_row(day: str) -> dict:
    return {"date": day, **{k: 0 for k in COUNTS}, "abandon_rate": 0.0, "dispositions": Counter()}


def _count(row: dict, a: Attempt) -> None:
    row["attempts"] += 1
    if a.answered_at is not None:
        row["answered"] += 1
    machine = a.amd_status == "MACHINE"
    if a.outcome in ("connected", "abandoned") and not machine:
        row["human_answers"] += 1
    if machine or a.outcome == "machine":
        row["machines"] += 1
    if a.outcome in ("busy", "no_answer", "failed", "abandoned"):
        row[a.outcome] += 1
    if a.outcome == "connected" and a.connected_at is not None:
        row["connects"] += 1
        if a.right_party:
            row["right_party_contacts"] += 1
    if a.disposition:
        row["dispositions"][a.disposition] += 1


def _finish(row: dict) -> dict:
    row["abandon_rate"] = round(row["abandoned"] / row["human_answers"], 4) if row["human_answers"] else 0.0
    row["dispositions"] = dict(sorted(row["dispositions"].items()))
    return row


def campaign_report(session: Session, campaign: Campaign, since: date | None = None, until: date | None = None) -> dict:
    """{"campaign", "timezone", "days": [row per day, oldest first], "total": row}; `until` inclusive."""
    if since and until and since > until:
        raise DialerError("since", "must not be after 'until'")
    tz = zone(campaign.default_timezone)
    where: list[ColumnElement[bool]] = [col(Attempt.campaign_id) == campaign.id]
    if since:
        where.append(col(Attempt.started_at) >= datetime.combine(since, time(), tz))
    if until:
        where.append(col(Attempt.started_at) < datetime.combine(until + timedelta(days=1), time(), tz))
    days: dict[str, dict] = {}
    total = _day_row("total")
    for a in session.exec(select(Attempt).where(*where).order_by(col(Attempt.started_at))).yield_per(1000):
        day = a.started_at.astimezone(tz).date().isoformat()
        _count(days.setdefault(day, _day_row(day)), a)
        _count(total, a)
    return {
        "campaign": campaign.name,
        "campaign_id": campaign.id,
        "timezone": campaign.default_timezone,
        "days": [_finish(days[d]) for d in sorted(days)],
        "total": _finish(total),
    }


def report_csv(report: dict) -> str:
    """One line per day then the total; every disposition code gets its own column."""
    codes = sorted({code for row in report["days"] for code in row["dispositions"]})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", *COUNTS, "abandon_rate", *[f"disposition:{c}" for c in codes]])
    for row in [*report["days"], report["total"]]:
        writer.writerow(
            [
                row["date"],
                *[row[k] for k in COUNTS],
                f"{row['abandon_rate']:.4f}",
                *[row["dispositions"].get(c, 0) for c in codes],
            ]
        )
    return out.getvalue()
