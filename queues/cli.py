"""`centralita queues ...`: queues, agents, skills, login/pause, live state and history from the shell.

Live actions (login, logout, pause) talk to Asterisk over AMI, as the API does; they need the
stack running (`centralita up`)."""

from __future__ import annotations

import asyncio
import json
from typing import NoReturn

import typer

from centralita.db import session_scope
from centralita.settings import get_settings
from queues import control, service

app = typer.Typer(
    help="Queues and agents: create, skills, login/logout, pause, live state, history.", no_args_is_help=True
)


def _fail(exc: service.QueueError) -> NoReturn:
    typer.echo(f"error: {exc.field}: {exc.message}", err=True)
    raise typer.Exit(2 if exc.status == 422 else 1)


def _report_apply(changed: set[str]) -> None:
    """After the commit: the one apply path, and one line saying what it did."""
    from centralita.telephony.apply import after_commit

    applied = after_commit(get_settings(), changed)
    if applied.reloaded:
        typer.echo(f"asterisk: {', '.join(applied.modules)} reloaded")
    else:
        typer.echo(f"asterisk: not reloaded ({applied.warning})", err=True)


@app.command("add")
def add_queue(
    name: str,
    label: str = "",
    strategy: str = "rrmemory",
    member_timeout: int = 15,
    wrapup: int = typer.Option(5, "--wrapup", help="Wrap-up seconds after each call."),
    max_wait: int = typer.Option(300, "--max-wait"),
    overflow: str = typer.Option('{"type": "hangup"}', help='JSON destination, e.g. {"type": "queue", "queue": "x"}'),
    announce_frequency: int = 30,
    info_prompt: str = "",
    callback_key: str = "",
) -> None:
    """Create a queue (one per procedure)."""
    try:
        overflow_value = json.loads(overflow)
    except ValueError:
        _fail(service.QueueError("overflow", "not valid JSON"))
    try:
        with session_scope() as session:
            queue = service.save_queue(
                session,
                {
                    "name": name,
                    "label": label,
                    "strategy": strategy,
                    "member_timeout": member_timeout,
                    "wrapup_seconds": wrapup,
                    "max_wait_seconds": max_wait,
                    "overflow": overflow_value,
                    "announce_frequency": announce_frequency,
                    "info_prompt": info_prompt,
                    "callback_key": callback_key,
                },
                client="cli",
            )
            typer.echo(f"created queue {queue.name}")
    except service.QueueError as exc:
        _fail(exc)
    _report_apply({"dialplan", "queues"})


@app.command("list")
def list_queues() -> None:
    """Every queue with its main settings."""
    with session_scope() as session:
        for q in service.list_queues(session):
            typer.echo(
                f"{q.name}\t{q.strategy}\twrapup={q.wrapup_seconds}s\tmax_wait={q.max_wait_seconds}s\t"
                f"overflow={json.dumps(q.overflow)}\tcallback_key={q.callback_key or '-'}"
            )


@app.command("delete")
def delete_queue(name: str) -> None:
    """Delete a queue nothing uses any more (its skills go with it); refused naming what still uses it."""
    try:
        with session_scope() as session:
            skills = service.delete_queue(
                session, service.get_queue(session, name), default_queue=get_settings().default_queue, client="cli"
            )
            typer.echo(f"deleted queue {name} ({skills} skill(s) removed)")
    except service.QueueError as exc:
        _fail(exc)
    _report_apply({"dialplan", "queues"})


@app.command("agent-add")
def add_agent(
    username: str,
    extension: str,
    full_name: str = "",
    contact: str = "",
    role: str = typer.Option("agent", help="agent | supervisor | admin"),
) -> None:
    """A user account plus its softphone; both passwords are printed once."""
    try:
        with session_scope() as session:
            agent, web_pw, sip_pw = service.create_agent(
                session, username, extension, full_name=full_name, contact=contact, role=role, client="cli"
            )
            typer.echo(f"created agent {agent.username} (extension {agent.extension})")
    except service.QueueError as exc:
        _fail(exc)
    if web_pw:
        typer.echo(f"web password: {web_pw} (shown once)")
    typer.echo(f"softphone: user {username}, password {sip_pw} (shown once)")
    _report_apply({"pjsip", "dialplan"})


