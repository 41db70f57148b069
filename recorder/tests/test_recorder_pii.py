"""PII redaction: Luhn-checked card numbers, Panama cédula, Honduras DNI, Mexico CURP."""

from __future__ import annotations

import pytest

from recorder import pii
from recorder.transcribe import Word

VISA = "4111111111111111"  # standard test numbers, Luhn-valid
AMEX = "378282246310005"
MASTERCARD = "5555 5555 5555 4444"


@pytest.mark.parametrize(
    "number, ok",
    [
        (VISA, True),
        (AMEX, True),
        ("79927398713", True),
        ("4111111111111112", False),
        ("", False),
        ("41a1", False),
    ],
)
def test_luhn(number, ok):
    assert pii.luhn_ok(number) is ok


@pytest.mark.parametrize(
    "text, expected, kinds",
    [
        (f"mi tarjeta es {VISA} gracias", "mi tarjeta es [TARJETA] gracias", ["[TARJETA]"]),
        (f"es la {MASTERCARD}.", "es la [TARJETA].", ["[TARJETA]"]),
        ("amex 3782-822463-10005 vence", "amex [TARJETA] vence", ["[TARJETA]"]),
        # A 16-digit number failing Luhn is not a card (an account or a reference number): kept.
        ("referencia 4111111111111112", "referencia 4111111111111112", []),
        ("cédula 8-123-4567 y la 4-56-789", "cédula [CEDULA] y la [CEDULA]", ["[CEDULA]", "[CEDULA]"]),
        (
            "extranjero E-8-123456, panameño en el exterior PE-12-345, naturalizado N-19-1234",
            "extranjero [CEDULA], panameño en el exterior [CEDULA], naturalizado [CEDULA]",
            ["[CEDULA]"] * 3,
        ),
        ("antes de 1914: 1AV-12-345", "antes de 1914: [CEDULA]", ["[CEDULA]"]),
        ("mi DNI 0801-1990-12345", "mi DNI [DNI]", ["[DNI]"]),
        ("identidad 0801199012345 por favor", "identidad [DNI] por favor", ["[DNI]"]),
        ("CURP GODE561231HDFRRN09 ok", "CURP [CURP] ok", ["[CURP]"]),
        ("curp minúsculas gode561231mdfrrn09", "curp minúsculas [CURP]", ["[CURP]"]),
        # Look-alikes that are not IDs: a date, a phone number, a department 19 DNI, a CURP with month 13.
        # (A date written 12-05-2024 *is* redacted: it has the shape of a province-12 cédula.)
        ("el 12/05/2024 llamé al 507-6123-4567", "el 12/05/2024 llamé al 507-6123-4567", []),
        ("1901-1990-12345", "1901-1990-12345", []),
        ("GODE561331HDFRRN09", "GODE561331HDFRRN09", []),
    ],
)
def test_redact_text(text, expected, kinds):
    assert pii.redact_text(text) == (expected, kinds)


def _spoken(speaker: str, words: list[str], start: float = 0.0) -> list[Word]:
    return [Word(speaker, w, start + i * 0.4, start + i * 0.4 + 0.3, 0.9) for i, w in enumerate(words)]


DIGITS_ES = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]


def _say_number(number: str, table=DIGITS_ES) -> list[str]:
    return [table[int(d)] for d in number]


def test_spoken_card_number_is_redacted_keeping_times():
    words = _spoken("caller", ["es", "la", *_say_number(VISA), "vence", "en", "marzo"]) + _spoken(
        "agent", ["gracias"], start=20.0
    )
    out, spans = pii.redact_words(words, "es")
    assert [w.word for w in out[2:18]] == ["[TARJETA]"] * 16
    assert [w.word for w in out[:2]] == ["es", "la"] and out[18].word == "vence"
    assert [(w.start, w.end) for w in out] == [(w.start, w.end) for w in words]  # mute that audio span later
    assert spans == [pii.Span("[TARJETA]", "caller", words[2].start, words[17].end)]


DIGITS_EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def test_spoken_card_with_extra_digits_english_and_digit_tokens():
    # The caller says a digit too many before the number: the Luhn-valid window inside is found.
    words = _spoken("caller", ["one", *_say_number(AMEX, DIGITS_EN), "thanks"])
    out, spans = pii.redact_words(words, "en")
    assert out[-1].word == "thanks" and {w.word for w in out[:-1]} == {"[TARJETA]"} and len(spans) == 1
    # Recognizers may also write digits as digit tokens.
    tokens = _spoken("caller", ["4111", "1111", "1111", "1111"])
    assert len(pii.redact_words(tokens, "es")[1]) == 1


def test_spoken_digits_that_are_not_a_card_stay():
    phone = _spoken("caller", _say_number("60001234"))  # too short for a card
    assert pii.redact_words(phone, "es") == (phone, [])
    # 13 digits with no Luhn-valid window (checked here so the example stays honest).
    number = "1234567890123"
    assert not pii.luhn_ok(number)
    account = _spoken("caller", _say_number(number))
    assert pii.redact_words(account, "es")[1] == []


def test_digits_of_two_speakers_are_not_joined():
    half = VISA[:8], VISA[8:]
    words = _spoken("caller", _say_number(half[0])) + _spoken("agent", _say_number(half[1]), start=0.2)
    assert pii.redact_words(words, "es")[1] == []


def test_ids_written_as_one_token_in_words():
    words = _spoken("caller", ["mi", "cédula", "8-123-4567"])
    out, spans = pii.redact_words(words, "es")
    assert out[2].word == "[CEDULA]" and spans[0].kind == "[CEDULA]"
