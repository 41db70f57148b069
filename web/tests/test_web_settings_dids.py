"""/settings/dids: a number mapped to a flow through ivr.service.set_did, committed, audited and applied
live by the same after_commit call as PUT /api/ivr/dids/<number>; bad values on their field."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from api.audit.models import AuditLog
from centralita.db import session_scope
from ivr import service as ivr
from web.tests.settings_helpers import client, login  # noqa: F401  (client: fixture)


def dids() -> list[tuple[str, str]]:
    with session_scope() as s:
        return ivr.list_dids(s)


def test_mapping_reaches_the_service_is_applied_and_audited(client, monkeypatch):
    import web.settings.common as page

    applied = []
    real = page.after_commit

    def spy(settings, changed):
        applied.append((set(changed), dids()))  # called after the commit: the change is already stored
        return real(settings, changed)

    monkeypatch.setattr(page, "after_commit", spy)
    csrf = login(client, "boss")
    r = client.post("/settings/dids", data={"form": "add", "number": " 322 ", "flow": "ventas", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/settings/dids"
    assert dids() == [("311", "tramites"), ("322", "ventas")]
    assert applied == [({"dialplan"}, [("311", "tramites"), ("322", "ventas")])]
    html = client.get("/settings/dids").text
    assert "El número 322 va al flujo «ventas»" in html and 'data-did="322"' in html
    # The API reads the same rows.
    assert {"number": "322", "flow": "ventas"} in client.get("/api/ivr/dids").json()
    # A row's own form moves an existing number.
    assert (
        client.post(
            "/settings/dids", data={"form": "row-1", "number": "311", "flow": "ventas", "csrf": csrf}
        ).status_code
        == 303
    )
    assert dids() == [("311", "ventas"), ("322", "ventas")]
    with session_scope() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "ivr.did.set").order_by(AuditLog.id)).all()
        assert [(r.target, r.detail, r.username) for r in rows][-2:] == [
            ("did:322", {"flow": "ventas"}, "boss"),
            ("did:311", {"flow": "ventas"}, "boss"),
        ]


@pytest.mark.parametrize(
    "form, data, key, message",
    [
        ("add", {"number": "31a"}, "add-number", "Solo dígitos, de 2 a 32."),
        ("add", {"number": "3"}, "add-number", "Solo dígitos"),
        ("add", {"flow": "ghost"}, "add-flow", "Elija uno de los flujos"),
        ("row-1", {"number": "311", "flow": "ghost"}, "row-1-flow", "Elija uno de los flujos"),
    ],
)
def test_a_bad_value_is_shown_on_its_field_and_nothing_is_stored(client, form, data, key, message):
    csrf = login(client, "boss")
    before = dids()
    with session_scope() as s:
        audited = s.exec(select(func.count()).select_from(AuditLog)).one()
    sent = {"form": form, "number": "322", "flow": "ventas"} | data
    r = client.post("/settings/dids", data=sent | {"csrf": csrf})
    assert r.status_code == 422
    found = re.search(rf'<span class="field-error" id="{key}-error">([^<]*)</span>', r.text)
    assert found and message in found.group(1)
    assert dids() == before
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(AuditLog)).one() == audited
