"""The demo self-service integration the API serves (the seeds' three cases): taxpayer debt by taxpayer
number, procedure status by case number, account number by national ID. Fake, fixed data for demos and
tests; a real deployment points its lookup nodes at its own systems instead."""

from __future__ import annotations

import hashlib
import hmac

from centralita.settings import Settings

TAXPAYERS = {  # Luhn-valid taxpayer numbers (the demo flow checks the digit)
    "123455": {"name": "Ana Pérez", "debt": 1250.75, "due": "2026-12-15"},
    "200014": {"name": "Bruno Díaz", "debt": 0, "due": "2026-12-15"},
    "313379": {"name": "Carla Ruiz", "debt": 87.5, "due": "2027-01-10"},
}
CASES = {
    "4021": {"status": "en revisión", "updated": "2026-11-20", "office": "Catastro"},
    "4022": {"status": "aprobado, puede retirar su documento", "updated": "2026-11-18", "office": "Permisos"},
}
ACCOUNTS = {
    "81234567": {"account": "7700123", "name": "Ana Pérez"},
}


def integration_key(settings: Settings) -> str:
    """Bearer key the demo flow's lookup nodes send: derived from the secret key, so nothing extra is
    stored and it never expires (unlike user tokens)."""
    return hmac.new(settings.secret_key.encode(), b"centralita-ivr-demo-integration", hashlib.sha256).hexdigest()


def taxpayer(number: str) -> dict:
    row = TAXPAYERS.get(number)
    return {"found": False} if row is None else {"found": True, **row}


def case(number: str) -> dict:
    row = CASES.get(number)
    return {"found": False} if row is None else {"found": True, **row}


def account(national_id: str) -> dict:
    row = ACCOUNTS.get(national_id)
    return {"found": False} if row is None else {"found": True, **row}
