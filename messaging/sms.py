"""Send one SMS through Kannel's smsbox (its sendsms HTTP interface).

Synchronous on purpose, like messaging/email.py: callers run it in a worker thread or a scheduler job
and store the delivery's outcome themselves. Every failure is an `SmsError` whose message names what to
fix (the setting, smsbox's address, Kannel's own answer) and never the password, which travels in the
query string as Kannel's interface requires (keep smsbox on loopback or a private network).

`SmsError.maybe_sent` tells a caller that keeps "at most once" whether a retry is safe: False when
Kannel certainly did not take the message (refused connection, an error answer), True when the request
may have reached it (the answer timed out or the connection dropped after sending).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx

from centralita.phones import Normalizer

# GSM 03.38: the default alphabet and its extension table. Text outside it goes as UCS-2 (coding=2,
# 70 characters a part instead of 160): Spanish á, í, ó, ú are not in GSM-7, ñ and é are.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_TEXT = 1000  # Kannel splits long text (sendsms-user max-messages); beyond this it is not an SMS


class SmsError(RuntimeError):
    """The message was not (knowingly) handed to Kannel; the text says why (stored with the delivery)."""

    def __init__(self, message: str, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


def valid_number(value: str, region: str) -> str:
    """The number in E.164, or ValueError saying what is wrong (a national number is read in `region`)."""
    parsed = Normalizer(region)(value or "")  # one per call: its cache would keep every number
    if parsed.error:
        raise ValueError(f"'{value}' is not a mobile number to text ({parsed.error}; e.g. +50761234567)")
    return parsed.e164


def gsm_fold(text: str) -> str:
    """Letters GSM-7 lacks written without their accent ('Código' → 'Codigo'; é, ñ and ü stay): a message
    in Spanish then goes as GSM-7, 160 characters a part, instead of UCS-2's 70."""
    import unicodedata

    def fold(ch: str) -> str:
        if ch in _GSM7:
            return ch
        base = unicodedata.normalize("NFKD", ch)[0]
        return base if base in _GSM7 else ch

    return "".join(fold(ch) for ch in text)


def coding_of(text: str) -> int:
    """Kannel's `coding`: 0 (GSM 7-bit) when every character is in the GSM alphabet, else 2 (UCS-2)."""
    return 0 if set(text) <= _GSM7 else 2


@dataclass(frozen=True)
class KannelConfig:
    url: str  # http://host:port/cgi-bin/sendsms
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    smsc: str = ""
    timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, settings) -> KannelConfig:
        return cls(
            url=settings.kannel_sendsms_url,
            user=settings.kannel_user,
            password=settings.kannel_password,
            sender=settings.kannel_from,
            smsc=settings.kannel_smsc,
            timeout_s=settings.kannel_timeout_s,
        )

    def check(self) -> None:
        if not self.url:
            raise SmsError("SMS is not configured: set CENTRALITA_KANNEL_SENDSMS_URL (and the user and password)")
        if not self.url.startswith(("http://", "https://")):
            raise SmsError(f"CENTRALITA_KANNEL_SENDSMS_URL must be an http(s) URL, not '{self.url}'")
        if not self.user or not self.password:
            raise SmsError(
                "CENTRALITA_KANNEL_USER and CENTRALITA_KANNEL_PASSWORD must be set (kannel.conf's sendsms-user)"
            )

    @property
    def where(self) -> str:
        return str(httpx.URL(self.url).copy_with(query=None))


@dataclass(frozen=True)
class SmsSent:
    reply: str  # Kannel's answer, e.g. "0: Accepted for delivery"


def send_sms(config: KannelConfig, to: str, text: str) -> SmsSent:
    """Hand one SMS to smsbox. `to` must already be E.164 (see valid_number). Raises SmsError."""
    config.check()
    if not _E164.match(to or ""):
        raise SmsError(f"'{to}' is not a number in E.164 (+ country code and number)")
    if not text.strip():
        raise SmsError("the message is empty")
    if len(text) > MAX_TEXT:
        raise SmsError(f"the message has {len(text)} characters; at most {MAX_TEXT}")
    params = {"username": config.user, "password": config.password, "to": to, "text": text, "charset": "UTF-8"}
    params["coding"] = str(coding_of(text))
    if config.sender:
        params["from"] = config.sender
    if config.smsc:
        params["smsc"] = config.smsc
    where = config.where
    try:
        response = httpx.get(config.url, params=params, timeout=config.timeout_s)
    except httpx.ConnectTimeout:
        raise SmsError(f"Kannel smsbox at {where} timed out connecting ({config.timeout_s:g} s)") from None
    except httpx.TimeoutException:
        # The request went out: smsbox may have queued it. Say so; the caller decides (no blind retry).
        raise SmsError(f"Kannel smsbox at {where} did not answer within {config.timeout_s:g} s", True) from None
    except httpx.ConnectError as exc:
        raise SmsError(f"Kannel smsbox at {where} unreachable: {exc}"[:500]) from None
    except httpx.HTTPError as exc:  # dropped mid-answer, protocol error: the request may have arrived
        raise SmsError(f"Kannel smsbox at {where} failed: {type(exc).__name__}: {exc}"[:500], True) from None
    reply = response.text.strip()
    # smsbox answers 202 "0: Accepted for delivery" or "3: Queued for later delivery" (bearerbox busy).
    if response.status_code in (200, 202) and reply[:2] in ("0:", "3:"):
        return SmsSent(reply=reply[:200])
    if response.status_code == 403:
        raise SmsError(
            f"Kannel smsbox at {where} refused the login: check CENTRALITA_KANNEL_USER/PASSWORD ({reply})"[:500]
        )
    raise SmsError(f"Kannel smsbox at {where} answered {response.status_code}: {reply}"[:500])
