import pytest

from api.health.service import overall
from centralita.settings import SettingsError
from centralita.telephony import provision


def test_overall_verdict():
    ok = {"status": "ok"}
    down = {"status": "down"}
    base = {"database": ok, "redis": ok, "ami": ok, "ari": ok, "fastagi": ok}
    assert overall(base) == "ok"
    assert overall({**base, "ami": down, "ari": down}) == "degraded"
    assert overall({**base, "database": down}) == "down"


def test_mirror_is_read_from_apt_sources(tmp_path):
    deb822 = tmp_path / "debian.sources"
    deb822.write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    )
    assert provision.debian_mirror([str(deb822)]) == "http://mirror.example/debian"
    legacy = tmp_path / "sources.list"
    legacy.write_text("deb [arch=amd64] https://other.example/debian bookworm main\n")
    assert provision.debian_mirror([str(legacy)]) == "https://other.example/debian"
    with pytest.raises(SettingsError, match="CENTRALITA_DEBIAN_MIRROR"):
        provision.debian_mirror([str(tmp_path / "missing")])
