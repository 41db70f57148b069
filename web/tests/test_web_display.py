"""How pages show things: times in the center's zone (report_timezone, injected here, never the
machine's zone or clock), codes in plain Spanish (web/labels.py), IVR paths readable, and the shared
header's menu button for phone widths."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from api.users import service
from centralita.db import session_scope
from centralita.settings import reset_settings_cache
from web import labels, localtime

PW = "correct-horse-1"
# 14:05:09 UTC on a Monday = 09:05:09 in Panamá (UTC−5 all year, no summer time).
AT = datetime(2026, 11, 30, 14, 5, 9, tzinfo=UTC)
DEMO_PATH = "flow:demo/v1>main:1>debt:ok>after:timeout>hangup"


# -- labels (pure) -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "text"),
    [("ANSWERED", "Atendida"), ("NO ANSWER", "Sin respuesta"), ("BUSY", "Ocupado"), ("FAILED", "Fallida"),
     ("CONGESTION", "Congestión"), ("answered", "Atendida"), ("WEIRD NEW CODE", "WEIRD NEW CODE"), ("", "—"),
     (None, "—")],
)  # fmt: skip
def test_disposition_labels_fall_back_to_the_raw_code(code, text):
    assert labels.label(code, "disposition") == text


def test_other_kinds_and_unknown_kinds():
    assert labels.label("inbound", "direction") == "Entrante" and labels.label("outbound", "direction") == "Saliente"
    assert labels.label("on_call", "agent_state") == "En llamada"
    assert labels.label("running", "campaign_state") == "En curso"
    assert labels.label("abandoned", "queue_outcome") == "Abandonada"
    assert labels.label("done", "recording_stage") == "Lista"
    assert labels.label("x", "no-such-kind") == "x"
    assert labels.label("BUSY", "disposition", gettext=str.upper) == "OCUPADO"  # goes through the page's _()


def _demo_definition() -> dict:
    from centralita.demo import demo_flow
    from centralita.settings import get_settings

    return demo_flow(get_settings())


def test_the_demo_flow_path_reads_as_a_sentence(stack_env):
    definition = _demo_definition()
    of = {("demo", 1): definition}.get
    assert labels.ivr_path("flow:demo/v1>main:1>debt:ok", lambda n, v: of((n, v))) == (
        "Menú principal → 1 → consulta de deuda: encontrada"
    )
    assert labels.ivr_path(DEMO_PATH, lambda n, v: of((n, v))) == (
        "Menú principal → 1 → consulta de deuda: encontrada → menú final: sin respuesta → fin de la llamada"
    )
    # Nodes without a label are named by their type (the start menu is the main menu).
    bare = {**definition, "nodes": {k: {**v, "label": ""} for k, v in definition["nodes"].items()}}
    assert labels.ivr_path("flow:demo/v1>main:2>case:notfound>queue:atencion", lambda n, v: bare) == (
        "Menú principal → 2 → consulta case: no encontrada → cola atencion"
    )


def test_a_path_without_its_flow_and_unknown_steps():
    assert labels.ivr_path("flow:demo/v1>main:1>debt:ok") == "Main: 1 → debt: encontrada"
    assert labels.ivr_path("flow:demo/v9>main:7>debt:fail>queue:cobros>survey") == (
        "Main: 7 → debt: servicio no disponible → cola cobros → encuesta"
    )
    assert labels.ivr_path("flow:a/v1>flow:b>flow:b/v3>start:open") == "Flujo b → start: abierto"
    assert labels.ivr_path("dialer:cobros>machine") == "Campaña cobros → contestador automático"
    # Anything it does not know stays raw; nothing crashes, not even a resolver that fails.
    assert labels.ivr_path("flow:x/v1>Weird Step!>n:whatever") == "Weird Step! → n: whatever"
    assert labels.ivr_path("", None) == "" and labels.ivr_path(None) == ""

    def broken(name, version):
        raise RuntimeError("database gone")

    assert labels.ivr_path("flow:demo/v1>main:1", broken) == "Main: 1"


def test_local_time_converts_aware_naive_and_iso_values():
    from zoneinfo import ZoneInfo

    panama = ZoneInfo("America/Panama")
    assert localtime.to_local(AT, panama).strftime("%H:%M:%S") == "09:05:09"
    assert localtime.to_local(AT.replace(tzinfo=None), panama).hour == 9  # SQLite gives naive UTC back
    assert localtime.to_local("2026-11-30T14:05:09+00:00", panama).hour == 9
    assert localtime.to_local(None) is None and localtime.to_local("not a time") is None


def test_an_unknown_zone_falls_back_to_utc(stack_env, monkeypatch):
    monkeypatch.setenv("CENTRALITA_REPORT_TIMEZONE", "Mars/Olympus")
    reset_settings_cache()
    assert localtime.center_zone_name() == "UTC"
    assert localtime.local_time(AT) == "2026-11-30 14:05:09"


# -- pages -----------------------------------------------------------------------------------------
@pytest.fixture
def client(stack_env, monkeypatch):
    from api.app import create_app

    monkeypatch.setenv("CENTRALITA_REPORT_TIMEZONE", "America/Panama")
    reset_settings_cache()
    with session_scope() as s:
        service.create_user(s, "marta", PW, role="supervisor", full_name="Marta Díaz")
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"username": "marta", "password": PW, "csrf": token}).status_code == 303
        yield c


def test_the_dashboard_shows_times_in_the_centers_zone_and_dispositions_in_spanish(client):
    from api.calls.models import CallRecord

    with session_scope() as s:
        for n, disposition in enumerate(("ANSWERED", "NO ANSWER", "SOMETHING NEW")):
            s.add(
                CallRecord(linkedid=f"1.{n}", start=AT, end=AT, duration=0, billsec=0, caller=f"+5076000000{n}",
                           did="311", disposition=disposition)
            )  # fmt: skip
    page = client.get("/").text
    assert "Inicio (America/Panama)" in page and "UTC" not in page
    assert "2026-11-30 09:05:09" in page and "14:05:09" not in page
    assert '<td title="ANSWERED">Atendida</td>' in page and '<td title="NO ANSWER">Sin respuesta</td>' in page
    assert '<td title="SOMETHING NEW">SOMETHING NEW</td>' in page


def test_a_recording_page_names_its_zone_and_reads_its_path(client):
    from ivr.models import Flow, FlowVersion
    from recorder.models import Recording

    with session_scope() as s:
        flow = Flow(name="demo", definition=_demo_definition(), published_version=1)
        s.add(flow)
        s.flush()
        s.add(FlowVersion(flow_id=flow.id, version=1, definition=_demo_definition()))
        s.add(Recording(uniqueid="9.1", linkedid="9.1", caller="5551234", started_at=AT, direction="outbound",
                        disposition="BUSY", ivr_path=DEMO_PATH, stage="done"))  # fmt: skip
    page = client.get("/recordings/1").text
    assert "2026-11-30 09:05:09 (America/Panama)" in page and " UTC" not in page
    assert "Saliente" in page and ">Ocupado</span>" in page and ">Lista</span>" in page
    assert f'title="{escape(DEMO_PATH)}">Menú principal → 1 → consulta de deuda: encontrada → ' in page
    listing = client.get("/recordings").text
    assert "Inicio (America/Panama)" in listing and "2026-11-30 09:05:09" in listing


def test_the_wallboard_hands_the_zone_to_its_script(client):
    page = client.get("/wallboard").text
    assert 'data-tz="America/Panama"' in page and "Hora (America/Panama)" in page
    reasons = re.search(r"data-reasons='([^']*)'", page).group(1)
    assert "almuerzo" in reasons


def test_the_header_has_a_menu_button_for_narrow_screens(client):
    page = client.get("/").text
    button = re.search(r'<button type="button" class="nav-toggle"[^>]*>', page).group(0)
    assert 'aria-expanded="false"' in button and 'aria-controls="site-menu"' in button
    assert 'id="site-menu"' in page and '<script src="/static/nav.js" defer></script>' in page
    assert "Cerrar sesión" in page.split('id="site-menu"', 1)[1]  # folded with the links
    script = client.get("/static/nav.js")
    assert script.status_code == 200 and "aria-expanded" in script.text and "Escape" in script.text
    css = client.get("/static/centralita.css").text
    assert "max-width: 699px" in css


def test_the_agent_page_has_spanish_texts_for_a_user_without_a_phone(client):
    page = client.get("/agent").text
    assert '"no_agent": "Su usuario no tiene un tel' in page and "desactivado en este servidor" in page
    phone = client.get("/static/phone.js").text
    assert "no_agent" in phone and "phone_off" in phone
    # The API keeps its own (English) reason.
    res = client.get("/api/agents/me/phone")
    assert res.status_code == 404 and "has no agent phone" in res.text