@app.command("skill")
def skill(
    username: str,
    queue: str,
    penalty: int = typer.Option(0, min=0, max=100),
    remove: bool = typer.Option(False, "--remove"),
) -> None:
    """Give (or --remove) an agent a queue skill; applies live when the agent is logged in."""
    try:
        with session_scope() as session:
            agent = service.get_agent(session, username)
            service.set_skill(session, agent, queue, None if remove else penalty, client="cli")
        typer.echo(f"{username}: {'removed' if remove else f'penalty {penalty} in'} {queue}")
    except service.QueueError as exc:
        _fail(exc)
    _with_ami(lambda ami: control.apply_skill(ami, username, queue, None if remove else penalty), quiet=True)


def _with_ami(action, quiet: bool = False):
    from centralita.telephony.ami import AmiClient

    settings = get_settings()
    if not _reachable(settings.asterisk_host, settings.ami_port, settings.external_timeout):
        # Without this check panoramisk would keep retrying (and logging) until our deadline.
        if quiet:
            return None
        _fail(
            service.QueueError(
                "asterisk",
                f"AMI is not reachable on {settings.asterisk_host}:{settings.ami_port} (is the stack running?)",
                503,
            )
        )

    async def run():
        ami = AmiClient(settings)
        await ami.start()
        try:
            for _ in range(int(settings.external_timeout * 10)):
                if ami.connected:
                    break
                await asyncio.sleep(0.1)
            return await action(ami)
        finally:
            await ami.stop()

    try:
        return asyncio.run(run())
    except service.QueueError as exc:
        if quiet and exc.status == 503:
            return None
        _fail(exc)


def _reachable(host: str, port: int, timeout: float) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _skills(username: str, reason: str | None = None) -> list[tuple[str, int]]:
    """The agent's skills; an unknown agent (or pause reason) ends the command with the field named."""
    try:
        with session_scope() as session:
            if reason is not None:
                service.check_pause_reason(reason)
            return service.skills(session, service.get_agent(session, username))
    except service.QueueError as exc:
        _fail(exc)


@app.command("login")
def login(
    username: str,
    device: str = typer.Option("desk", help="The phone the queues ring: desk (softphone) or web (browser phone)."),
) -> None:
    """Log the agent into every queue they have a skill for (AMI QueueAdd), ringing one of their phones."""
    skills = _skills(username)
    try:
        with session_scope() as session:
            chosen = service.check_device(service.get_agent(session, username), device, get_settings().webrtc_enabled)
    except service.QueueError as exc:
        _fail(exc)
    added = _with_ami(lambda ami: control.login(ami, username, skills, chosen))
    typer.echo(f"{username} logged into {', '.join(added) or 'no new queue'} ({chosen} phone)")


@app.command("logout")
def logout(username: str) -> None:
    """Log the agent out of every queue (AMI QueueRemove)."""
    _skills(username)
    left = _with_ami(lambda ami: control.logout(ami, username))
    typer.echo(f"{username} logged out of {', '.join(left)}")


@app.command("pause")
def pause(username: str, reason: str = typer.Argument(..., help="break | lunch | training | backoffice")) -> None:
    """Pause the agent in every queue, with a reason (AMI QueuePause)."""
    _skills(username, reason)
    _with_ami(lambda ami: control.pause(ami, username, True, reason))
    typer.echo(f"{username} paused ({reason})")


@app.command("unpause")
def unpause(username: str) -> None:
    """End the agent's pause in every queue."""
    _skills(username)
    _with_ami(lambda ami: control.pause(ami, username, False))
    typer.echo(f"{username} available")


@app.command("live")
def live() -> None:
    """The live state as the API keeps it in Redis (JSON)."""
    import redis

    from centralita.bus import redis_url
    from queues.runtime import LIVE_KEY

    settings = get_settings()
    client = redis.Redis.from_url(
        redis_url(settings),
        socket_timeout=settings.external_timeout,
        socket_connect_timeout=settings.external_timeout,
        decode_responses=True,
    )
    try:
        typer.echo(client.get(LIVE_KEY) or "{}")
    except redis.RedisError as exc:
        typer.echo(f"error: redis: {exc}", err=True)
        raise typer.Exit(1)
