"""The soak's rate comes from the Panamá seed as the README says, and its mix accounts for every call."""

import pytest

from centralita.soak import rate


def test_ten_times_the_peak_hour_of_the_busiest_seed():
    derived = rate.derive()
    # 249,509 calls / (10 * 365.25 / 12 days) * 15 % in the peak hour * 10 / 3600 s
    assert derived["calls_per_s"] == pytest.approx(249_509 / (10 * 365.25 / 12) * 0.15 * 10 / 3600, abs=1e-4)
    assert derived["calls_per_s"] == pytest.approx(0.3416, abs=1e-4)
    assert "249,509" in derived["how"] and "1230 calls/h" in derived["how"]


@pytest.mark.parametrize("total", [0, 1, 2, 3, 4, 6, 7, 410, 1001])
def test_the_plan_places_exactly_the_calls_asked(total):
    counts = rate.plan(total)
    assert sum(counts.values()) == total and set(counts) == set(rate.MIX)
    if total >= 3:
        assert min(counts.values()) >= 1


def test_the_twenty_minute_plan():
    assert rate.plan(410) == {"ivr": 205, "queue": 123, "dialer": 82}


def test_a_negative_count_is_refused_by_name():
    with pytest.raises(ValueError, match="calls"):
        rate.plan(-1)
