"""Walking flows without Asterisk: the path a call would leave, business hours at an injected time."""

from __future__ import annotations

from datetime import UTC, datetime

from ivr.flowdef import FlowDefinition, HoursNode
from ivr.hours import is_open, parse_clock
from ivr.lookup import LookupFailed
from ivr.simulate import simulate
from ivr.tests.flows import sample_flow

MONDAY_10 = parse_clock("2026-11-23T10:00-05:00")


def walk(digits, at=MONDAY_10, fetch=None, overrides=None):
    flow = FlowDefinition.model_validate(sample_flow())
    return simulate(
        "t",
        3,
        flow,
        digits,
        at=at,
        default_queue="atencion",
        overrides=overrides,
        fetch=fetch or (lambda node, d: {"found": True, "debt": 12.5}),
    )


def test_menu_lookup_and_queue_paths():
    result = walk(["1", "123455"])
    assert result.path_text == "flow:t/v3>hours:open>main:1>debt:ok>hangup"
    assert result.said == ["amount 12.5"]
    assert walk(["2"]).path_text == "flow:t/v3>hours:open>main:2>queue:ventas"
    assert walk(["0"]).path_text == "flow:t/v3>hours:open>main:0>queue:atencion"  # 0 reaches a person


def test_invalid_timeout_and_bad_digits_paths():
    assert walk(["7", "8"]).path_text == "flow:t/v3>hours:open>main:invalid>main:invalid>queue:atencion"
    assert walk([]).path_text == "flow:t/v3>hours:open>main:timeout>main:timeout>queue:atencion"
    # A wrong check digit three times: no lookup, a person instead.
    assert walk(["1", "123456", "123457", "1"]).path_text == "flow:t/v3>hours:open>main:1>debt:invalid>queue:atencion"


def test_lookup_failure_takes_the_fallback():
    def down(node, digits):
        raise LookupFailed("ConnectError")

    result = walk(["1", "123455"], fetch=down)
    assert result.path_text == "flow:t/v3>hours:open>main:1>debt:fail>queue:atencion"


def test_business_hours_with_injected_time_holiday_and_override():
    assert walk([], at=parse_clock("2026-12-24T20:00-05:00")).path_text == "flow:t/v3>hours:closed>closed>hangup"
    assert walk([], at=parse_clock("2026-12-25T10:00-05:00")).path == ["flow:t/v3", "hours:closed", "closed", "hangup"]
    assert walk(["2"], at=parse_clock("2026-12-24T20:00-05:00"), overrides={"hours": "open"}).path[-1] == "queue:ventas"
    assert walk([], overrides={"hours": "closed"}).path[1] == "hours:closed"


def test_hours_use_the_nodes_time_zone():
    node = HoursNode.model_validate(
        {
            "timezone": "America/Panama",
            "schedule": {"mon": ["08:00-16:00"]},
            "open": {"type": "hangup"},
            "closed": {"type": "hangup"},
        }
    )
    # 14:00 UTC is 09:00 in Panama (open); 22:00 UTC is 17:00 (closed).
    assert is_open(node, datetime(2026, 11, 23, 14, tzinfo=UTC))
    assert not is_open(node, datetime(2026, 11, 23, 22, tzinfo=UTC))
    assert not is_open(node.model_copy(update={"override": "closed"}), datetime(2026, 11, 23, 14, tzinfo=UTC))
