"""The `centralita` command. Each capability contributes its own typer sub-app."""

from __future__ import annotations

import sys

import typer

from centralita.settings import SettingsError

app = typer.Typer(help="Centralita: a self-hosted contact center around Asterisk.", no_args_is_help=True)


def _register() -> None:
    # Imported here so `centralita --help` stays fast and one broken capability names itself.
    from api.users.cli import user_app
    from centralita.cli.asterisk_cmd import asterisk_app
    from centralita.cli.bench_cmd import bench_app
    from centralita.cli.db_cmd import db_app
    from centralita.cli.demo_cmd import demo_app
    from centralita.cli.stack_cmd import register_stack_commands

    app.add_typer(db_app, name="db")
    app.add_typer(asterisk_app, name="asterisk")
    app.add_typer(user_app, name="user")
    app.add_typer(demo_app, name="demo")
    app.add_typer(bench_app, name="bench")
    register_stack_commands(app)
    from centralita.capabilities import contributions

    groups: dict[str, typer.Typer] = {}
    for name, module in contributions("cli"):
        parent, _, leaf = name.rpartition(".")
        if parent:  # "reports.staffing" → `centralita reports staffing` (parent listed first, or made here)
            if parent not in groups:
                groups[parent] = typer.Typer(help=f"{parent} commands.", no_args_is_help=True)
                app.add_typer(groups[parent], name=parent)
            groups[parent].add_typer(module.app, name=leaf)
            continue
        groups[name] = module.app
        app.add_typer(module.app, name=name)
        for command, sub_app in getattr(module, "top_level", {}).items():  # e.g. `centralita flow`
            app.add_typer(sub_app, name=command)


def main() -> None:
    _register()
    try:
        app()
    except SettingsError as exc:
        # Bad configuration: one clear line naming the setting, non-zero exit, nothing written.
        print(f"centralita: {exc}", file=sys.stderr)
        sys.exit(2)
