"""Phone numbers: E.164 with `phonenumbers`, one module for every capability.

- `caller_e164` is lenient, for caller IDs as trunks present them (IVR identification, recordings):
  it strips SIP URIs and routing junk and accepts any *possible* number.
- `Normalizer` is strict, for numbers we will dial (contact lists): valid numbers only, each error
  said in words, fast enough for big lists.

`phonenumbers.parse` costs about 30 µs a number, which alone would cap an import near 30,000
rows/s. Two shortcuts keep the answers identical while cutting most of that cost:
- every distinct input string is parsed once (lists repeat numbers, files repeat formats);
- a digits-only national number (or `+<cc>` and one) of a possible length, without leading zero
  and without anything parse() would strip (national prefix, carrier code, international prefix,
  the country code again), is exactly `PhoneNumber(cc, int(digits))`. Its validity is the region's
  general pattern plus any number type's pattern, which we precompile per length as one regex
  (phonenumbers tries up to ten patterns one by one). Anything else takes the full parse.
Country codes shared by several regions (+1, +7, ...) never take the shortcut: their validity
depends on which region claims the number. `centralita/tests/test_phones.py` checks the shortcut
against the full parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException, PhoneMetadata
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

# Trunks prepend routing junk: "sip:", "+", "tel:", display names, a leading "00" or a carrier prefix "#31#".
_CALLER_JUNK = re.compile(r"[^\d+]")

# Separators people type inside numbers; stripped before the digits-only shortcut.
_SEPARATORS = str.maketrans("", "", " -().\u00a0/")
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


class UnknownRegion(ValueError):
    pass


@dataclass(frozen=True)
class Parsed:
    """Either `e164` is set, or `error` says why the number cannot be dialled."""

    e164: str = ""
    error: str = ""


def check_region(region: str) -> str:
    region = (region or "").strip().upper()
    _metadata(region)
    return region


def _metadata(region: str) -> PhoneMetadata:
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise UnknownRegion(f"unknown region {region!r} (ISO 3166 code such as HN, MX, PA)")
    return meta


class Normalizer:
    """Normalises numbers of one default region; keeps a cache, so use one per import."""

    def __init__(self, region: str) -> None:
        self.region = check_region(region)
        meta = _metadata(self.region)
        if meta.country_code is None:  # only non-geographic entities lack one, and they are not regions
            raise UnknownRegion(f"region {self.region!r} has no country code")
        self._cc: int = meta.country_code
        self._plus_cc = f"+{self._cc}"
        self._valid_by_length = _validity_patterns(meta)
        if len(COUNTRY_CODE_TO_REGION_CODE.get(self._cc, ())) > 1:
            self._valid_by_length = {}
        # What parse() would strip or reinterpret at the start of a national number: a national prefix
        # or carrier code, an international call prefix, the region's own country code. Numbers
        # starting with any of these take the full parse.
        self._full_parse_prefix = _any_of(meta.national_prefix_for_parsing, meta.international_prefix, str(self._cc))
        self._npfp = _any_of(meta.national_prefix_for_parsing)
        self._cache: dict[str, Parsed] = {}

    def __call__(self, raw: str) -> Parsed:
        found = self._cache.get(raw)
        if found is None:
            found = self._cache[raw] = self._normalize(raw)
        return found

    def _normalize(self, raw: str) -> Parsed:
        text = raw.strip()
        if not text:
            return Parsed(error="empty")
        digits = text.translate(_SEPARATORS)
        if digits.startswith(self._plus_cc):
            national, prefixes = digits[len(self._plus_cc) :], self._npfp
        else:
            national, prefixes = digits, self._full_parse_prefix
        valid = self._valid_by_length.get(len(national))
        if (
            valid is not None
            and national.isdigit()
            and national.isascii()
            and national[0] != "0"
            and not (prefixes and prefixes.match(national))
        ):
            if valid.fullmatch(national):
                return Parsed(e164=f"{self._plus_cc}{national}")
            return Parsed(error=f"not a valid number in {self.region}")
        try:
            number = phonenumbers.parse(text, self.region)
        except NumberParseException as exc:
            return Parsed(error=_PARSE_ERRORS.get(exc.error_type, "not a phone number"))
        if not phonenumbers.is_valid_number(number):
            where = phonenumbers.region_code_for_country_code(number.country_code or 0)  # 0 → 'ZZ', unknown
            return Parsed(error=f"not a valid number in {where if where != 'ZZ' else self.region}")
        return Parsed(e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _any_of(*patterns: str | None) -> re.Pattern | None:
    alternatives = [f"(?:{p})" for p in patterns if p]
    return re.compile("|".join(alternatives)) if alternatives else None


_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _validity_patterns(meta: PhoneMetadata) -> dict[int, re.Pattern]:
    """Length -> one regex true exactly when phonenumbers' number-type check finds a type.

    Mirrors `_number_type_helper`: the general description must match, then any type whose
    possible lengths (its own, or none listed) admit the length and whose pattern matches.
    """
    general = meta.general_desc
    if general is None or not general.national_number_pattern:
        return {}
    out = {}
    for length in general.possible_length or ():
        types = []
        for attr in _TYPE_DESCS:
            desc = getattr(meta, attr, None)
            if desc is None or not desc.national_number_pattern:
                continue
            if desc.possible_length and length not in desc.possible_length:
                continue
            types.append(f"(?:{desc.national_number_pattern})")
        if types:
            out[length] = re.compile(f"(?=(?:{general.national_number_pattern})$)(?:{'|'.join(types)})")
    return out


def _zone_key_lengths() -> dict[str, int]:
    # Country codes are prefix-free, so a number's zone depends only on its first N digits, N being
    # the longest zone prefix under its country code (3 for +504, 7 for +1): the cache key below.
    lengths: dict[str, int] = {}
    for prefix in TIMEZONE_DATA:
        cc = next((prefix[:n] for n in (1, 2, 3) if int(prefix[:n]) in COUNTRY_CODE_TO_REGION_CODE), prefix)
        lengths[cc] = max(lengths.get(cc, 0), len(prefix))
    return lengths


_ZONE_KEY_LENGTHS = _zone_key_lengths()


@lru_cache(maxsize=65536)
def _zone_for_key(digits: str) -> str:
    for length in range(min(TIMEZONE_LONGEST_PREFIX, len(digits)), 0, -1):
        zones = TIMEZONE_DATA.get(digits[:length])
        if zones is not None:
            return zones[0] if len(zones) == 1 else ""
    return ""


def time_zone_of(e164: str) -> str:
    """The number's time zone when its prefix pins exactly one, else '' (the campaign's default applies).

    The same longest-prefix lookup phonenumbers does for geographic numbers, without re-parsing.
    """
    digits = e164.lstrip("+")
    for n in (1, 2, 3):
        length = _ZONE_KEY_LENGTHS.get(digits[:n])
        if length is not None:
            return _zone_for_key(digits[:length])
    return _zone_for_key(digits)


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def is_e164(value: str) -> bool:
    return bool(_E164.match(value))


def caller_e164(raw: str, region: str) -> str:
    """'+507 6123-4567', '0050761234567', 'sip:61234567@trunk' → '+50761234567'; '' if not a phone number."""
    text = _CALLER_JUNK.sub("", (raw or "").strip().split("@")[0].replace("sip:", "").replace("tel:", ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text.lstrip("+")) < 3:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# What a caller's own number may be for us to call it back: the caller chooses the caller ID they
# present, so a callback is a way out through the trunk (toll fraud: present a premium or foreign
# number, press the callback key, hang up). Numbers of the trunk's own region that are not premium.
_REFUSED_TYPES = {phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST}


def callback_refusal(raw: str, region: str) -> str:
    """Why `raw` must not be called back ('' when it may): not a number, another country, premium rate."""
    text = (raw or "").strip()
    if not re.fullmatch(r"\+?[0-9]{3,20}", text):
        return "not a phone number"
    meta = _metadata(region)
    international = text.startswith("+") or any(
        text.startswith(prefix) for prefix in ("00", "011", meta.international_prefix or "00") if prefix.isdigit()
    )
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return "not a phone number"
    if international and phonenumbers.region_code_for_number(number) != region:
        return "outside the region"
    if phonenumbers.number_type(number) in _REFUSED_TYPES:
        return "premium rate"
    return ""
