"""/settings/queues: a queue created and changed with every field through queues.service.save_queue and
the API's body models, committed with its audit row, then dialplan and queues applied; each bad value
comes back on its field with nothing stored."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from api.audit.models import AuditLog
from centralita.db import session_scope
from queues import service as queues
from web.tests.settings_helpers import center, client, field_message, login  # noqa: F401  (fixtures)

FULL = {
    "name": "cobros",
    "label": "Cobros y pagos",
    "strategy": "leastrecent",
    "member_timeout": "20",
    "wrapup_seconds": "10",
    "max_wait_seconds": "120",
    "announce_frequency": "45",
    "overflow_type": "queue",
    "overflow_queue": "atencion",
    "overflow_number": "",
    "info_prompt": "custom/horario",
    "callback_key": "5",
}


def stored() -> tuple[list[dict], int]:
    with session_scope() as s:
        rows = [q.model_dump(exclude={"id"}) for q in queues.list_queues(s)]
        return rows, s.exec(select(func.count()).select_from(AuditLog)).one()


@pytest.fixture
def applied(monkeypatch):
    """The modules each form asked the one after-commit path to reload, with the queues stored by then."""
    import web.settings.common as common

    calls, real = [], common.after_commit

    def spy(settings, changed):
        calls.append((set(changed), [q["name"] for q in stored()[0]]))
        return real(settings, changed)

    monkeypatch.setattr(common, "after_commit", spy)
    return calls


def test_create_with_every_field_then_change_it(center, applied):
    csrf = login(center, "boss")
    r = center.post("/settings/queues", data=FULL | {"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/settings/queues"
    assert applied == [({"dialplan", "queues"}, ["atencion", "cobros"])]  # after the commit
    with session_scope() as s:
        q = queues.get_queue(s, "cobros")
        assert (q.label, q.strategy, q.member_timeout, q.wrapup_seconds) == ("Cobros y pagos", "leastrecent", 20, 10)
        assert (q.max_wait_seconds, q.announce_frequency, q.info_prompt, q.callback_key) == (
            120,
            45,
            "custom/horario",
            "5",
        )
        assert q.overflow == {"type": "queue", "queue": "atencion"}
        audit = s.exec(select(AuditLog).where(AuditLog.action == "queue.create", AuditLog.target == "cobros")).one()
        assert (audit.target, audit.username) == ("cobros", "boss")
    html = center.get("/settings/queues").text
    assert "Cola «cobros» creada." in html and 'data-queue="cobros"' in html
    assert "Al que hace más tiempo que no atiende" in html and "Pasar a otra cola: atencion" in html
    assert {"name": "cobros", "strategy": "leastrecent"}.items() <= center.get("/api/queues").json()[1].items()

    change = FULL | {"strategy": "ringall", "overflow_type": "external", "overflow_number": "+50761234567"}
    r = center.post("/settings/queues/cobros", data=change | {"callback_key": "", "csrf": csrf})
    assert r.status_code == 303
    with session_scope() as s:
        q = queues.get_queue(s, "cobros")
        assert (q.strategy, q.overflow, q.callback_key) == (
            "ringall",
            {"type": "external", "number": "+50761234567"},
            "",
        )
        assert s.exec(select(AuditLog).where(AuditLog.action == "queue.update")).one().detail["strategy"] == "ringall"
    assert "Cola «cobros» guardada." in center.get("/settings/queues").text


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": "Con Espacios"}, "name", "De 1 a 64 minúsculas"),
        ({"name": "general"}, "name", "no «general»"),
        ({"name": "atencion"}, "name", "Ya existe una cola con ese nombre."),
        ({"label": "x" * 201}, "label", "como máximo 200"),
        ({"strategy": "shortest"}, "strategy", "Elija una de las estrategias"),
        ({"member_timeout": "abc"}, "member_timeout", "de 5 a 300 segundos"),
        ({"member_timeout": "3"}, "member_timeout", "de 5 a 300 segundos"),
        ({"wrapup_seconds": "601"}, "wrapup_seconds", "de 0 a 600 segundos"),
        ({"max_wait_seconds": "-5"}, "max_wait_seconds", "de 10 a 7200 segundos"),
        ({"announce_frequency": "1.5"}, "announce_frequency", "0: sin anuncios"),
        ({"overflow_type": "voicemail"}, "overflow-type", "Elija qué pasa"),
        ({"overflow_queue": ""}, "overflow-queue", "Elija otra cola existente"),
        ({"overflow_queue": "fantasma"}, "overflow-queue", "Elija otra cola existente"),
        ({"overflow_type": "external", "overflow_number": "12a"}, "overflow-number", "De 2 a 20 dígitos"),
        ({"info_prompt": "mi mensaje!"}, "info_prompt", "archivo de sonido"),
        ({"callback_key": "x"}, "callback_key", "Una tecla"),
    ],
)
def test_a_bad_value_is_shown_on_its_field_and_nothing_is_stored(center, applied, data, field, message):
    csrf = login(center, "boss")
    before = stored()
    r = center.post("/settings/queues", data=FULL | data | {"csrf": csrf})
    assert r.status_code == 422 and message in field_message(r.text, f"create-{field}"), r.text[-3000:]
    assert 'aria-invalid="true"' in r.text and 'id="queue-create"' in r.text
    assert stored() == before and applied == []
    assert "label" in data or 'value="Cobros y pagos"' in r.text  # what was typed comes back


def test_a_change_is_refused_on_its_own_queue_form(center):
    csrf = login(center, "boss")
    before = stored()
    same = FULL | {"overflow_type": "queue", "overflow_queue": "atencion"}
    r = center.post("/settings/queues/atencion", data=same | {"csrf": csrf})
    assert r.status_code == 422 and "no esta misma" in field_message(r.text, "edit-atencion-overflow-queue")
    assert "<details open" in r.text and stored() == before
    assert center.post("/settings/queues/fantasma", data=FULL | {"csrf": csrf}).status_code == 404


def test_delete_is_refused_in_spanish_while_a_published_flow_uses_the_queue_then_done(center, applied):
    from ivr import service as ivr

    csrf = login(center, "boss")
    center.post("/settings/queues", data=FULL | {"overflow_type": "hangup", "csrf": csrf})
    with session_scope() as s:
        menu = {"type": "menu", "prompt": "bienvenida", "options": {"1": {"type": "queue", "queue": "cobros"}}}
        ivr.save(s, "pagos", {"start": "main", "nodes": {"main": menu}})
        ivr.publish(s, "pagos")
        s.commit()
    applied.clear()
    before = stored()
    r = center.post("/settings/queues/cobros/delete", data={"csrf": csrf})
    assert r.status_code == 409 and stored() == before and applied == []
    refusal = re.search(r'<p class="error" role="alert" id="queue-refusal">([^<]*)</p>', r.text).group(1)
    assert refusal == "La cola «cobros» no se puede eliminar: la usan los flujos publicados «pagos»."
    r = center.post("/settings/queues/atencion/delete", data={"csrf": csrf})
    assert r.status_code == 409 and "es la cola predeterminada" in r.text and stored() == before

    with session_scope() as s:  # the flow's next version sends option 1 elsewhere
        menu["options"]["1"] = {"type": "queue", "queue": "atencion"}
        ivr.save(s, "pagos", {"start": "main", "nodes": {"main": menu}})
        ivr.publish(s, "pagos")
        s.commit()
    r = center.post("/settings/queues/cobros/delete", data={"csrf": csrf})
    assert r.status_code == 303 and applied == [({"dialplan", "queues"}, ["atencion"])]
    page = center.get("/settings/queues").text
    assert "Cola «cobros» eliminada (0 asignaciones de agentes quitadas)." in page and 'data-queue="cobros"' not in page
    with session_scope() as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "queue.delete", AuditLog.target == "cobros")).one()
    assert center.post("/settings/queues/cobros/delete", data={"csrf": csrf}).status_code == 404
