"""Schedules (validated, audited; the caller commits) and who may see them.

Visibility: admins see every schedule; a supervisor sees the schedules they own and those whose
audience `role` is supervisor. Only the owner or an admin changes or deletes one. A supervisor creates
schedules for themselves; an admin for any active supervisor or admin.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlmodel import Session, col, select

from api.audit import service as audit
from api.users.models import Role, User
from centralita.db import saved_id
from centralita.errors import Conflict, FieldError, NotFound
from reports.scheduled.labels import GROUPINGS
from reports.scheduled.models import ReportRun, ReportRunFile, ReportSchedule
from reports.scheduled.schemas import ScheduleIn, ScheduleUpdate

FILTERS = ("agent", "did", "flow_version", "campaign")
FORBIDDEN = 403


def _rank(user: User | None) -> int:
    return 99 if user is None else Role(user.role).rank  # None: the machine's operator at the CLI


def can_see(user: User | None, schedule: ReportSchedule) -> bool:
    if user is None or user.role == Role.admin.value or schedule.owner_id == user.id:
        return True
    return _rank(user) >= Role(schedule.role).rank


def can_change(user: User | None, schedule: ReportSchedule) -> bool:
    return user is None or user.role == Role.admin.value or schedule.owner_id == user.id


def query_kwargs(schedule: ReportSchedule, since: datetime, until: datetime) -> dict:
    """The KpiQuery fields of one run (reports/REPORTS_CONTRACT: queue, since, until, group_by, filters)."""
    filters = {k: v for k, v in (schedule.filters or {}).items() if v}
    return {"queue": list(schedule.queues), "since": since, "until": until, "group_by": schedule.group_by} | filters


def check_query(session: Session, queues: list[str], group_by: str, filters: dict, now: datetime) -> None:
    """The KPI query a schedule will run, checked now rather than failing at 07:00 tomorrow."""
    parts = [p.strip() for p in group_by.split(",")]
    for part in parts:
        if part not in GROUPINGS:
            raise FieldError("group_by", f"unknown grouping '{part}' (one or more of {', '.join(GROUPINGS)})")
    if "none" in parts and len(parts) > 1:
        raise FieldError("group_by", "'none' cannot be combined with other groupings")
    from queues.models import Queue

    known = set(session.exec(select(Queue.name).where(col(Queue.name).in_(queues))).all()) if queues else set()
    for name in queues:
        if name not in known:
            raise FieldError("queues", f"unknown queue '{name}'")
    try:
        schemas = importlib.import_module("reports.schemas")
    except ImportError:  # the KPI engine is not installed here: the checks above are what we can do
        return
    try:  # the engine's own rules too (parse_query names the parameter), on a sample period
        schemas.parse_query(queue=queues, since=now - timedelta(days=1), until=now, group_by=group_by, **filters)
    except FieldError as exc:
        raise FieldError("queues" if exc.field == "queue" else exc.field, exc.message, exc.status) from None


def _check_rule(frequency: str, weekday: int | None, day_of_month: int | None) -> None:
    if frequency == "weekly" and weekday is None:
        raise FieldError("weekday", "a weekly schedule needs its weekday (0 = Monday … 6 = Sunday)")
    if frequency != "weekly" and weekday is not None:
        raise FieldError("weekday", "only weekly schedules have a weekday")
    if frequency == "monthly" and day_of_month is None:
        raise FieldError("day_of_month", "a monthly schedule needs its day of the month (1..31)")
    if frequency != "monthly" and day_of_month is not None:
        raise FieldError("day_of_month", "only monthly schedules have a day of the month")


def _owner(session: Session, name: str | None, user: User | None) -> User:
    if name is None or (user is not None and name == user.username):
        if user is None:
            raise FieldError("owner", "say whose schedule this is (a supervisor or admin user name)")
        return user
    if user is not None and user.role != Role.admin.value:
        raise FieldError("owner", "only an admin may create or move a schedule for someone else", FORBIDDEN)
    owner = session.exec(select(User).where(User.username == name)).first()
    if owner is None or not owner.active:
        raise FieldError("owner", f"no active user '{name}'")
    if Role(owner.role).rank < Role.supervisor.rank:
        raise FieldError("owner", f"'{name}' is an agent: reports belong to supervisors and admins")
    return owner


def _apply(session: Session, row: ReportSchedule, data: ScheduleIn, user: User | None, now: datetime) -> None:
    _check_rule(data.frequency, data.weekday, data.day_of_month)
    filters = {k: getattr(data, k) for k in FILTERS if getattr(data, k)}
    check_query(session, data.queues, data.group_by, filters, now)
    clash = session.exec(select(ReportSchedule.id).where(ReportSchedule.name == data.name)).first()
    if clash is not None and clash != row.id:
        raise Conflict("name", f"a schedule named '{data.name}' exists")
    owner = _owner(session, data.owner, user)
    rule = ("frequency", "weekday", "day_of_month", "hour", "minute")
    if row.id is None or any(getattr(row, k) != getattr(data, k) for k in rule) or (data.enabled and not row.enabled):
        row.active_since = now
    for key in ("name", "frequency", "weekday", "day_of_month", "hour", "minute", "group_by", "role", "enabled"):
        setattr(row, key, getattr(data, key))
    row.queues, row.filters, row.formats = list(data.queues), filters, list(data.formats)
    row.recipients, row.owner_id, row.updated_at = list(data.recipients), saved_id(owner), now


def create_schedule(
    session: Session, data: ScheduleIn, user: User | None, now: datetime, client: str = ""
) -> ReportSchedule:
    row = ReportSchedule(name=data.name, frequency=data.frequency, owner_id=0, created_at=now, active_since=now)
    _apply(session, row, data, user, now)
    session.add(row)
    session.flush()
    audit.record(session, "reports.schedule.create", user=user, target=row.name, detail=_detail(row), client=client)
    return row


def update_schedule(
    session: Session, ident: str, patch: ScheduleUpdate, user: User | None, now: datetime, client: str = ""
) -> ReportSchedule:
    row = get_schedule(session, ident, user)
    if not can_change(user, row):
        raise FieldError("schedule", "only its owner or an admin may change it", FORBIDDEN)
    owner = session.get(User, row.owner_id)
    current = {**as_input(row, owner.username if owner else None), **patch.model_dump(exclude_unset=True)}
    try:
        data = ScheduleIn.model_validate(current)
    except ValidationError as exc:  # e.g. the weekday dropped to null while still weekly
        err = exc.errors()[0]
        raise FieldError(str(err["loc"][0]) if err["loc"] else "body", err["msg"]) from None
    _apply(session, row, data, user, now)
    session.add(row)
    audit.record(session, "reports.schedule.update", user=user, target=row.name, detail=_detail(row), client=client)
    return row


def delete_schedule(session: Session, ident: str, user: User | None, client: str = "") -> str:
    """Deletes the schedule with its runs and their files (the audit row keeps what it was)."""
    row = get_schedule(session, ident, user)
    if not can_change(user, row):
        raise FieldError("schedule", "only its owner or an admin may delete it", FORBIDDEN)
    run_ids = list(session.exec(select(ReportRun.id).where(ReportRun.schedule_id == row.id)).all())
    if run_ids:
        for f in session.exec(select(ReportRunFile).where(col(ReportRunFile.run_id).in_(run_ids))).all():
            session.delete(f)
        session.flush()
        for r in session.exec(select(ReportRun).where(col(ReportRun.id).in_(run_ids))).all():
            session.delete(r)
        session.flush()
    name = row.name
    audit.record(session, "reports.schedule.delete", user=user, target=name, detail=_detail(row), client=client)
    session.delete(row)
    return name


def as_input(row: ReportSchedule, owner: str | None) -> dict:
    data: dict[str, object] = {
        k: getattr(row, k) for k in ("name", "frequency", "weekday", "day_of_month", "hour", "minute")
    }
    data |= {"queues": list(row.queues), "group_by": row.group_by, "formats": list(row.formats)}
    data |= {"recipients": list(row.recipients), "owner": owner, "role": row.role, "enabled": row.enabled}
    return data | {k: (row.filters or {}).get(k) for k in FILTERS}


def _detail(row: ReportSchedule) -> dict:
    rule: dict[str, object] = {"frequency": row.frequency, "weekday": row.weekday, "day_of_month": row.day_of_month}
    rule |= {"at": f"{row.hour:02d}:{row.minute:02d}", "queues": row.queues, "group_by": row.group_by}
    return rule | {"formats": row.formats, "recipients": row.recipients, "owner_id": row.owner_id, "role": row.role}


def get_schedule(session: Session, ident: str | int, user: User | None) -> ReportSchedule:
    """By id or name; a schedule the caller may not see is "not found" (its name is not revealed)."""
    text = str(ident)
    row = session.get(ReportSchedule, int(text)) if text.isdigit() else None
    if row is None:
        row = session.exec(select(ReportSchedule).where(ReportSchedule.name == text)).first()
    if row is None or not can_see(user, row):
        raise NotFound("schedule", f"no schedule '{text}'")
    return row


def list_schedules(session: Session, user: User | None) -> list[ReportSchedule]:
    rows = session.exec(select(ReportSchedule).order_by(col(ReportSchedule.name))).all()
    return [r for r in rows if can_see(user, r)]


def list_runs(
    session: Session,
    user: User | None,
    schedule: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[tuple[ReportRun, ReportSchedule]]:
    """Newest period first."""
    query = select(ReportRun, ReportSchedule).where(ReportRun.schedule_id == ReportSchedule.id)
    if schedule is not None:
        query = query.where(ReportRun.schedule_id == get_schedule(session, schedule, user).id)
    if status:
        query = query.where(ReportRun.status == status)
    rows = session.exec(query.order_by(col(ReportRun.period_start).desc(), col(ReportRun.id).desc())).all()
    visible = [(r, s) for r, s in rows if can_see(user, s)]
    return visible[offset : offset + limit]


def run_files(session: Session, run_id: int) -> list[ReportRunFile]:
    query = select(ReportRunFile).where(ReportRunFile.run_id == run_id).order_by(col(ReportRunFile.id))
    return list(session.exec(query).all())


def get_run_file(session: Session, run_id: int, fmt: str | None, user: User | None) -> ReportRunFile:
    run = session.get(ReportRun, run_id)
    schedule = session.get(ReportSchedule, run.schedule_id) if run is not None else None
    if run is None or schedule is None or not can_see(user, schedule):
        raise NotFound("run", f"no report run {run_id}")
    files = run_files(session, run_id)
    if not files:
        raise NotFound("run", f"run {run_id} has no files (status {run.status})")
    found = next((f for f in files if fmt in (None, f.format)), None)
    if found is None:
        raise NotFound("format", f"run {run_id} has no {fmt} file (it has {', '.join(f.format for f in files)})")
    return found


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
