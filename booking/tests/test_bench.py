"""The bench runs end to end on a small load (figures are printed by `centralita bench booking`, never asserted)."""

from __future__ import annotations


def test_bench_shape_on_sqlite(tmp_path, monkeypatch):
    from booking.bench import run_bench
    from centralita.settings import reset_settings_cache

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CENTRALITA_DATA_DIR", str(tmp_path / "var"))
    reset_settings_cache()
    doc = run_bench(800, ("sqlite",), draws=10)
    figures = doc["backends"]["sqlite"]
    assert figures["bookings_stored"] == 800 and figures["booking_commit_ms"]["n"] >= 1
    assert set(figures["free_slot_lookup_ms"]) == {"n", "p50", "p95", "max"}
