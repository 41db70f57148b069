"""Messages to people about their bookings, by SMS (Kannel) and email (SMTP): the place a cancellation
gave them from the waitlist, and the reminders before the visit.

Two halves, so nothing is sent before the database says so and nothing is sent twice:
- *Queueing* runs inside the caller's transaction: `queue()` adds one `BookingNotification` row per
  channel the booking has a contact for, under a UNIQUE (booking, kind, offset, channel) key — two
  reminder runs, or a run repeated after a restart, end with one row. booking.service.cancel queues the
  waitlist place; `run_reminders()` queues the reminders that are due.
- *Delivery* (`Deliverer.deliver`) runs after the commit, from the API's booking runtime (every
  settings.booking_notify_tick_s, and woken right after a commit that queued something), the CLI, or
  `POST /api/booking/reminders/run`. Each row is claimed by a conditional UPDATE (pending → sending,
  attempts + 1) committed *before* the send, so of two concurrent deliverers exactly one sends it.
  Kannel or the SMTP server certainly refusing (unreachable, an error answer) puts the row back to
  pending with a doubling wait, up to settings.booking_notify_max_attempts; a send that may have gone
  out (its answer timed out, or the process died while the row was `sending`) ends `failed` and is never
  repeated: at most once, as the issue asks. The price: a process killed between the claim and the
  request loses that one message (it is listed failed, with the reason, for staff to see).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from booking.models import Booking, BookingNotification, BookingService
from centralita.db import dialect_insert, saved_id
from centralita.errors import FieldError
from centralita.settings import get_settings
from centralita.timeutil import as_utc
from messaging.email import EmailError, SmtpConfig, send_email, valid_address
from messaging.sms import KannelConfig, SmsError, gsm_fold, send_sms, valid_number
from reports.scheduled.labels import MONTHS, WEEKDAYS
from reports.scheduled.runner import backoff

log = logging.getLogger("centralita.booking.notify")
STALE_SENDING = timedelta(minutes=10)  # `sending` this long: its process died (a send takes ≤ its timeout)
NOTIFICATIONS = BookingNotification.__table__  # type: ignore[attr-defined]


# ---------------------------------------------------------------- contacts and offsets


def contact(phone: str, email: str) -> tuple[str, str]:
    """(E.164 phone, email) checked, '' where not given; a FieldError on `phone` or `email` says why."""
    out_phone = out_email = ""
    if (phone or "").strip():
        try:
            out_phone = valid_number(phone, get_settings().default_region)
        except ValueError as exc:
            raise FieldError("phone", str(exc)) from None
    if (email or "").strip():
        try:
            out_email = valid_address(email)
        except ValueError as exc:
            raise FieldError("email", str(exc)) from None
    return out_phone, out_email


def offsets(text: str) -> list[int]:
    """'24h,2h' or '90m' → minutes before the start, largest first (the setting's pattern is checked)."""
    out = {int(item[:-1]) * (60 if item.endswith("h") else 1) for item in text.split(",") if item.strip()}
    return sorted((m for m in out if m > 0), reverse=True)


def due_offset(booking: Booking, minutes: list[int], now: datetime) -> int | None:
    """The reminder a booking is due now: the nearest offset whose time has come, of those that were still
    ahead when it was booked (a booking made 3 h before gets the 2 h reminder, not the 24 h one; after the
    stack was down across two offsets only the nearer one goes out)."""
    start, created = as_utc(booking.start), as_utc(booking.created_at)
    due = [
        m for m in minutes if start - timedelta(minutes=m) <= now < start and created <= start - timedelta(minutes=m)
    ]
    return min(due) if due else None


# ---------------------------------------------------------------- queueing (in the caller's transaction)


def queue(session: Session, booking: Booking, kind: str, offset_minutes: int, now: datetime) -> list[int]:
    """A pending row per channel the booking has a contact for; one that exists already is left as it
    is (INSERT ... ON CONFLICT DO NOTHING on the UNIQUE key: a concurrent run's row wins, no error, no
    savepoint). Returns the ids of the rows this call added."""
    added = []
    for channel, recipient in (("sms", booking.phone), ("email", booking.email)):
        if not recipient:
            continue
        stmt = (
            dialect_insert(session)(NOTIFICATIONS)
            .values(
                booking_id=saved_id(booking),
                kind=kind,
                offset_minutes=offset_minutes,
                channel=channel,
                recipient=recipient,
                status="pending",
                attempts=0,
                error="",
                reply="",
                created_at=now,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing(index_elements=["booking_id", "kind", "offset_minutes", "channel"])
            .returning(NOTIFICATIONS.c.id)
        )
        new_id = session.execute(stmt).scalar()
        if new_id is not None:
            added.append(int(new_id))
    if added:
        wake_after_commit(session)
    return added


def run_reminders(session: Session, now: datetime, settings=None) -> list[int]:
    """Queue every reminder due at `now` (settings.booking_reminder_offsets); the caller commits, then
    delivers. Idempotent: a second run at any time queues nothing already queued."""
    settings = settings or get_settings()
    minutes = offsets(settings.booking_reminder_offsets)
    if not minutes:
        return []
    horizon = now + timedelta(minutes=max(minutes))
    bookings = session.exec(
        select(Booking)
        .where(Booking.status == "booked", col(Booking.start) > now, col(Booking.start) <= horizon)
        .where(or_(col(Booking.phone) != "", col(Booking.email) != ""))
        .order_by(col(Booking.start), col(Booking.id))
    ).all()
    added: list[int] = []
    for booking in bookings:
        offset = due_offset(booking, minutes, now)
        if offset is not None:
            added += queue(session, booking, "reminder", offset, now)
    return added


# ---------------------------------------------------------------- waking the deliverer after a commit

_wakers: list[Callable[[], None]] = []  # the API process's booking runtime registers itself here


def wake_after_commit(session: Session) -> None:
    """Once this session commits, wake the in-process deliverer (if this process runs one; elsewhere —
    the CLI, another process — the API's next tick sends it, within settings.booking_notify_tick_s)."""
    if _wakers and not session.info.get("booking_notify_wake"):
        session.info["booking_notify_wake"] = True

        def _wake(committed: Session) -> None:
            committed.info.pop("booking_notify_wake", None)
            for wake in list(_wakers):
                wake()

        event.listen(session, "after_commit", _wake, once=True)


def register_waker(wake: Callable[[], None]) -> None:
    _wakers.append(wake)


def unregister_waker(wake: Callable[[], None]) -> None:
    if wake in _wakers:
        _wakers.remove(wake)


# ---------------------------------------------------------------- the texts


def when_text(start: datetime, tz: ZoneInfo) -> str:
    """'miércoles 2 de diciembre a las 09:00' in the service's zone."""
    local = as_utc(start).astimezone(tz)
    return f"{WEEKDAYS[local.weekday()]} {local.day} de {MONTHS[local.month - 1]} a las {local:%H:%M}"


def texts(row: BookingNotification, booking: Booking, service: BookingService) -> tuple[str, str, str]:
    """(SMS text, email subject, email text)."""
    when = when_text(booking.start, ZoneInfo(service.timezone))
    if row.kind == "waitlist":
        sms = (
            f"{service.name}: se liberó un cupo y quedó reservado para usted el {when}. "
            f"Código {booking.code}. Si no puede asistir, cancele con ese código."
        )
        subject = f"Cita reservada: {service.name}, {when}"
        body = [
            f"Usted estaba en la lista de espera de {service.name} para el {booking.day}.",
            f"Se liberó un cupo y quedó reservado para usted: {when}.",
            "",
            f"Código de confirmación: {booking.code}",
            "",
            "Si no puede asistir, cancele la cita con ese código para que el cupo pase a otra persona.",
        ]
    else:
        sms = f"Recordatorio {service.name}: su cita es el {when}. Código {booking.code}."
        subject = f"Recordatorio de su cita: {service.name}, {when}"
        body = [
            f"Le recordamos su cita de {service.name}: {when}.",
            "",
            f"Código de confirmación: {booking.code}",
            "",
            "Si no puede asistir, cancele la cita con ese código para que el cupo pase a otra persona.",
        ]
    body += ["", "Este mensaje lo envía Centralita automáticamente; no lo responda."]
    return gsm_fold(sms), subject, "\n".join(body)


# ---------------------------------------------------------------- delivery (after the commit)


@dataclass
class Delivered:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # failed for good
    retry: list[int] = field(default_factory=list)  # back to pending, tried again later


@dataclass
class Deliverer:
    settings: object
    engine: Engine
    send_sms: Callable = send_sms
    send_email: Callable = send_email

    def deliver(self, now: datetime, ids: list[int] | None = None) -> Delivered:
        """Send every pending row that is due (or just `ids`), each claimed before its send."""
        result = Delivered()
        self.sweep_interrupted(now)
        for row_id, attempts in self._due(now, ids):
            if self._claim(row_id, attempts, now):
                outcome = self._send(row_id, now)
                getattr(result, outcome).append(row_id)
        return result

    def _due(self, now: datetime, ids: list[int] | None) -> list[tuple[int, int]]:
        with Session(self.engine) as session:
            query = select(col(BookingNotification.id), BookingNotification.attempts).where(
                BookingNotification.status == "pending", col(BookingNotification.next_attempt_at) <= now
            )
            if ids is not None:
                query = query.where(col(BookingNotification.id).in_(ids))
            found = session.exec(query.order_by(col(BookingNotification.id))).all()
            return [(i, a) for i, a in found if i is not None]  # a selected primary key is never NULL

    def _claim(self, row_id: int, attempts: int, now: datetime) -> bool:
        with Session(self.engine) as session:
            taken = session.execute(
                update(NOTIFICATIONS)
                .where(NOTIFICATIONS.c.id == row_id, NOTIFICATIONS.c.status == "pending")
                .where(NOTIFICATIONS.c.attempts == attempts)
                .values(status="sending", attempts=attempts + 1, claimed_at=now)
            )
            session.commit()  # before the send: a second deliverer's UPDATE now matches nothing
            return taken.rowcount == 1  # type: ignore[attr-defined]

    def _send(self, row_id: int, now: datetime) -> str:
        with Session(self.engine) as session:
            row = session.get(BookingNotification, row_id)
            booking = session.get(Booking, row.booking_id) if row else None
            service = session.get(BookingService, booking.service_id) if booking else None
            if row is None or booking is None or service is None:
                return "failed"
            if booking.status != "booked":  # cancelled (or attended) since it was queued: nothing to say
                return self._finish(session, row, "failed", now, error=f"not sent: the booking is {booking.status}")
            sms, subject, body = texts(row, booking, service)
            try:
                if row.channel == "sms":
                    reply = self.send_sms(KannelConfig.from_settings(self.settings), row.recipient, sms).reply
                else:
                    config = SmtpConfig.from_settings(self.settings)
                    reply = self.send_email(config, [row.recipient], subject, body).message_id
            except (SmsError, EmailError) as exc:
                return self._failed(session, row, now, str(exc), exc.maybe_sent)
            except Exception as exc:  # a bug or a setting: said on the row, never repeated blindly
                return self._failed(session, row, now, f"{type(exc).__name__}: {exc}", True)
            log.info("booking %s: %s %s sent to %s", booking.code, row.kind, row.channel, row.recipient)
            return self._finish(session, row, "sent", now, reply=reply[:255], sent_at=now)

    def _failed(self, session: Session, row: BookingNotification, now: datetime, error: str, maybe_sent: bool) -> str:
        limit = int(getattr(self.settings, "booking_notify_max_attempts", 5))
        log.warning("booking message %s (%s) failed: %s", row.id, row.channel, error)
        if maybe_sent:
            return self._finish(session, row, "failed", now, error=f"{error} (may have been sent: not repeated)")
        if row.attempts >= limit:
            return self._finish(session, row, "failed", now, error=f"{error} (gave up after {row.attempts} attempts)")
        tick = float(getattr(self.settings, "booking_notify_tick_s", 30))
        self._finish(session, row, "pending", now, error=error, next_attempt_at=now + backoff(tick, row.attempts))
        return "retry"

    @staticmethod
    def _finish(session: Session, row: BookingNotification, status: str, now: datetime, **values) -> str:
        row.status = status
        row.error = str(values.pop("error", ""))[:500]
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        session.commit()
        return {"sent": "sent", "failed": "failed"}.get(status, "retry")

    def sweep_interrupted(self, now: datetime) -> int:
        """Rows left `sending` by a process that died: failed, never repeated (the send may have happened)."""
        with Session(self.engine) as session:
            done = session.execute(
                update(NOTIFICATIONS)
                .where(NOTIFICATIONS.c.status == "sending", NOTIFICATIONS.c.claimed_at < now - STALE_SENDING)
                .values(status="failed", error="interrupted while sending (the process stopped): not repeated")
            )
            session.commit()
            return int(done.rowcount or 0)  # type: ignore[attr-defined]
