"""Who is calling: the caller's number in E.164 and the contact it belongs to, if any."""

from __future__ import annotations

from sqlmodel import Session, select

from centralita.errors import FieldError
from centralita.phones import caller_e164
from ivr.models import Contact


def find_contact(session: Session, e164: str) -> Contact | None:
    if not e164:
        return None
    return session.exec(select(Contact).where(Contact.phone == e164)).first()


def save_contact(
    session: Session, phone: str, region: str, name: str = "", national_id: str = "", note: str = ""
) -> Contact:
    e164 = caller_e164(phone, region)
    if not e164:
        raise FieldError("phone", f"'{phone}' is not a phone number")
    contact = find_contact(session, e164) or Contact(phone=e164)
    contact.name, contact.national_id, contact.note = name[:160], national_id[:32], note[:500]
    session.add(contact)
    return contact
