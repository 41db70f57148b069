"""What a caller hears of a booking, as the names Asterisk plays: the date and time with Asterisk's own
Spanish sounds ("el martes tres de diciembre a las nueve y treinta a.m."), and the code digit by digit.
Pure: `booking/agi.py` turns the names into files (`sound:` = Asterisk's sounds, `tts:` = our TTS)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def number(n: int) -> list[str]:
    """0–99 as Asterisk's Spanish number sounds: one file up to 30 (and 21–29), else tens 'y' units."""
    if n <= 30:
        return [f"sound:digits/{n}"]
    tens, units = divmod(n, 10)
    return [f"sound:digits/{tens * 10}"] + (["sound:digits/and", f"sound:digits/{units}"] if units else [])


def date_words(start: datetime, zone: ZoneInfo) -> list[str]:
    """'el martes tres de diciembre' (the first of a month is 'primero', as Asterisk says it)."""
    local = start.astimezone(zone)
    weekday = (local.weekday() + 1) % 7  # Asterisk's day-N counts from Sunday
    day = ["sound:digits/h-1"] if local.day == 1 else number(local.day)
    return [
        "sound:digits/es-el",
        f"sound:digits/day-{weekday}",
        *day,
        "sound:digits/es-de",
        f"sound:digits/mon-{local.month - 1}",
    ]


def time_words(start: datetime, zone: ZoneInfo) -> list[str]:
    """'a las nueve y treinta a.m.', 'a la una de la tarde', 'a las ocho p.m.' (12-hour clock)."""
    local = start.astimezone(zone)
    hour = local.hour % 12 or 12
    # "a las" is a sound; "a la una" is not, so that one is spoken by the TTS.
    out = ["tts:a la una"] if hour == 1 else ["sound:digits/at", f"sound:digits/{hour}"]
    if local.minute:
        out += ["sound:digits/and", *number(local.minute)]
    if local.hour < 12:
        out.append("sound:digits/a-m")
    elif local.hour < 19:
        out.append("sound:digits/afternoon")  # "de la tarde"
    else:
        out.append("sound:digits/p-m")
    return out


def when_words(start: datetime, zone: ZoneInfo, with_date: bool = True) -> list[str]:
    return (date_words(start, zone) if with_date else []) + time_words(start, zone)


def code_words(code: str) -> list[str]:
    """The confirmation code one digit at a time ('uno, dos, ...'), easy to write down."""
    return [f"sound:digits/{c}" for c in code if c.isdigit()]


def offer_words(starts: list[datetime], zone: ZoneInfo) -> list[str]:
    """The offered slots, each followed by 'marque N'; a slot on the same day as the one before is said
    by its time only."""
    out: list[str] = ["booking-offer"]
    previous = None
    for key, start in enumerate(starts, start=1):
        day = start.astimezone(zone).date()
        out += when_words(start, zone, with_date=day != previous)
        out += ["booking-press", f"sound:digits/{key}"]
        previous = day
    return out
