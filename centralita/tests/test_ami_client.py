"""AmiClient, the one way to send AMI actions, against a small AMI server on a loopback socket
(the manager protocol as Asterisk speaks it: banner, Login, one answer per ActionID): `connected`
follows the link, `send` returns the answer, and a link that is down or an Asterisk that does not
answer is an AmiUnavailable naming what happened, never a hang."""

from __future__ import annotations

import asyncio
import secrets
from types import SimpleNamespace

import pytest

from centralita.telephony.ami import AmiClient, AmiUnavailable


class FakeAsterisk:
    """Answers Login and Ping; never answers `Silent`; `stop()` drops every connection."""

    def __init__(self):
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.actions: list[dict] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = dict(line.split(": ", 1) for line in block.decode().strip().split("\r\n") if ": " in line)
                self.actions.append(action)
                name, aid = action.get("Action", ""), action.get("ActionID", "")
                if name == "Login":
                    ok = action.get("Secret") == "right"
                    status = "Success" if ok else "Error"
                    message = "Authentication accepted" if ok else "Authentication failed"
                    writer.write(f"Response: {status}\r\nActionID: {aid}\r\nMessage: {message}\r\n\r\n".encode())
                elif name == "Ping":
                    writer.write(f"Response: Success\r\nActionID: {aid}\r\nPing: Pong\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.writers:
            w.close()
        await self.server.wait_closed()


def _settings(port: int, secret: str = "right") -> SimpleNamespace:
    return SimpleNamespace(
        asterisk_host="127.0.0.1", ami_port=port, ami_user="centralita", ami_secret=secret, external_timeout=0.5
    )


async def _until(predicate, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_send_answers_and_reports_a_link_that_is_down():
    asterisk = FakeAsterisk()
    ami = AmiClient(_settings(await asterisk.start()))
    with pytest.raises(AmiUnavailable, match="not connected"):
        await ami.send({"Action": "Ping"})  # before start: refused at once, nothing sent
    await ami.start()
    try:
        await _until(lambda: ami.connected)
        reply = await ami.send({"Action": "Ping"}, single=True)
        assert reply.get("Ping") == "Pong" and ami.status() == {"status": "ok"}
        with pytest.raises(AmiUnavailable, match="did not answer Silent within 0.5 s"):
            await ami.send({"Action": "Silent"})
        await asterisk.stop()
        await _until(lambda: not ami.connected)
        with pytest.raises(AmiUnavailable, match="not connected"):
            await ami.send({"Action": "Ping"})
        with pytest.raises(AmiUnavailable):
            ami.fire({"Action": "UserEvent", "UserEvent": "x"})
    finally:
        await ami.stop()


async def test_a_refused_login_is_down_and_named():
    asterisk = FakeAsterisk()
    ami = AmiClient(_settings(await asterisk.start(), secret=secrets.token_hex(4)))
    await ami.start()
    try:
        await _until(lambda: any(a.get("Action") == "Login" for a in asterisk.actions))
        await _until(lambda: "login refused" in ami.status().get("detail", ""))
        assert not ami.connected
        with pytest.raises(AmiUnavailable):
            await ami.send({"Action": "Ping"})
    finally:
        await ami.stop()
        await asterisk.stop()
