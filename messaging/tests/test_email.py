"""messaging/email.py against a real SMTP server process (aiosmtpd on loopback): the message and its
attachment arrive intact; an unreachable server, a missing setting, a server without STARTTLS and a
refused login are each one EmailError naming what to fix."""

from __future__ import annotations

import pytest

from messaging.email import Attachment, EmailError, SmtpConfig, send_email, valid_address
from messaging.tests.smtp_sink import SmtpSink, free_port


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def config(port: int, **kw) -> SmtpConfig:
    base = {"host": "127.0.0.1", "port": port, "sender": "Centralita <informes@example.org>", "starttls": False}
    return SmtpConfig(**{**base, **kw})


def test_message_and_attachment_arrive(sink):
    payload = bytes(range(256)) * 40  # binary, so base64 and line handling are exercised
    sent = send_email(
        config(sink.port),
        ["ana@example.org", "jefe@example.org"],
        "Informe diario — atención",
        "Adjunto el informe.",
        [Attachment("informe.xlsx", payload, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")],
    )
    assert sent.refused == []
    [(mail_from, rcpt, message)] = sink.messages
    assert mail_from == "informes@example.org" and rcpt == ["ana@example.org", "jefe@example.org"]
    assert message["Subject"] == "Informe diario — atención" and message["Message-ID"] == sent.message_id
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "informe.xlsx" and part.get_content() == payload


def test_login_is_used_and_a_wrong_password_is_named():
    server = SmtpSink(login=("informes", "s3cret-pass")).start()
    try:
        send_email(config(server.port, user="informes", password="s3cret-pass"), ["ana@example.org"], "x", "y")
        assert len(server.messages) == 1
        with pytest.raises(EmailError, match="refused the login of CENTRALITA_SMTP_USER"):
            send_email(config(server.port, user="informes", password="wrong"), ["ana@example.org"], "x", "y")
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_unreachable_server_is_named():
    port = free_port()  # nothing listens there
    with pytest.raises(EmailError, match=rf"SMTP server 127\.0\.0\.1:{port} unreachable: ConnectionRefusedError"):
        send_email(config(port), ["ana@example.org"], "x", "y")


def test_starttls_is_never_skipped_silently(sink):
    with pytest.raises(EmailError, match="does not offer STARTTLS"):
        send_email(config(sink.port, starttls=True), ["ana@example.org"], "x", "y")
    assert sink.messages == []


def test_settings_are_named():
    with pytest.raises(EmailError, match="CENTRALITA_SMTP_HOST"):
        send_email(SmtpConfig(host=""), ["ana@example.org"], "x", "y")
    with pytest.raises(EmailError, match="CENTRALITA_SMTP_FROM"):
        send_email(SmtpConfig(host="127.0.0.1"), ["ana@example.org"], "x", "y")
    with pytest.raises(EmailError, match="exclude each other"):
        send_email(config(25, ssl=True, starttls=True), ["ana@example.org"], "x", "y")


def test_addresses():
    assert valid_address(" ana.perez+informes@sub.example.org ") == "ana.perez+informes@sub.example.org"
    for bad in [
        "",
        "ana",
        "ana@",
        "@example.org",
        "ana@example",
        "ana perez@example.org",
        "a..b@example.org",
        "<ana@example.org>",
        "ana@-example.org",
    ]:
        with pytest.raises(ValueError, match="is not an email address"):
            valid_address(bad)
