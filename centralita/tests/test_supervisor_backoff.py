"""The supervisor's restart backoff, on real child processes that exit at once, with an injected clock:
crashes in a row wait longer each time; a child that stayed up HEALTHY_AFTER seconds starts over."""

from __future__ import annotations

import sys

from centralita.settings import Settings
from centralita.stack import HEALTHY_AFTER, Child, Supervisor, restart_delay


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _crashing_child(tmp_path) -> Child:
    return Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "crasher.log")


def _crash(sup: Supervisor, child: Child) -> float:
    """Let the child's process end, then one watch pass; returns the delay it scheduled."""
    child.proc.wait(10)
    lines = sup.lines
    before = len(lines)
    sup.check_children()
    assert len(lines) == before + 1 and "exited with code 3" in lines[-1], lines
    return child.next_start - sup.clock()


def _restart_when_due(sup: Supervisor, child: Child, clock: Clock) -> None:
    old = child.proc
    clock.t = child.next_start
    sup.check_children()
    assert child.proc is not old, "not restarted when due"


def _supervisor(tmp_path, clock: Clock) -> Supervisor:
    lines: list[str] = []
    sup = Supervisor(Settings(data_dir=tmp_path, secret_key="k", ami_secret="a", ari_secret="b"), lines.append, clock)
    sup.lines = lines
    return sup


def test_delays_grow_while_crashing_and_reset_after_a_healthy_run(tmp_path):
    clock = Clock()
    sup = _supervisor(tmp_path, clock)
    child = _crashing_child(tmp_path)
    sup.children.append(child)
    sup._spawn(child)

    delays = []
    for _ in range(5):  # crash loop: each restart comes right after the start
        delays.append(_crash(sup, child))
        _restart_when_due(sup, child, clock)
    assert delays == [0.5, 2, 4, 8, 10]

    clock.t += HEALTHY_AFTER  # this run stayed up long enough: the next crash is treated as the first
    assert _crash(sup, child) == restart_delay(0) == 0.5
    _restart_when_due(sup, child, clock)
    clock.t += HEALTHY_AFTER - 1  # a shorter run keeps climbing from there
    assert _crash(sup, child) == 2


def test_a_dead_child_is_not_restarted_before_its_delay(tmp_path):
    clock = Clock()
    sup = _supervisor(tmp_path, clock)
    child = _crashing_child(tmp_path)
    sup.children.append(child)
    sup._spawn(child)
    delay = _crash(sup, child)
    first = child.proc
    clock.t += delay / 2
    sup.check_children()
    assert child.proc is first and child.restarts == 0
