"""Thin HTTP layer of recorder/: recordings, search, playback, exports, QA, and (included) retention."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlmodel import Session

from api.audit.service import record as audit
from api.deps import client_of, require_admin, require_agent, require_supervisor
from api.errors import responses
from api.types import DB_INT_MAX, Id, Offset, Timestamp
from api.users.models import User
from centralita import db
from centralita.db import get_session, saved_id
from centralita.errors import FieldError, NotFound
from centralita.settings import get_settings
from centralita.telephony.apply import after_commit_async
from recorder import access, capture_pause, capture_settings, exports, quality, search
from recorder.models import ExportJob, Recording
from recorder.retention.routes import router as retention_router
from recorder.schemas import (
    EvaluationIn,
    EvaluationOut,
    ExportIn,
    ExportOut,
    PauseOut,
    QualityRow,
    RecordingDetail,
    RecordingOut,
    ScorecardIn,
    ScorecardOut,
    SearchPage,
    SettingIn,
    SettingOut,
    TagsIn,
)

router = APIRouter(tags=["recordings"])
router.include_router(retention_router)
NOT_FOUND = responses(404)  # no such recording (or not one of the agent's own), export or setting
LIVE_ERRORS = responses(403, 404, 409, 503)  # not your call; no recording; call over; no AMI link
AUDIO_ERRORS = responses(404, 416, 502)  # no audio (yet); bad Range; the archive copy failed its check


def _out(rec: Recording) -> RecordingOut:
    return RecordingOut(**rec.model_dump(include=set(RecordingOut.model_fields)))


# Per-scope settings ---------------------------------------------------------------------------------
@router.get("/recordings/settings", response_model=list[SettingOut], dependencies=[Depends(require_supervisor)])
def list_settings(session: Session = Depends(get_session)):
    return [
        SettingOut(scope=r.scope, name=r.name, record=r.record, language=r.language)
        for r in capture_settings.list_all(session)
    ]


@router.put("/recordings/settings/{scope}/{name}", response_model=SettingOut)
async def put_setting(
    scope: str,
    name: str,
    body: SettingIn,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
):
    row = capture_settings.put(session, scope, name, body.record, body.language)
    out = SettingOut(scope=row.scope, name=row.name, record=row.record, language=row.language)
    audit(
        session,
        "recording.setting",
        user=user,
        target=f"{scope}:{name}",
        detail=body.model_dump(exclude_none=True),
        client=client_of(request),
    )
    session.commit()
    # False (not an error) when Asterisk is down: it reads the settings at its next start.
    out.reloaded = (await after_commit_async(get_settings(), {"dialplan"})).reloaded
    return out


@router.delete("/recordings/settings/{scope}/{name}", status_code=204, responses=responses(404))
async def delete_setting(
    scope: str,
    name: str,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
):
    capture_settings.remove(session, scope, name)
    audit(session, "recording.setting.delete", user=user, target=f"{scope}:{name}", client=client_of(request))
    session.commit()
    await after_commit_async(get_settings(), {"dialplan"})


# Live calls: pause / resume (PCI DSS) -----------------------------------------------------------------
async def _pause(uniqueid: str, paused: bool, request: Request, user: User, session: Session) -> PauseOut:
    runtime = request.app.state.runtime
    row = capture_pause.recording_of(session, uniqueid)
    channels = await capture_pause.live_channels(getattr(runtime, "ami", None))
    channel = capture_pause.channel_name(channels, uniqueid)  # 409 once the call is over
    if not capture_pause.may_control(channels, row, user, search.agent_username(session, user)):
        raise HTTPException(403, "only a supervisor or the agent on this call may pause its recording")
    await capture_pause.mute(runtime.ami, channel, paused)
    pause = capture_pause.mark(row, paused)
    session.add(row)
    audit(
        session,
        "recording.pause" if paused else "recording.resume",
        user=user,
        target=f"recording:{row.id}",
        detail={"uniqueid": uniqueid, **pause},
        client=client_of(request),
    )
    session.commit()
    return PauseOut(uniqueid=uniqueid, paused=paused, pause=pause, pauses=row.pauses)


@router.post("/recordings/live/{uniqueid}/pause", response_model=PauseOut, responses=LIVE_ERRORS)
async def pause_recording(
    uniqueid: str, request: Request, user: User = Depends(require_agent), session: Session = Depends(get_session)
):
    return await _pause(uniqueid, True, request, user, session)


@router.post("/recordings/live/{uniqueid}/resume", response_model=PauseOut, responses=LIVE_ERRORS)
async def resume_recording(
    uniqueid: str, request: Request, user: User = Depends(require_agent), session: Session = Depends(get_session)
):
    return await _pause(uniqueid, False, request, user, session)


# Exports ----------------------------------------------------------------------------------------------
def _export_out(job: ExportJob) -> ExportOut:
    return ExportOut(**job.model_dump(include=set(ExportOut.model_fields)))


def run_export(job_id: int) -> None:
    exports.run(job_id, lambda: Session(db.get_engine()), get_settings())


@router.post("/recordings/exports", response_model=ExportOut, status_code=202)
def create_export(
    body: ExportIn,
    request: Request,
    background: BackgroundTasks,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    job = exports.request(session, user.username, body.period, body.since, body.until, body.caller)
    audit(
        session, "recording.export", user=user, target=f"export:{job.id}", detail=job.filters, client=client_of(request)
    )
    session.commit()
    background.add_task(run_export, saved_id(job))
    return _export_out(job)


def _job(session: Session, export_id: int) -> ExportJob:
    job = session.get(ExportJob, export_id)
    if job is None:
        raise NotFound("export_id", f"no export {export_id}")
    return job


@router.get(
    "/recordings/exports/{export_id}",
    response_model=ExportOut,
    dependencies=[Depends(require_supervisor)],
    responses=NOT_FOUND,
)
def get_export(export_id: Id, session: Session = Depends(get_session)):
    return _export_out(_job(session, export_id))


@router.get("/recordings/exports/{export_id}/download", responses=responses(404, 409))
def download_export(
    export_id: Id, request: Request, user: User = Depends(require_supervisor), session: Session = Depends(get_session)
):
    job = _job(session, export_id)
    if job.state != "done":
        raise FieldError("export_id", f"export {export_id} is {job.state} ({job.done}/{job.total})", 409)
    audit(
        session,
        "recording.export.download",
        user=user,
        target=f"export:{job.id}",
        detail=job.filters,
        client=client_of(request),
    )
    session.commit()
    return FileResponse(job.path, media_type="application/zip", filename=f"recordings-export-{job.id}.zip")


# QA -------------------------------------------------------------------------------------------------
def _card_out(card) -> ScorecardOut:
    return ScorecardOut(id=card.id, name=card.name, criteria=card.criteria, active=card.active)


@router.get("/qa/scorecards", response_model=list[ScorecardOut], dependencies=[Depends(require_supervisor)])
def list_scorecards(session: Session = Depends(get_session)):
    from sqlmodel import select

    from recorder.models import Scorecard

    return [_card_out(c) for c in session.exec(select(Scorecard).order_by(Scorecard.name))]


@router.post("/qa/scorecards", response_model=ScorecardOut, status_code=201, responses=responses(409))
def create_scorecard(
    body: ScorecardIn,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    card = quality.create_scorecard(session, body.name, [c.model_dump() for c in body.criteria])
    out = _card_out(card)
    audit(session, "qa.scorecard.create", user=user, target=card.name, client=client_of(request))
    session.commit()
    return out


@router.get(
    "/qa/report", response_model=list[QualityRow], dependencies=[Depends(require_supervisor)], responses=NOT_FOUND
)
def quality_report(
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    period: str = "month",
    agent: str = "",
    scorecard: str = "",
    session: Session = Depends(get_session),
):
    return quality.report(session, since, until, period, agent, scorecard)


# Recordings ---------------------------------------------------------------------------------------
def _filters(
    q: str = "",
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    agent: str = "",
    queue: str = "",
    caller: str = "",
    direction: str = "",
    campaign: str = "",
    sentiment_min: float | None = Query(None, ge=-1, le=1),
    sentiment_max: float | None = Query(None, ge=-1, le=1),
    category: str = "",
    tag: str = "",
    min_duration: float | None = Query(None, ge=0, le=DB_INT_MAX),
    max_duration: float | None = Query(None, ge=0, le=DB_INT_MAX),
    stage: str = "",
    limit: int = Query(50, ge=1, le=search.MAX_LIMIT),
    offset: Offset = 0,
) -> search.Filters:
    return search.Filters(
        q=q,
        since=since,
        until=until,
        agent=agent,
        queue=queue,
        caller=caller,
        direction=direction,
        campaign=campaign,
        sentiment_min=sentiment_min,
        sentiment_max=sentiment_max,
        category=category,
        tag=tag,
        min_duration=min_duration,
        max_duration=max_duration,
        stage=stage,
        limit=limit,
        offset=offset,
    )


@router.get("/recordings", response_model=SearchPage)
def search_recordings(
    f: search.Filters = Depends(_filters), user: User = Depends(require_agent), session: Session = Depends(get_session)
):
    """Full text (`q`: every word must occur in the transcript) and filters; agents see their own calls."""
    rows, total = search.search(session, search.restrict_to_own(session, user, f))
    return SearchPage(items=[_out(r) for r in rows], total=total, limit=f.limit, offset=f.offset)


def _visible(session: Session, user: User, recording_id: int) -> Recording:
    rec = access.get_recording(session, recording_id)
    if not search.visible(session, user, rec):  # as if absent: an agent learns nothing of others' calls
        raise NotFound("recording_id", f"no recording {recording_id}")
    return rec


@router.get("/recordings/{recording_id}", response_model=RecordingDetail, responses=NOT_FOUND)
def get_recording(recording_id: Id, user: User = Depends(require_agent), session: Session = Depends(get_session)):
    rec = _visible(session, user, recording_id)
    return RecordingDetail(
        **_out(rec).model_dump(),
        transcript=rec.transcript,
        analysis=rec.analysis,
        archived=rec.archive_verified_at is not None,
    )


def _serve(rec: Recording, request: Request, user: User, session: Session, action: str) -> StreamingResponse:
    from recorder.storage import StorageError

    try:
        audio = access.source(rec)
    except StorageError as exc:  # the archive could not be read or failed its checksum: not the client's fault
        raise FieldError("recording_id", f"archive copy unavailable: {exc}", 502) from None
    rng = access.parse_range(request.headers.get("range"), audio.size)
    start, end = rng or (0, audio.size - 1)
    access.audit_access(
        session,
        action,
        rec,
        user,
        client_of(request),
        range=f"{start}-{end}",
        bytes=audio.size,
        source=audio.media_type,
    )
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    if action == "recording.download":
        headers["Content-Disposition"] = f'attachment; filename="recording-{rec.id}{audio.suffix}"'
    if rng is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{audio.size}"
    return StreamingResponse(
        audio.read(start, end), status_code=206 if rng else 200, media_type=audio.media_type, headers=headers
    )


@router.get("/recordings/{recording_id}/audio", responses=AUDIO_ERRORS)
def play_recording(
    recording_id: Id, request: Request, user: User = Depends(require_agent), session: Session = Depends(get_session)
):
    """Streaming playback with seek (HTTP Range → 206); audited."""
    return _serve(_visible(session, user, recording_id), request, user, session, "recording.play")


@router.get("/recordings/{recording_id}/download", responses=AUDIO_ERRORS)
def download_recording(
    recording_id: Id,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    return _serve(_visible(session, user, recording_id), request, user, session, "recording.download")


@router.put("/recordings/{recording_id}/tags", response_model=RecordingOut, responses=NOT_FOUND)
def set_tags(
    recording_id: Id,
    body: TagsIn,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    rec = _visible(session, user, recording_id)
    tags = sorted({t.strip().lower() for t in body.tags if t.strip()})
    bad = next((t for t in tags if len(t) > 40), None)
    if bad:
        raise FieldError("tags", f"{bad[:20]}…: at most 40 characters")
    rec.tags = tags
    session.add(rec)
    audit(
        session,
        "recording.tags",
        user=user,
        target=f"recording:{rec.id}",
        detail={"tags": tags},
        client=client_of(request),
    )
    session.commit()
    session.refresh(rec)
    return _out(rec)


@router.post(
    "/recordings/{recording_id}/evaluations", response_model=EvaluationOut, status_code=201, responses=NOT_FOUND
)
def evaluate(
    recording_id: Id,
    body: EvaluationIn,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    rec = _visible(session, user, recording_id)
    ev = quality.evaluate(
        session, rec, quality.scorecard(session, body.scorecard), body.answers, user.username, body.comment
    )
    out = EvaluationOut(**ev.model_dump())
    audit(
        session,
        "qa.evaluate",
        user=user,
        target=f"recording:{rec.id}",
        detail={"score": ev.score},
        client=client_of(request),
    )
    session.commit()
    return out


@router.get("/recordings/{recording_id}/evaluations", response_model=list[EvaluationOut], responses=NOT_FOUND)
def list_evaluations(recording_id: Id, user: User = Depends(require_agent), session: Session = Depends(get_session)):
    rec = _visible(session, user, recording_id)
    return [EvaluationOut(**e.model_dump()) for e in quality.evaluations(session, saved_id(rec))]
