"""A real SMTP server for tests (aiosmtpd in its own thread on a free loopback port) that keeps every
message it accepts; `stop()` then `start()` again on the same port plays "the server was down"."""

from __future__ import annotations

import email
import socket
import threading
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Keep:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default)
        with self.sink.lock:
            self.sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpSink:
    def __init__(self, port: int | None = None, login: tuple[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.login = login
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = self.login is not None and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def start(self) -> SmtpSink:
        if self.login:
            self.controller = Controller(
                _Keep(self),
                hostname="127.0.0.1",
                port=self.port,
                authenticator=self._authenticate,
                auth_require_tls=False,
            )
        else:
            self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
