"""The forecast methods on hand-made and generated histories (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reports.staffing import forecast as fc

TZ = ZoneInfo("America/Guayaquil")  # UTC-5, no DST: the seeds' Ecuadorian center
FIRST = date(2026, 8, 3)  # a Monday


def _table(history, days):
    return fc.daily_table(history, [FIRST + timedelta(days=i) for i in range(days)], TZ)


def test_local_intervals_and_seasonal_average_by_hand():
    # Two Mondays: 09:00 local had 4 then 6 calls → the next Monday 09:00 expects 5; other slots 0.
    nine = fc.slot_start(FIRST, 36, TZ)
    assert nine == datetime(2026, 8, 3, 14, 0, tzinfo=UTC)
    hist = {nine: 4.0, nine + timedelta(days=7): 6.0}
    table = _table(hist, 14)
    out = fc.seasonal_average(table, [FIRST + timedelta(days=14)])
    row = out[FIRST + timedelta(days=14)]
    assert row[36] == 5.0 and sum(row) == 5.0


def test_wape_by_hand():
    assert fc.wape([10, 0, 30], [12, 1, 24]) == pytest.approx((2 + 1 + 6) / 40)
    assert fc.wape([0, 0], [1, 2]) is None


def test_holt_winters_needs_two_weeks_else_baseline():
    hist = fc.generated_history(FIRST, 10, 1, TZ)
    table = _table(hist, 10)
    target = [FIRST + timedelta(days=10)]
    assert fc.holt_winters(table, target) == fc.seasonal_average(table, target)


def test_forecast_beats_the_seasonal_average_on_a_growing_seasonal_history():
    # 16 weeks: weekly and intraday seasonality, +1.5 % a week, a random day effect and Poisson counts.
    hist = fc.generated_history(FIRST, 16 * 7, 20261201, TZ, calls_per_day=600, weekly_growth=0.015)
    result = fc.backtest(_table(hist, 16 * 7), weeks=4)
    hw, sa = result["holt_winters_wape"], result["seasonal_average_wape"]
    assert len(result["weeks"]) == 4
    assert hw < sa  # the better method is better here …
    assert sa - hw > 0.004  # … by more than noise (0.2355 vs 0.2453 at this seed)


def test_on_a_flat_history_both_are_close():
    # Without growth the seasonal average is the right model; the forecast must not be much worse.
    hist = fc.generated_history(FIRST, 16 * 7, 20261201, TZ, calls_per_day=600, weekly_growth=0.0)
    result = fc.backtest(_table(hist, 16 * 7), weeks=4)
    assert abs(result["holt_winters_wape"] - result["seasonal_average_wape"]) < 0.01


def test_dst_zone_keeps_local_slots():
    # Santiago leaves DST on 2026-04-05: 09:00 local is 12:00 UTC before, 13:00 UTC after.
    tz = ZoneInfo("America/Santiago")
    assert fc.slot_start(date(2026, 4, 4), 36, tz).hour == 12
    assert fc.slot_start(date(2026, 4, 6), 36, tz).hour == 13
