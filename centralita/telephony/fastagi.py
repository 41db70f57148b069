"""FastAGI server: panoramisk's AGI request object behind a small router of our own.

panoramisk's own `Application.handler` spins forever on a connection closed before the AGI
headers arrive (health probes, port scans); this handler reads them with a limit and a timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit

from panoramisk.fast_agi import Request

log = logging.getLogger("centralita.fastagi")

Handler = Callable[["AgiCall"], Awaitable[None]]
HEADER_TIMEOUT = 5.0
MAX_HEADER_BYTES = 16384


class AgiCall:
    """One AGI session: the channel's variables and a few typed commands over panoramisk's Request."""

    def __init__(self, request: Request, script: str, params: dict[str, str]):
        self.request = request
        self.headers = request.headers
        self.script = script
        self.params = params

    @property
    def caller(self) -> str:
        return self.headers.get("agi_callerid", "")

    @property
    def channel(self) -> str:
        return self.headers.get("agi_channel", "")

    async def command(self, text: str, timeout: float = 60) -> dict:
        result = await asyncio.wait_for(self.request.send_command(text), timeout)
        if "error" in result:
            raise AgiError(f"{text!r}: {result}")
        return result

    async def get_variable(self, name: str) -> str:
        result = await self.command(f"GET VARIABLE {name}")
        return result.get("result", ("0", ""))[1] if result.get("result", ("0",))[0] == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        await self.command(f'SET VARIABLE {name} "{quoted}"')

    async def get_data(self, prompt: str, timeout_ms: int = 5000, max_digits: int = 1) -> str:
        """Play `prompt` and collect digits ('' on timeout)."""
        result = await self.command(f"GET DATA {prompt} {timeout_ms} {max_digits}", timeout=timeout_ms / 1000 + 120)
        value = result.get("result", ("", ""))[0]
        return value if value.isdigit() else ""

    async def stream_file(self, prompt: str) -> None:
        await self.command(f'STREAM FILE {prompt} ""', timeout=300)


class AgiError(RuntimeError):
    pass


class FastAgiServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self._server: asyncio.AbstractServer | None = None
        self.add_route("health", self._health)

    def add_route(self, path: str, handler: Handler) -> None:
        if path in self.routes:
            raise ValueError(f"FastAGI route {path!r} already exists")
        self.routes[path] = handler

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add_route(path, handler)
            return handler

        return register

    async def _health(self, call: AgiCall) -> None:
        return None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            headers = await asyncio.wait_for(_read_headers(reader), HEADER_TIMEOUT)
            if headers is None:
                return
            script, params = _split_script(headers)
            handler = self.routes.get(script)
            if handler is None:
                log.error("no FastAGI route for %r", script)
                return
            call = AgiCall(Request(app=self, headers=headers, reader=reader, writer=writer), script, params)
            await handler(call)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except AgiError as exc:  # Asterisk refused a command: most often the caller hung up mid-prompt
            log.warning("FastAGI script stopped: %s", exc)
        except Exception:  # one broken call must never take the server down
            log.exception("FastAGI script failed")
        finally:
            writer.close()

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self.handle, host, port, reuse_address=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str] | None:
    buffer = b""
    while b"\n\n" not in buffer:
        chunk = await reader.read(1024)
        if not chunk or len(buffer) > MAX_HEADER_BYTES:
            return None
        buffer += chunk
    head = buffer.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return dict(line.split(": ", 1) for line in head.split("\n") if ": " in line)


def _split_script(headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """'ivr/entry?flow=demo' → ('ivr/entry', {'flow': 'demo'})."""
    raw = headers.get("agi_network_script", "")
    parts = urlsplit(raw)
    return parts.path.strip("/"), dict(parse_qsl(parts.query))


async def probe(host: str, port: int, timeout: float = 2.0) -> bool:
    """A real AGI round trip to the `health` route (not just an open port)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (TimeoutError, OSError):
        return False
    try:
        writer.write(b"agi_network: yes\nagi_network_script: health\nagi_request: agi://probe/health\n\n")
        await writer.drain()
        await asyncio.wait_for(reader.read(), timeout)  # the server closes when the route returns
        return True
    except (TimeoutError, OSError):
        return False
    finally:
        writer.close()
