"""`centralita bench dialer --json` on a tiny scenario: the document's shape."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from centralita.cli.bench_cmd import bench_app

FIGURES = {
    "occupancy_mean",
    "occupancy_min",
    "abandon_mean",
    "abandon_max",
    "calls_per_agent_hour",
    "talk_share_mean",
    "cancelled_per_agent_hour",
    "refused_cancels",
}


def _invoke(args: list[str]):
    # Mounted as in the real CLI (`centralita bench dialer`): a lone command in a Typer app would
    # otherwise be collapsed into the app itself.
    root = typer.Typer()
    root.add_typer(bench_app, name="bench")
    return CliRunner().invoke(root, ["bench", *args])


def test_bench_dialer_json_shape():
    result = _invoke(["dialer", "--json", "--agents", "4", "--hours", "0.25", "--seeds", "2", "--workers", "1"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"scenario", "policies"}
    assert doc["scenario"]["agents"] == 4 and doc["scenario"]["seeds"] == 2
    assert {"progressive", "fixed_ratio", "adaptive", "predictive"} <= set(doc["policies"])
    for name, figures in doc["policies"].items():
        assert set(figures) == FIGURES, name
        assert 0.0 <= figures["occupancy_min"] <= figures["occupancy_mean"] <= 1.0
        assert 0.0 <= figures["abandon_mean"] <= figures["abandon_max"] <= 1.0
    assert doc["policies"]["progressive"]["abandon_max"] == 0.0
    assert doc["policies"]["fixed_ratio"]["abandon_max"] <= 0.03
    # Only ours hangs up ringing calls, and never before the minimum ring (none refused).
    assert doc["scenario"]["min_ring"] == 15.0
    assert all(f["refused_cancels"] == 0 for f in doc["policies"].values())
    assert all(doc["policies"][n]["cancelled_per_agent_hour"] == 0.0 for n in ("progressive", "fixed_ratio"))


def test_bench_dialer_refuses_bad_scenario():
    result = _invoke(["dialer", "--json", "--ring-min", "30", "--ring-max", "5"])
    assert result.exit_code != 0
    assert "ring_min" in result.output
