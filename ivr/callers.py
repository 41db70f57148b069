"""Who is calling: the caller's number in E.164 and the contact it belongs to, if any."""
from __future__ import annotations

import re

import phonenumbers
from sqlmodel import Session, select

from ivr.models import Contact

# Trunks prepend routing junk: "sip:", "+", "tel:", display names, a leading "00" or a carrier prefix "#31#".
_JUNK = re.compile(r"[^\d+]")


def normalise(raw: str, region: str) -> str:
    """'+507 6123-4567', '0050761234567', 'sip:61234567@trunk' → '+50761234567'; '' if not a phone number."""
    text = _JUNK.sub("", (raw or "").strip().split("@")[0].replace("sip:", "").replace("tel:", ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text.lstrip("+")) < 3:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_contact(session: Session, e164: str) -> Contact | None:
    if not e164:
        return None
    return session.exec(select(Contact).where(Contact.phone == e164)).first()


def save_contact(session: Session, phone: str, region: str, name: str = "", national_id: str = "",
                 note: str = "") -> Contact:
    e164 = normalise(phone, region)
    if not e164:
        raise ValueError(f"phone: '{phone}' is not a phone number")
    contact = find_contact(session, e164) or Contact(phone=e164)
    contact.name, contact.national_id, contact.note = name[:160], national_id[:32], note[:500]
    session.add(contact)
    return contact
