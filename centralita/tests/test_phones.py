"""The number normaliser's shortcut must give exactly what phonenumbers' full parse gives."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from centralita.phones import Normalizer, UnknownRegion, time_zone_of

REGIONS = ["HN", "MX", "PA", "GT", "SV", "CO", "ES", "US", "AR", "BR", "DE"]
TYPES = [
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
]


def full_parse(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def variants(region: str, rng: random.Random, n: int) -> list[str]:
    """Example numbers with digits mutated, lengths changed and written in several ways."""
    cc = phonenumbers.country_code_for_region(region)
    bases = [str(e.national_number) for t in TYPES if (e := phonenumbers.example_number_for_type(region, t))]
    out = []
    for _ in range(n):
        digits = list(rng.choice(bases))
        for _ in range(rng.randint(0, 3)):
            digits[rng.randrange(len(digits))] = rng.choice("0123456789")
        if rng.random() < 0.1:
            digits.pop()
        if rng.random() < 0.1:
            digits.append("7")
        raw = "".join(digits)
        out.append(
            rng.choice(
                [
                    raw,
                    f"+{cc} {raw}",
                    f"+{cc}{raw}",
                    f"{raw[:3]}-{raw[3:]}",
                    f"({raw[:3]}) {raw[3:]}",
                    f"{cc}{raw}",
                    f"00{cc}{raw}",
                ]
            )
        )
    return out


@pytest.mark.parametrize("region", REGIONS)
def test_shortcut_matches_full_parse(region):
    normalize = Normalizer(region)
    for raw in variants(region, random.Random(region), 1500):
        assert normalize(raw).e164 == full_parse(raw, region), raw


def test_errors_name_the_problem():
    n = Normalizer("hn")
    assert n("9123-4567").e164 == "+50491234567"
    assert n("").error == "empty"
    assert n("abc").error == "not a phone number"
    assert n("1234").error.startswith("not a valid number")
    assert n("+52 1 55").error  # too short for Mexico
    with pytest.raises(UnknownRegion):
        Normalizer("XX")


def test_time_zone_only_when_the_prefix_pins_one():
    assert time_zone_of("+50491234567") == "America/Tegucigalpa"
    assert time_zone_of("+12125551234") == "America/New_York"
    assert time_zone_of("+34911234567") == "Europe/Madrid"
    assert time_zone_of("+529991234567") in ("America/Merida", "America/Mexico_City")
