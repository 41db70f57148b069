"""Send one email through the configured SMTP server, with attachments.

Synchronous on purpose (smtplib): callers run it in a worker thread or a scheduler job and store the
delivery's outcome themselves. Every failure is an `EmailError` whose message names what to fix (the
setting, the server and port, the refused address), never a bare socket traceback.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

# A pragmatic addr-spec: one @, no spaces or angle brackets, a dotted domain. Stricter checks (RFC 5322
# quoted local parts, IDNA) would refuse nothing real and accept nothing a relay would take.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@" + _LABEL + r"(?:\." + _LABEL + r")+$")


class EmailError(RuntimeError):
    """The message was not handed to the SMTP server; the text says why (stored with the delivery).

    `maybe_sent` is True when the connection failed while the message itself was being transmitted
    (timed out or dropped during DATA): the server may have taken it, so an "at most once" caller must
    not retry. Every other EmailError means the server certainly did not accept it."""

    def __init__(self, message: str, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


def valid_address(value: str) -> str:
    """The address itself, trimmed, or ValueError saying what is wrong (for pydantic validators)."""
    address = (value or "").strip()
    if len(address) > 254 or not _ADDRESS.match(address) or ".." in address:
        raise ValueError(f"'{value}' is not an email address (e.g. nombre@example.org)")
    return address


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    starttls: bool = True
    ssl: bool = False
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            ssl=settings.smtp_ssl,
            timeout_s=settings.smtp_timeout_s,
        )

    def check(self) -> None:
        if not self.host:
            raise EmailError("email is not configured: set CENTRALITA_SMTP_HOST (and CENTRALITA_SMTP_FROM)")
        if not self.sender:
            raise EmailError("CENTRALITA_SMTP_FROM is not set: outgoing email needs a From address")
        try:
            valid_address(parseaddr(self.sender)[1])
        except ValueError as exc:
            raise EmailError(f"CENTRALITA_SMTP_FROM: {exc}") from None
        if self.ssl and self.starttls:
            raise EmailError(
                "CENTRALITA_SMTP_SSL and CENTRALITA_SMTP_STARTTLS exclude each other (465: SSL, 587: STARTTLS)"
            )


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes = field(repr=False)
    mime: str = "application/octet-stream"  # "type/subtype"


@dataclass(frozen=True)
class Sent:
    message_id: str
    refused: list[str] = field(default_factory=list)


def build_message(
    config: SmtpConfig, to: list[str], subject: str, text: str, attachments: Sequence[Attachment] = (), html: str = ""
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(config.sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item.mime.partition("/")
        message.add_attachment(
            item.content, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
        )
    return message


def send_email(
    config: SmtpConfig, to: list[str], subject: str, text: str, attachments: Sequence[Attachment] = (), html: str = ""
) -> Sent:
    """Hand one message to the SMTP server; returns its Message-ID. Raises EmailError (nothing sent)
    when the server is unreachable, refuses TLS or the login, or refuses every recipient. A recipient
    refused while others were accepted is listed in `Sent.refused`, not raised: the message did go out."""
    config.check()
    if not to:
        raise EmailError("no recipients")
    recipients = [valid_address(a) for a in to]
    message = build_message(config, recipients, subject, text, attachments, html)
    where = f"{config.host}:{config.port}"
    transmitting = False
    try:
        if config.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        with client:
            client.ehlo()
            if config.starttls:
                if not client.has_extn("starttls"):
                    # Never fall back to plain text silently: the password would cross the network.
                    raise EmailError(
                        f"SMTP server {where} does not offer STARTTLS (set CENTRALITA_SMTP_STARTTLS=false)"
                    )
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if config.user:
                client.login(config.user, config.password)
            transmitting = True
            refused = client.send_message(message, to_addrs=recipients)
            transmitting = False
    except EmailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(f"SMTP server {where} refused the login of CENTRALITA_SMTP_USER: {exc.smtp_code}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailError(f"SMTP server {where} refused every recipient: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise EmailError(f"SMTP server {where} answered {exc.smtp_code}: {reply}"[:500]) from None
    except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, DNS, TLS handshake, dropped
        kind = "timed out" if isinstance(exc, (socket.timeout, TimeoutError)) else "unreachable"
        raise EmailError(f"SMTP server {where} {kind}: {type(exc).__name__}: {exc}"[:500], transmitting) from None
    # Some recipients refused, others took it: the message is sent; the caller keeps who did not get it.
    return Sent(message_id=str(message["Message-ID"]), refused=sorted(refused))
