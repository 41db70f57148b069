"""PII redaction for stored transcripts: payment cards (Luhn-checked) and national IDs.

Two shapes of input: written text (digits as characters, e.g. notes or numbers the recognizer
wrote as digits) and recognized words, where a card number arrives as a run of spoken digits
("cuatro uno uno uno ..."). Redacted words keep their times so the same span can later be muted
in the audio. Patterns: Panama's cédula (8-123-456, PE-1-234, E-8-12345, N-..., 1AV-...),
Honduras' DNI (0801-1990-12345, 13 digits, department 01-18), Mexico's CURP (18 characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from recorder.text import plain as _plain

CARD, CEDULA_PA, DNI_HN, CURP_MX = "[TARJETA]", "[CEDULA]", "[DNI]", "[CURP]"

_MX_STATES = "AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS|TL|VZ|YN|ZS|NE"
ID_PATTERNS = [
    (
        CURP_MX,
        re.compile(
            rf"\b[A-Z][AEIOUX][A-Z]{{2}}\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[HMX]"
            rf"(?:{_MX_STATES})[B-DF-HJ-NP-TV-Z]{{3}}[A-Z\d]\d\b",
            re.IGNORECASE,
        ),
    ),
    # Province 1-13 (with AV/PI for old registrations), or PE / E / N prefixes; then book and entry.
    (CEDULA_PA, re.compile(r"\b(?:PE|E|N|(?:1[0-3]|[1-9])(?:AV|PI)?)-\d{1,4}-\d{1,6}\b", re.IGNORECASE)),
    (DNI_HN, re.compile(r"\b(?:0[1-9]|1[0-8])\d{2}[- ]?(?:19|20)\d{2}[- ]?\d{5}\b")),
]
# 13 to 19 digits, optionally grouped by single spaces or dashes (4-4-4-4, 4-6-5, ...).
_CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def redact_text(text: str) -> tuple[str, list[str]]:
    """(text with cards and national IDs replaced, kinds found in order)."""
    found: list[str] = []

    def card(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        if luhn_ok(digits):
            found.append(CARD)
            return CARD
        return match.group()

    # IDs first: a 13-digit DNI may pass Luhn by chance, and its own label is the truer one.
    for label, pattern in ID_PATTERNS:
        text, n = pattern.subn(label, text)
        found.extend([label] * n)
    text = _CARD_CANDIDATE.sub(card, text)
    return text, found


# Spoken digits, as Vosk writes them (lowercase; accents stripped before lookup).
SPOKEN_DIGITS = {
    "es": {
        "cero": "0",
        "uno": "1",
        "una": "1",
        "un": "1",
        "dos": "2",
        "tres": "3",
        "cuatro": "4",
        "cinco": "5",
        "seis": "6",
        "siete": "7",
        "ocho": "8",
        "nueve": "9",
    },
    "en": {
        "zero": "0",
        "oh": "0",
        "one": "1",
        "two": "2",
        "three": "3",
        "four": "4",
        "five": "5",
        "six": "6",
        "seven": "7",
        "eight": "8",
        "nine": "9",
    },
}


def _digit_of(word: str, table: dict[str, str]) -> str | None:
    plain = _plain(word)
    if plain.isdigit():
        return plain
    return table.get(plain)


@dataclass(frozen=True)
class Span:
    kind: str
    speaker: str
    start: float
    end: float


def redact_words(words: list, language: str = "es") -> tuple[list, list[Span]]:
    """Redact recognized words (objects with speaker/word/start/end, e.g. transcribe.Word).

    Per speaker, runs of spoken digits forming a Luhn-valid 13-19 digit number become one
    "[TARJETA]" word; each word is also run through `redact_text` (IDs the recognizer wrote
    as one token). Returns (new word list in the same order, redacted spans)."""
    table = SPOKEN_DIGITS.get(language, SPOKEN_DIGITS["es"])
    out = list(words)
    spans: list[Span] = []
    for speaker in {w.speaker for w in words}:
        idx = [i for i, w in enumerate(words) if w.speaker == speaker]
        for run in _digit_runs(idx, words, table):
            digits = "".join(_digit_of(words[i].word, table) or "" for i in run)  # a run's words are all digits
            card = _card_within(digits)
            if card is None:
                continue
            # Redact the whole run: the card's neighbours are usually its own misheard digits.
            for i in run:
                out[i] = replace(words[i], word=CARD)
            spans.append(Span(CARD, speaker, words[run[0]].start, words[run[-1]].end))
    for i, w in enumerate(out):
        if w.word == CARD:
            continue
        text, kinds = redact_text(w.word)
        if kinds:
            out[i] = replace(w, word=text)
            spans.append(Span(kinds[0], w.speaker, w.start, w.end))
    spans.sort(key=lambda s: s.start)
    return out, spans


def _digit_runs(idx: list[int], words: list, table: dict[str, str]):
    run: list[int] = []
    for i in idx:
        if _digit_of(words[i].word, table) is not None:
            run.append(i)
            continue
        if run:
            yield run
        run = []
    if run:
        yield run


def _card_within(digits: str) -> str | None:
    """A Luhn-valid 13-19 digit window of a spoken digit run (callers add digits before/after)."""
    for length in range(min(19, len(digits)), 12, -1):
        for start in range(len(digits) - length + 1):
            if luhn_ok(digits[start : start + length]):
                return digits[start : start + length]
    return None
