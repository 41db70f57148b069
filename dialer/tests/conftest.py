"""The dialer's tests are written for a Honduran collections center (the Tegucigalpa seed)."""

import pytest

from centralita.settings import reset_settings_cache


@pytest.fixture(autouse=True)
def honduras_region(monkeypatch):
    monkeypatch.setenv("CENTRALITA_DEFAULT_REGION", "HN")
    reset_settings_cache()
    yield
    reset_settings_cache()
