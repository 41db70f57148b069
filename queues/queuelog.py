"""Ingest Asterisk's queue_log into the durable history: per-call outcomes, agent sessions, pauses
and callback requests.

Asterisk appends queue_log whether or not our services run; like the CDR ingester we keep a byte
offset per file (by inode) and a unique key per line, so a restart or a re-read never double-counts.
queue_log carries whole seconds; when the live runtime saw the same call it refines the wait to
the millisecond (`refine_waits`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from api.calls.service import read_new_lines
from queues.models import AgentPause, AgentSession, Callback, QueueCall, QueueLogEntry

MAX_BATCH_BYTES = 4 * 1024 * 1024


@dataclass
class QueueLogLine:
    key: str
    at: datetime
    callid: str
    queue: str
    agent: str
    event: str
    data: list[str]


def parse_line(raw: str) -> QueueLogLine | None:
    """'epoch|callid|queue|agent|EVENT|data…' → QueueLogLine, or None for a malformed line."""
    parts = raw.rstrip("\n").split("|")
    if len(parts) < 5 or not parts[0].isdigit() or not parts[4]:
        return None
    at = datetime.fromtimestamp(int(parts[0]), tz=UTC)
    return QueueLogLine(
        key=hashlib.sha1(raw.encode()).hexdigest(),
        at=at,
        callid=parts[1][:64],
        queue=parts[2][:64],
        agent="" if parts[3] == "NONE" else parts[3][:64],
        event=parts[4][:32],
        data=parts[5:],
    )


def _int(data: list[str], index: int) -> int:
    try:
        return int(data[index])
    except (IndexError, ValueError):
        return 0


class Folder:
    """Applies one new queue_log line to the history tables (inside the caller's transaction)."""

    def __init__(self, session: Session):
        self.session = session

    def call(self, line: QueueLogLine) -> QueueCall | None:
        return self.session.exec(
            select(QueueCall).where(QueueCall.callid == line.callid, QueueCall.queue == line.queue)
        ).first()

    def apply(self, line: QueueLogLine) -> None:
        handler = getattr(self, f"on_{line.event}", None)
        if handler:
            handler(line)

    def on_ENTERQUEUE(self, line: QueueLogLine) -> None:
        if self.call(line) is None:
            caller = line.data[1] if len(line.data) > 1 else ""
            self.session.add(
                QueueCall(
                    callid=line.callid,
                    queue=line.queue,
                    caller=caller[:80],
                    entered_at=line.at,
                    position=_int(line.data, 2),
                )
            )
            self.session.flush()

    def _finish(self, line: QueueLogLine, outcome: str, wait: int, **extra) -> None:
        call = self.call(line)
        if call is None:  # entered before our history began (e.g. a rotated log)
            call = QueueCall(callid=line.callid, queue=line.queue, entered_at=line.at)
        call.outcome, call.wait_seconds = outcome, float(wait)
        for key, value in extra.items():
            setattr(call, key, value)
        self.session.add(call)
        self.session.flush()

    def on_CONNECT(self, line: QueueLogLine) -> None:
        self._finish(line, "answered", _int(line.data, 0), agent=line.agent)

    def _complete(self, line: QueueLogLine) -> None:
        call = self.call(line)
        if call is not None and call.ended_at is None:  # a transfer closed it already: that part stands
            call.talk_seconds, call.ended_at = float(_int(line.data, 1)), line.at
            self.session.add(call)

    on_COMPLETEAGENT = on_COMPLETECALLER = _complete

    def _transfer(self, line: QueueLogLine) -> None:
        """The agent handed the caller on: their part ends here with queue_log's calltime. Asterisk writes
        no COMPLETE* after a transfer. BLINDTRANSFER exten|context|hold|call|pos, ATTENDEDTRANSFER
        BRIDGE|id|hold|call|pos or APP|app|… or LINK|local1|local2|hold|call|pos (Local channels),
        TRANSFER exten|context|hold|call[|pos]. The next agent's part is their own visit (a new
        ENTERQUEUE of the same callid when transferred to a queue)."""
        call = self.call(line)
        if call is None or call.ended_at is not None:
            return
        calltime = _int(line.data, 3) if line.event == "TRANSFER" else _int(line.data, len(line.data) - 2)
        call.talk_seconds, call.ended_at = float(calltime), line.at
        if not call.agent and not line.agent.startswith("Local/"):
            call.agent = line.agent
        self.session.add(call)
        self.session.flush()

    on_BLINDTRANSFER = on_ATTENDEDTRANSFER = on_TRANSFER = _transfer

    def on_QUEUESTART(self, line: QueueLogLine) -> None:
        """Asterisk (re)started: a call still open in a queue was cut by the restart. Waiting callers
        become 'restart'; answered calls end here (their talk is unknown: no COMPLETE* came)."""
        for call in self.session.exec(
            select(QueueCall).where(col(QueueCall.ended_at).is_(None), QueueCall.entered_at <= line.at)
        ):
            if call.outcome == "waiting":
                call.outcome = "restart"
            call.ended_at = line.at
            self.session.add(call)
        self.session.flush()

    def on_ABANDON(self, line: QueueLogLine) -> None:
        self._finish(line, "abandoned", _int(line.data, 2), ended_at=line.at)

    def on_EXITWITHTIMEOUT(self, line: QueueLogLine) -> None:
        self._finish(line, "timeout", _int(line.data, 2), ended_at=line.at)

    def on_EXITEMPTY(self, line: QueueLogLine) -> None:
        self._finish(line, "empty", _int(line.data, 2), ended_at=line.at)

    def on_EXITWITHKEY(self, line: QueueLogLine) -> None:
        self._finish(line, "exitkey", _int(line.data, 3), ended_at=line.at)

    def on_OVERFLOW(self, line: QueueLogLine) -> None:
        call = self.call(line)
        if call is not None:
            call.outcome = "overflow"
            self.session.add(call)

    def on_CALLBACK(self, line: QueueLogLine) -> None:
        call = self.call(line)
        if call is not None:
            call.outcome = "callback"
            self.session.add(call)
        if self.session.exec(select(Callback).where(Callback.callid == line.callid)).first() is None:
            number = (line.data[0] if line.data else "") or (call.caller if call else "")
            self.session.add(
                Callback(
                    callid=line.callid,
                    queue=line.queue,
                    number=number[:80],
                    entered_at=call.entered_at if call else line.at,
                )
            )
            self.session.flush()

    def on_CALLBACKDIAL(self, line: QueueLogLine) -> None:
        callback = self.session.exec(select(Callback).where(Callback.callid == line.callid)).first()
        if callback is not None:
            callback.status = "dialled"
            self.session.add(callback)

    def on_ADDMEMBER(self, line: QueueLogLine) -> None:
        self.session.add(AgentSession(agent=line.agent, queue=line.queue, login_at=line.at))
        self.session.flush()

    def on_REMOVEMEMBER(self, line: QueueLogLine) -> None:
        for row in self.session.exec(
            select(AgentSession).where(
                AgentSession.agent == line.agent,
                AgentSession.queue == line.queue,
                col(AgentSession.logout_at).is_(None),
            )
        ):
            row.logout_at = line.at
            self.session.add(row)
        self._end_pause(line)

    def on_PAUSE(self, line: QueueLogLine) -> None:
        self._end_pause(line)  # a new reason ends the previous pause
        self.session.add(
            AgentPause(
                agent=line.agent, queue=line.queue, reason=(line.data[0] if line.data else "")[:32], start=line.at
            )
        )
        self.session.flush()

    def _end_pause(self, line: QueueLogLine) -> None:
        for row in self.session.exec(
            select(AgentPause).where(
                AgentPause.agent == line.agent, AgentPause.queue == line.queue, col(AgentPause.end).is_(None)
            )
        ):
            row.end = line.at
            self.session.add(row)
        self.session.flush()

    on_UNPAUSE = _end_pause


@dataclass
class IngestResult:
    lines: int = 0
    new_entries: int = 0
    bad_lines: int = 0


def ingest_file(session: Session, path: Path) -> IngestResult:
    """Read new complete lines; commit raw entries, history and the cursor together."""
    result = IngestResult()
    complete, cursor = read_new_lines(session, path, MAX_BATCH_BYTES)
    if not complete or cursor is None:  # no cursor only when the file is missing, and then no lines either
        return result
    folder = Folder(session)
    for raw in complete.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            continue
        result.lines += 1
        line = parse_line(raw)
        if line is None:
            result.bad_lines += 1
            continue
        if session.exec(select(QueueLogEntry.id).where(QueueLogEntry.key == line.key)).first() is not None:
            continue
        session.add(
            QueueLogEntry(
                key=line.key,
                at=line.at,
                callid=line.callid,
                queue=line.queue,
                agent=line.agent,
                event=line.event,
                data=line.data,
            )
        )
        folder.apply(line)
        result.new_entries += 1
    cursor.offset += len(complete)
    session.add(cursor)
    session.commit()
    return result


def refine_waits(session: Session, timings: dict[str, dict]) -> list[str]:
    """Millisecond waits measured live from AMI (join → answer/abandon) replace queue_log's whole
    seconds. Returns the uniqueids applied, so the caller can forget them."""
    done = []
    for uniqueid, t in timings.items():
        if "end" not in t:
            continue
        rows = list(session.exec(select(QueueCall).where(QueueCall.callid == uniqueid, QueueCall.queue == t["queue"])))
        for row in rows:
            if row.outcome in ("answered", "abandoned", "timeout", "exitkey", "callback", "empty", "overflow"):
                row.wait_seconds = round(t["end"] - t["join"], 3)
                session.add(row)
                done.append(uniqueid)
    session.commit()
    return done
