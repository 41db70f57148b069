"""`centralita messaging ...`: send one SMS or email by hand (to check the settings), and write a
kannel.conf for Debian's Kannel with the sendsms user Centralita sends as."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import typer

from centralita.settings import get_settings
from messaging.email import EmailError, SmtpConfig, send_email
from messaging.kannel import KannelConf, KannelFiles, KannelPorts
from messaging.sms import KannelConfig, SmsError, send_sms, valid_number

app = typer.Typer(help="Outgoing SMS (Kannel) and email (SMTP).", no_args_is_help=True)


def _fail(field: str, message: str) -> typer.Exit:
    typer.echo(f"error: {field}: {message}", err=True)
    return typer.Exit(2)


@app.command("sms")
def sms(number: str, text: str) -> None:
    """Send one SMS through Kannel (CENTRALITA_KANNEL_*); prints Kannel's answer."""
    settings = get_settings()
    try:
        to = valid_number(number, settings.default_region)
    except ValueError as exc:
        raise _fail("number", str(exc)) from None
    try:
        sent = send_sms(KannelConfig.from_settings(settings), to, text)
    except SmsError as exc:
        typer.echo(f"error: sms: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"to": to, "reply": sent.reply}))


@app.command("email")
def email(to: str, subject: str, text: str) -> None:
    """Send one email through the SMTP server (CENTRALITA_SMTP_*); prints its Message-ID."""
    try:
        sent = send_email(SmtpConfig.from_settings(get_settings()), [to], subject, text)
    except ValueError as exc:
        raise _fail("to", str(exc)) from None
    except EmailError as exc:
        typer.echo(f"error: email: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"to": to, "message_id": sent.message_id}))


@app.command("kannel-config")
def kannel_config(
    out: Path = typer.Argument(..., help="where to write kannel.conf (e.g. /etc/kannel/kannel.conf)"),
    log_dir: Path = typer.Option(Path("/var/log/kannel"), help="Kannel's log directory"),
    spool_dir: Path = typer.Option(Path("/var/spool/kannel"), help="bearerbox's message store directory"),
    admin_port: int = 13000,
    smsbox_port: int = 13001,
    fake_smsc_port: int = typer.Option(0, help="add Kannel's fake SMSC on this port (rehearsals); 0: none"),
    smsc_file: Path | None = typer.Option(None, help="a file with your operator's `group = smsc` block"),
) -> None:
    """Write kannel.conf: bearerbox and smsbox on the host and sendsms port of CENTRALITA_KANNEL_SENDSMS_URL,
    the sendsms user CENTRALITA_KANNEL_USER/PASSWORD, a random admin password (printed once)."""
    settings = get_settings()
    if not settings.kannel_sendsms_url or not settings.kannel_user or not settings.kannel_password:
        raise _fail(
            "settings", "set CENTRALITA_KANNEL_SENDSMS_URL, CENTRALITA_KANNEL_USER and CENTRALITA_KANNEL_PASSWORD"
        )
    url = httpx.URL(settings.kannel_sendsms_url)
    admin_password = secrets.token_urlsafe(12)
    conf = KannelConf(
        ports=KannelPorts(admin=admin_port, smsbox=smsbox_port, sendsms=url.port or 13013, fake_smsc=fake_smsc_port),
        files=KannelFiles(log_dir=log_dir, spool_dir=spool_dir),
        user=settings.kannel_user,
        password=settings.kannel_password,
        admin_password=admin_password,
        host=url.host or "127.0.0.1",
        sender=settings.kannel_from or "Centralita",
        log_level=1,
        smsc_extra=smsc_file.read_text() if smsc_file else "",
    )
    try:
        text = conf.text()
    except ValueError as exc:
        raise _fail("settings", str(exc)) from None
    out.write_text(text)
    out.chmod(0o640)
    typer.echo(json.dumps({"written": str(out), "admin_password": admin_password}))
