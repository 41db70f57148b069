"""The browser phone's API: its credentials (`GET /api/agents/me/phone`) and the SIP websocket
(`/api/phone/ws`), relayed to Asterisk's loopback ws transport so the page and its SIP socket share
one origin (a browser blocks a public page from opening a loopback socket)."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import websockets
from fastapi import APIRouter, Depends, Request, Response, WebSocket, WebSocketDisconnect
from sqlmodel import Session

from api.deps import _session_user, require_agent
from api.errors import responses
from api.users.models import User
from centralita.db import get_engine, get_session
from centralita.settings import get_settings
from phone import service
from phone.schemas import PhoneOut

router = APIRouter(tags=["phone"])


@router.get("/agents/me/phone", response_model=PhoneOut, responses=responses(404))
def my_phone(
    request: Request, response: Response, user: User = Depends(require_agent), session: Session = Depends(get_session)
) -> PhoneOut:
    """The caller's own browser-phone credentials (never another agent's); not stored by the browser."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    origin = f"{request.url.scheme}://{request.headers.get('host') or request.url.netloc}"
    return PhoneOut(**service.phone_config(get_settings(), session, user, origin))


def asterisk_ws_url() -> str:
    s = get_settings()
    return f"ws://{s.asterisk_host}:{s.ari_port}/ws"


@router.websocket("/phone/ws")
async def sip_websocket(websocket: WebSocket) -> None:
    """SIP over websocket (RFC 7118, subprotocol `sip`) for the logged-in agent's page, frames relayed
    both ways to Asterisk. Without a web session, or from another origin, it is closed unopened; the
    SIP registration then still needs the endpoint's digest password."""
    with Session(get_engine()) as session:
        user = _session_user(websocket, session)
    if user is None:
        await websocket.close(code=4401, reason="not authenticated")
        return
    origin = websocket.headers.get("origin")
    if origin and urlsplit(origin).netloc != websocket.headers.get("host"):
        await websocket.close(code=4403, reason="cross-origin use of the web session")
        return
    try:
        upstream = await websockets.connect(
            asterisk_ws_url(), subprotocols=[websockets.Subprotocol("sip")], open_timeout=5, max_size=2**20
        )
    except (TimeoutError, OSError, websockets.WebSocketException):
        await websocket.close(code=1011, reason="Asterisk websocket unavailable")
        return
    await websocket.accept(subprotocol="sip")

    async def to_asterisk() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text") if message.get("text") is not None else message.get("bytes")
            if data is not None:
                await upstream.send(data)

    async def to_browser() -> None:
        async for data in upstream:
            if isinstance(data, bytes):
                await websocket.send_bytes(data)
            else:
                await websocket.send_text(data)

    tasks = [asyncio.create_task(to_asterisk()), asyncio.create_task(to_browser())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, websockets.WebSocketException):
                await task
        await upstream.close()
        with contextlib.suppress(RuntimeError):
            await websocket.close()
