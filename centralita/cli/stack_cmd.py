"""`centralita init|up|down|status|serve`: run the stack in the foreground or in the background."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import typer

from centralita.settings import get_settings


def register_stack_commands(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(up)
    app.command()(down)
    app.command()(status)
    app.command()(serve)


def init() -> None:
    """Create .env with random secrets (once), migrate the database and render Asterisk's config."""
    from centralita.settings import reset_settings_cache
    from centralita.stack import init_env_file

    if init_env_file():
        typer.echo("wrote .env with new random secrets")
        reset_settings_cache()
    from centralita import db
    from centralita.telephony.provision import provision

    settings = get_settings()
    settings.require_secrets()
    db.upgrade()
    provision(settings, echo=typer.echo)
    typer.echo("ready: run `centralita up`")


def _health(settings, timeout: float = 2.0) -> dict | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{settings.api_port}/api/health", timeout=timeout)
        return response.json()
    except (httpx.HTTPError, ValueError):
        return None


def _wait_healthy(settings, timeout: float, proc: subprocess.Popen | None = None) -> dict | None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return last
        last = _health(settings)
        if last and last.get("status") == "ok":
            return last
        time.sleep(0.3)
    return last


def up(
    detach: bool = typer.Option(False, "--detach", "-d", help="Run in the background."),
    wait: float = typer.Option(120, help="With -d: seconds to wait for health ok."),
) -> None:
    """Start Redis, Asterisk, FastAGI and the API; Ctrl-C stops them all."""
    from centralita import db
    from centralita.stack import Supervisor, pid_file, preflight
    from centralita.telephony.provision import provision
    from centralita.telephony.service import render_config

    settings = get_settings()
    preflight(settings)
    if detach:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        with (settings.log_dir / "up.log").open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "centralita.cli", "up"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        health = _wait_healthy(settings, wait, proc)
        if proc.poll() is not None:
            typer.echo(f"the stack failed to start; see {settings.log_dir / 'up.log'}", err=True)
            raise typer.Exit(1)
        typer.echo(json.dumps(health or {"status": "starting"}))
        typer.echo(f"running in the background (pid {proc.pid}); logs in {settings.log_dir}")
        return
    provision(settings, echo=typer.echo)
    db.upgrade()
    render_config(settings)
    sup = Supervisor(settings, echo=lambda line: typer.echo(line))
    sup.plan()
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    pid_file(settings).write_text(str(os.getpid()))
    signal.signal(signal.SIGTERM, sup.request_stop)
    signal.signal(signal.SIGINT, sup.request_stop)
    try:
        sup.start_all()
        typer.echo(f"Centralita is starting: http://127.0.0.1:{settings.api_port}/ (health: /api/health)")
        sup.watch()
    finally:
        sup.stop_all()
        pid_file(settings).unlink(missing_ok=True)
        typer.echo("Centralita stopped")


def down(timeout: float = 40) -> None:
    """Stop a stack started with `up -d`."""
    from centralita.stack import _pid_alive, pid_file, read_pid

    settings = get_settings()
    pid = read_pid(settings)
    if pid is None or not _pid_alive(pid):
        pid_file(settings).unlink(missing_ok=True)
        typer.echo("the stack is not running")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.2)
    if _pid_alive(pid):
        typer.echo(f"the stack (pid {pid}) did not stop within {timeout:.0f} s", err=True)
        raise typer.Exit(1)
    typer.echo("stopped")


def status() -> None:
    """Print the same health document as GET /api/health (exit 0 ok, 1 degraded, 2 down)."""
    import asyncio

    from api.health.service import health

    settings = get_settings()
    result = _health(settings)
    if result is None:
        # The API is not answering: check what can be checked from here.
        result = asyncio.run(health(settings, None))
        result["components"]["api"] = {"status": "down", "detail": "the API does not answer"}
        result["status"] = "down" if result["status"] == "down" else "degraded"
    typer.echo(json.dumps(result, indent=2))
    raise typer.Exit({"ok": 0, "degraded": 1}.get(result["status"], 2))


def serve(service: str = typer.Argument(..., help="api or fastagi")) -> None:
    """Run one service in the foreground (what `up` supervises)."""
    import logging

    settings = get_settings()
    settings.require_secrets()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if service == "api":
        import uvicorn

        from api.app import create_app

        uvicorn.run(
            create_app(), host=settings.bind_host, port=settings.api_port, log_level="info", timeout_graceful_shutdown=5
        )
    elif service == "fastagi":
        import asyncio

        from ivr.agi_app import build_server

        async def run() -> None:
            server = build_server()
            await server.start(settings.bind_host, settings.fastagi_port)
            logging.getLogger("centralita.fastagi").info(
                "FastAGI listening on %s:%s", settings.bind_host, settings.fastagi_port
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
            await server.stop()

        asyncio.run(run())
    else:
        typer.echo("service: must be api or fastagi", err=True)
        raise typer.Exit(2)
