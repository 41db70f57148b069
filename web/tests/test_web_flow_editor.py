"""The flow pages (/ivr/flows, /ivr/flows/<name>/edit): who may open them, what they render of a flow's
nodes, and that a supervisor gets them read-only (and the API refuses a supervisor's change anyway).
The editor's behaviour in a browser is tests/integration/test_flow_editor_browser.py."""

from __future__ import annotations

import json
import re
from html import unescape

from centralita.db import session_scope
from ivr import service
from ivr.tests.flows import sample_flow
from web.tests.settings_helpers import client, login  # noqa: F401  (client: fixture)

PAGES = ("/ivr/flows", "/ivr/flows/tramites/edit", "/ivr/flows/tramites/path-words?path=flow:tramites/v1")


def editor_data(html: str) -> dict:
    found = re.search(r'<div id="flow-editor" data-editor="([^"]*)"', html)
    assert found, "the editor's data attribute is missing"
    return json.loads(unescape(found.group(1)))


def test_anonymous_goes_to_login_and_an_agent_is_refused(client):
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    login(client, "ana")
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert 'href="/ivr/flows"' not in client.get("/").text  # no link to a page they cannot open


def test_supervisor_reads_the_flow_and_its_nodes_without_controls(client):
    login(client, "marta")
    assert 'href="/ivr/flows"' in client.get("/").text  # the "Flujos" entry of the header
    listing = client.get("/ivr/flows")
    assert listing.status_code == 200
    row = re.search(r'<tr data-flow="tramites">(.*?)</tr>', listing.text, re.S)
    assert row and 'href="/ivr/flows/tramites/edit"' in row.group(1)
    assert "sin publicar" in row.group(1) and "v1" in row.group(1)  # the saved draft
    assert 'id="flow-new"' not in listing.text  # "Nuevo flujo" is for admins

    page = client.get("/ivr/flows/tramites/edit")
    assert page.status_code == 200
    html = page.text
    # Every node, with its kind in words, before any script runs.
    for node_id, kind in (("hours", "Horario"), ("closed", "Mensaje"), ("main", "Menú"), ("debt", "Consulta")):
        item = re.search(rf'<li data-node="{node_id}" data-type="[a-z]+">(.*?)</li>', html, re.S)
        assert item and f"<b>{kind}</b>" in item.group(1), node_id
    main = re.search(r'<li data-node="main"[^>]*>(.*?)</li>', html, re.S).group(1)
    assert "1 → paso «debt»" in main and "2 → cola ventas" in main and "demo-welcome" in main
    assert re.search(r'data-node="hours"[^>]*>\s*<b>Horario</b> «hours» · <span class="badge">inicio', html)
    # Read-only: no buttons that change anything, and the script is told so.
    assert 'id="read-only"' in html and 'data-can-change="false"' in html
    for control in ('id="save-draft"', 'id="publish"', 'id="validate"', 'id="add-node"', 'id="comment"'):
        assert control not in html, control
    assert 'id="simulate"' in html  # supervisors may simulate (the API allows it)
    data = editor_data(html)
    assert data["can_change"] is False and data["version"] == 1 and data["published_version"] is None
    with session_scope() as s:
        stored = service.get_flow(s, "tramites").definition
    assert data["definition"] == stored
    assert list(data["definition"]["nodes"]) == list(stored["nodes"]) != sorted(stored["nodes"])  # the steps' order
    assert "demo-welcome" in {p["name"] for p in data["prompts"]} and "ventas" in data["flows"]
    # The page is read-only because the API is: the supervisor's own session cannot save a version.
    r = client.put("/api/ivr/flows/tramites", json={"definition": sample_flow()})
    assert r.status_code == 403
    assert client.get("/ivr/flows/ghost/edit").status_code == 404  # supervisors cannot start a flow


def test_admin_gets_the_editor_and_starts_a_new_flow(client):
    login(client, "boss")
    listing = client.get("/ivr/flows")
    assert 'id="flow-new"' in listing.text
    html = client.get("/ivr/flows/tramites/edit").text
    for control in ('id="save-draft"', 'id="publish"', 'id="validate"', 'id="add-node"', 'id="undo"'):
        assert control in html, control
    assert 'id="read-only"' not in html and editor_data(html)["can_change"] is True

    bad = client.get("/ivr/flows/new", params={"name": "Con Espacios"})
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text and 'id="name-error">Minúsculas' in bad.text
    assert 'value="Con Espacios"' in bad.text  # what was typed comes back
    taken = client.get("/ivr/flows/new", params={"name": "tramites"})
    assert taken.status_code == 422 and "Ya existe un flujo «tramites»." in taken.text
    new = client.get("/ivr/flows/new", params={"name": "nuevo"})
    assert new.status_code == 303 and new.headers["location"] == "/ivr/flows/nuevo/edit"
    editor = client.get("/ivr/flows/nuevo/edit")
    assert editor.status_code == 200 and "Flujo nuevo: todavía no tiene versiones guardadas." in editor.text
    data = editor_data(editor.text)
    assert data["definition"] == {"start": "", "nodes": {}} and data["versions"] == []
    with session_scope() as s:
        assert "nuevo" not in {f.name for f in service.list_flows(s)}  # nothing stored until a first save
    assert client.get("/ivr/flows/Mal-Nombre/edit").status_code == 404


def test_an_older_version_opens_and_a_missing_one_is_404(client):
    changed = sample_flow()
    changed["nodes"]["main"]["label"] = "Menú nuevo"
    with session_scope() as s:
        service.save(s, "tramites", changed, comment="otro nombre")
    login(client, "boss")
    newest = editor_data(client.get("/ivr/flows/tramites/edit").text)
    assert newest["version"] == 2 and newest["definition"]["nodes"]["main"]["label"] == "Menú nuevo"
    assert [v["version"] for v in newest["versions"]] == [2, 1] and newest["versions"][0]["comment"] == "otro nombre"
    first = editor_data(client.get("/ivr/flows/tramites/edit?version=1").text)
    assert first["version"] == 1 and first["definition"]["nodes"]["main"].get("label", "") == ""
    assert client.get("/ivr/flows/tramites/edit?version=9").status_code == 404


def test_a_label_cannot_break_out_of_the_data_attribute(client):
    hostile = sample_flow()
    hostile["nodes"]["main"]["label"] = "\"' onmouseover=alert(1) x=</div><script>alert(1)</script>"
    with session_scope() as s:
        service.save(s, "tramites", hostile)
    login(client, "boss")
    html = client.get("/ivr/flows/tramites/edit").text
    assert "<script>alert(1)" not in html and "' onmouseover=" not in html and '" onmouseover=' not in html
    assert editor_data(html)["definition"]["nodes"]["main"]["label"] == hostile["nodes"]["main"]["label"]


def test_a_simulated_path_in_words(client):
    login(client, "marta")
    path = "flow:tramites/v1>hours:open>main:1>debt:ok>hangup"
    r = client.get("/ivr/flows/tramites/path-words", params={"path": path})
    assert r.status_code == 200
    assert r.json() == {
        "path": path,
        "words": "Horario hours: abierto → menú main → 1 → consulta debt: encontrada → fin de la llamada",
    }
