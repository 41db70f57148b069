"""Flows in the database (SQLite and PostgreSQL): versions, publish, rollback, compiled dialplan,
prompts, metrics, and the API and CLI on top, with their error messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from ivr.tests.flows import sample_flow


def test_versions_publish_rollback_and_compiled_contexts(session):
    from centralita.settings import get_settings
    from ivr import service
    from ivr.validation import FlowInvalid

    v1 = service.save(session, "tramites", sample_flow())
    service.publish(session, "tramites")
    changed = sample_flow()
    changed["nodes"]["main"]["timeout_s"] = 7
    v2 = service.save(session, "tramites", changed, comment="longer")
    session.commit()
    assert (v1.version, v2.version) == (1, 2)
    flow = service.get_flow(session, "tramites")
    assert flow.published_version == 1 and flow.definition["nodes"]["main"]["timeout_s"] == 7

    broken = sample_flow()
    broken["nodes"]["main"]["options"]["9"] = {"type": "node", "node": "ghost"}
    with pytest.raises(FlowInvalid, match="node 'main', field 'options.9'"):
        service.save(session, "tramites", broken)
    session.rollback()
    assert [v.version for v in service.list_versions(session, flow)] == [2, 1]  # nothing half-written

    service.publish(session, "tramites", 2)
    session.commit()
    names = [c.name for c in service.dialplan_contexts(session, get_settings())]
    # Version 2 is live; version 1 stays compiled for calls still inside it.
    assert "ivr-tramites" in names and "ivr-tramites-v2-main" in names and "ivr-tramites-v1-main" in names
    alias = next(c for c in service.dialplan_contexts(session, get_settings()) if c.name == "ivr-tramites")
    assert alias.lines == ["exten => s,1,Goto(ivr-tramites-v2,s,1)"]
    service.rollback(session, "tramites", 1)
    session.commit()
    assert service.get_flow(session, "tramites").published_version == 1
    with pytest.raises(service.NotFound):
        service.publish(session, "tramites", 9)


def test_compiled_menu_has_operator_fallbacks_and_agi_failure_paths(session):
    from centralita.settings import get_settings
    from ivr import service

    service.save(session, "tramites", sample_flow())
    service.publish(session, "tramites")
    session.commit()
    contexts = {c.name: c.lines for c in service.dialplan_contexts(session, get_settings())}
    menu = "\n".join(contexts["ivr-tramites-v1-main"])
    assert "exten => 0,1,Set(CDR(path)=${CDR(path)}>main:0)" in menu  # 0 reaches a person
    assert "exten => i,1," in menu and "exten => t,1," in menu
    lookup = "\n".join(contexts["ivr-tramites-v1-debt"])
    assert "AGI(${FASTAGI}/ivr/lookup?node=debt&flow=tramites&v=1)" in lookup
    assert '"${AGISTATUS}" = "SUCCESS"' in lookup  # our server down counts as a failure
    # A failed lookup joins its fallback queue at once; the apology is the first hold music there.
    assert "exten => fail,1,Set(CHANNEL(musicclass)=centralita-apology)" in lookup


def test_rendered_config_includes_the_flows_and_custom_prompts(session, tmp_path):
    from centralita.settings import get_settings
    from centralita.telephony.pbx import standard_paths
    from centralita.telephony.render import render
    from ivr import service
    from ivr.prompts import save_prompt

    save_prompt(session, "saludo", text="Hola")
    flow = sample_flow()
    flow["nodes"]["closed"]["prompt"] = "saludo"
    service.save(session, "tramites", flow)
    service.publish(session, "tramites")
    session.commit()
    out = render(get_settings(), standard_paths(tmp_path), session, out_dir=tmp_path)
    assert "#include extensions_ivr.conf" in (out / "extensions.conf").read_text()
    compiled = (out / "extensions_ivr.conf").read_text()
    assert "[ivr-tramites-v1-closed]" in compiled and "${PROMPTS}/custom/saludo" in compiled
    wav = (out / "prompts/custom/saludo.wav").read_bytes()
    assert wav[:4] == b"RIFF" and int.from_bytes(wav[24:28], "little") == 8000  # 8 kHz for Asterisk


def test_metrics_per_version_from_call_paths(session):
    from api.calls.models import CallRecord
    from ivr import metrics

    now = datetime.now(UTC)
    paths = [
        "flow:t/v1>hours:open>main:1>debt:ok",
        "flow:t/v1>hours:open>main:2>queue:ventas",
        "flow:t/v1>hours:open",
        "flow:t/v2>hours:open>main:2>queue:ventas",
        "flow:other/v1>x:1",
    ]
    for i, path in enumerate(paths):
        session.add(CallRecord(linkedid=f"l{i}", start=now, end=now, duration=10.0 + i, billsec=9, path=path))
    session.commit()
    [v1, v2] = metrics.version_metrics(session, "t")
    assert (v1["version"], v1["calls"], v1["self_service"], v1["to_agent"], v1["abandoned_in_ivr"]) == (1, 3, 1, 1, 1)
    assert v1["option_choices"] == {"main:1": 1, "main:2": 1} and v1["mean_seconds_in_ivr"] == 11.0
    assert (v2["calls"], v2["to_agent"]) == (1, 1)


def test_api_flow_lifecycle_and_errors(client):
    h = client.admin
    r = client.put("/api/ivr/flows/tramites", json={"definition": sample_flow()}, headers=h)
    assert r.status_code == 201 and r.json()["version"] == 1
    bad = sample_flow()
    del bad["nodes"]["main"]["prompt"]
    r = client.put("/api/ivr/flows/tramites", json={"definition": bad}, headers=h)
    assert r.status_code == 422
    errors = r.json()["detail"]  # FastAPI's 422 shape, each item also naming the node and field
    found = [e for e in errors if (e["node"], e["field"]) == ("main", "prompt")]
    assert found and found[0]["loc"] == ["body", "definition", "nodes", "main", "prompt"]
    assert found[0]["message"] == "Field required" and found[0]["type"] == "flowinvalid"
    r = client.post("/api/ivr/flows/tramites/validate", json={"definition": bad}, headers=h)
    assert r.json()["valid"] is False
    assert client.put("/api/ivr/flows/Bad Name", json={"definition": sample_flow()}, headers=h).status_code == 422
    r = client.post("/api/ivr/flows/tramites/publish", json={}, headers=h)
    assert r.status_code == 200 and r.json()["published_version"] == 1
    assert r.json()["dialplan_reloaded"] is False  # no Asterisk here: applies when it starts
    assert client.post("/api/ivr/flows/tramites/rollback", json={"version": 5}, headers=h).status_code == 404
    assert (
        client.put("/api/ivr/flows/tramites", json={"definition": sample_flow()}, headers=client.sup).status_code == 403
    )
    r = client.post(
        "/api/ivr/flows/tramites/simulate",
        headers=client.sup,
        json={"digits": ["2"], "at": "2026-11-23T10:00:00-05:00", "lookups": False},
    )
    assert r.json()["path"] == "flow:tramites/v1>hours:open>main:2>queue:ventas"
    r = client.post("/api/ivr/flows/tramites/simulate", headers=client.sup, json={"digits": ["x"]})
    assert r.status_code == 422 and "digits" in r.text
    assert "main:" in client.get("/api/ivr/flows/tramites/export?format=yaml", headers=client.sup).text
    assert [v["version"] for v in client.get("/api/ivr/flows/tramites/versions", headers=client.sup).json()] == [1]
    r = client.put("/api/ivr/dids/5553000", json={"flow": "nope"}, headers=h)
    assert r.status_code == 422 and "flow" in r.text
    r = client.post("/api/ivr/prompts", json={"name": "Bad Name", "text": "x"}, headers=h)
    assert r.status_code == 422 and "name" in r.text
    r = client.post("/api/ivr/contacts", json={"phone": "hello"}, headers=h)
    assert r.status_code == 422 and "phone" in r.text
    assert (
        client.post("/api/ivr/contacts", json={"phone": "6123-4567", "name": "Ana"}, headers=h).json()["phone"]
        == "+50761234567"
    )


def test_cli_save_simulate_and_errors(stack_env, tmp_path):
    import yaml

    from centralita.cli import _register, app

    _register()
    runner = CliRunner()
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(yaml.safe_dump(sample_flow()))
    broken = sample_flow()
    broken["nodes"]["hours"]["open"] = {"type": "node", "node": "nowhere"}
    bad.write_text(yaml.safe_dump(broken))
    result = runner.invoke(app, ["flow", "save", "tramites", str(bad)])
    assert result.exit_code == 2 and "node 'hours', field 'open'" in result.output
    result = runner.invoke(app, ["flow", "save", "tramites", str(good), "--publish"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["flow", "simulate", "tramites", "--digits", "1,123455", "--no-lookups", "--at", "2026-12-24T20:00-05:00"]
    )
    assert result.exit_code == 0 and '"path": "flow:tramites/v1>hours:closed>closed>hangup"' in result.output
    result = runner.invoke(app, ["flow", "simulate", "tramites", "--at", "yesterday"])
    assert result.exit_code == 2 and "at:" in result.output


def test_ivr_migration_goes_down_and_up_again(stack_env):
    import sqlalchemy as sa
    from alembic import command

    from centralita import db

    command.downgrade(db.alembic_config(), "ivr@-1")
    inspector = sa.inspect(db.get_engine())
    assert not {"ivr_calendars", "ivr_holiday_lists"} & set(inspector.get_table_names())
    assert "ivr_flow_splits" in inspector.get_table_names()
    command.downgrade(db.alembic_config(), "ivr@-1")
    inspector = sa.inspect(db.get_engine())
    assert "ivr_flow_splits" not in inspector.get_table_names()
    assert "ivr_flow_versions" in inspector.get_table_names()
    command.downgrade(db.alembic_config(), "ivr@-1")
    inspector = sa.inspect(db.get_engine())
    assert "ivr_flow_versions" not in inspector.get_table_names()
    assert "published_version" not in [c["name"] for c in inspector.get_columns("flows")]
    db.upgrade()
    inspector = sa.inspect(db.get_engine())
    assert {
        "ivr_calendars",
        "ivr_holiday_lists",
        "ivr_flow_splits",
        "ivr_flow_versions",
        "ivr_prompts",
        "ivr_contacts",
        "ivr_survey_answers",
        "ivr_hours_overrides",
    } <= set(inspector.get_table_names())
