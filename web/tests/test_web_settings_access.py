"""Every page under web/ and every settings form, for every role, as api/users/tests/test_route_guard.py
does for the API: the real app's routes are walked, so a page added later without an entry in PAGES
(the least role that may open it) fails here. Anonymous → the login page; a role below the page's → 403;
every POST but login/logout: admins only (agents and supervisors 403) and a missing or wrong CSRF token
refused, with nothing stored in any table. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlmodel import SQLModel, func, select

from api.users.models import Role
from api.users.tests.test_route_guard import http_routes
from centralita.db import session_scope
from ivr import service as ivr
from queues import service as queues
from web.tests.settings_helpers import center, client, login, user_id, user_row  # noqa: F401  (fixtures)

AGENT, SUPERVISOR, ADMIN = Role.agent, Role.supervisor, Role.admin
# Each page (GET route outside /api and /static) → the least role that opens it.
PAGES = {
    "/": AGENT,
    "/agent": AGENT,
    "/recordings": AGENT,  # an agent sees only their own recordings
    "/recordings/{recording_id}": AGENT,
    "/campaigns": SUPERVISOR,
    "/wallboard": SUPERVISOR,
    "/reports": SUPERVISOR,
    "/reports/calls": SUPERVISOR,
    "/staffing": SUPERVISOR,
    "/ivr/ab": SUPERVISOR,
    "/ivr/ab/{name}": SUPERVISOR,
    "/ivr/flows": SUPERVISOR,
    "/ivr/flows/new": ADMIN,  # the "Nuevo flujo" form: supervisors read flows, admins make them
    "/ivr/flows/{name}/edit": SUPERVISOR,  # read-only below admin
    "/ivr/flows/{name}/path-words": SUPERVISOR,
    "/settings/users": SUPERVISOR,
    "/settings/agents": SUPERVISOR,
    "/settings/queues": SUPERVISOR,
    "/settings/prompts": SUPERVISOR,
    "/settings/prompts/{name}/audio": SUPERVISOR,
    "/settings/dids": SUPERVISOR,
    "/settings/calendars": SUPERVISOR,
    "/settings/audit": ADMIN,
}
# logout: any signed-in user; the icon: browsers ask for it before anyone logs in
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/favicon.ico")}
# A page that answers an allowed user with something else than 200: "Nuevo flujo" with a free name
# sends the admin on to the editor.
ALLOWED_STATUS = {"/ivr/flows/new": 303}
# A value for each path parameter, naming a row the `center` fixture made (a recording there is none:
# its page answers 404 to every role, after the login check).
PARAMS = {"name": "tramites", "username": "ana", "queue": "atencion", "kind": "holidays", "recording_id": "999"}
ROLE_OF = {"ana": AGENT, "marta": SUPERVISOR, "boss": ADMIN}


def fill(template: str, **own) -> str:
    values = PARAMS | own
    return re.sub(r"\{([^}]+)\}", lambda m: str(values[m.group(1)]), template)


def web_routes() -> tuple[list[str], list[str]]:
    """(GET pages, POST forms) of the real app, outside /api and /static."""
    from api.app import create_app

    pages, forms = [], []
    for path, methods in http_routes(create_app(with_runtime=False)):
        if path.startswith(("/api", "/static", "/docs", "/redoc", "/openapi")):
            continue
        pages += [path] if "GET" in methods and ("GET", path) not in PUBLIC else []
        forms += [path] if "POST" in methods and ("POST", path) not in PUBLIC else []
    return pages, forms


def page_url(template: str) -> str:
    if template == "/settings/prompts/{name}/audio":
        return fill(template, name="bienvenida")
    if template == "/ivr/flows/new":
        return "/ivr/flows/new?name=nuevo"
    return fill(template)


def form_url(template: str) -> str:
    return fill(template, user_id=user_id("ana"), name="atencion" if template.startswith("/settings/queues") else "x")


def state():
    """Rows in every table, plus the values a settings form could change in place."""
    with session_scope() as s:
        counts = {t.name: s.exec(select(func.count()).select_from(t)).one() for t in SQLModel.metadata.sorted_tables}
        queue = queues.get_queue(s, "atencion").model_dump()
        return counts, user_row("ana"), ivr.list_dids(s), queue, queues.skills(s, queues.get_agent(s, "ana"))


def test_every_page_is_in_the_table(stack_env):
    pages, forms = web_routes()
    assert set(pages) == set(PAGES), f"pages without a role in PAGES: {set(pages) - set(PAGES)}"
    assert {"/settings/queues", "/settings/agents/{username}/skills", "/settings/prompts/upload"} <= set(forms)


@pytest.mark.parametrize("who", [None, "ana", "marta", "boss"])
def test_every_page_for_every_role(center, who):
    if who:
        login(center, who)
    for template, least in PAGES.items():
        r = center.get(page_url(template))
        if who is None:
            assert r.status_code == 303 and r.headers["location"] == "/login", template
        elif ROLE_OF[who].rank < least.rank:
            assert r.status_code == 403, (who, template, r.status_code)
        elif template == "/recordings/{recording_id}":
            assert r.status_code == 404, (who, r.status_code)  # no such recording; the guard let them ask
        else:
            assert r.status_code == ALLOWED_STATUS.get(template, 200), (who, template, r.status_code, r.text[:300])


@pytest.mark.parametrize("who", [None, "ana", "marta"])
def test_no_form_changes_anything_below_admin(center, who):
    csrf = login(center, who) if who else "x"
    _, forms = web_routes()
    before = state()
    for template in forms:
        r = center.post(form_url(template), data={"csrf": csrf, "name": "nuevo", "queue": "atencion", "penalty": "1"})
        if who is None:
            assert r.status_code == 303 and r.headers["location"] == "/login", template
        else:
            assert r.status_code == 403, (who, template, r.status_code)
    assert state() == before


@pytest.mark.parametrize("sent", [None, "", "not-the-token"])
def test_every_form_refuses_a_missing_or_wrong_csrf(center, sent):
    login(center, "boss")
    _, forms = web_routes()
    before = state()
    for template in forms:
        data = {"name": "nuevo", "queue": "atencion", "penalty": "1", "text": "Hola", "number": "322", "flow": "ventas"}
        r = center.post(form_url(template), data=data if sent is None else data | {"csrf": sent})
        assert r.status_code == 403 and "form expired" in r.text, template
    assert state() == before


def test_agent_sees_no_settings_links(client):
    login(client, "ana")
    assert 'href="/settings/users"' not in client.get("/").text  # no link to pages they cannot open


def test_supervisor_reads_but_sees_no_forms(center):
    login(center, "marta")
    users = center.get("/settings/users")
    assert 'data-user="ana"' in users.text and "Agente" in users.text
    assert 'id="user-create"' not in users.text and "/password" not in users.text
    dids = center.get("/settings/dids")
    assert 'data-did="311"' in dids.text and 'id="did-add"' not in dids.text and 'name="flow"' not in dids.text
    queues_page = center.get("/settings/queues").text
    assert 'data-queue="atencion"' in queues_page and "ana (2)" in queues_page
    assert 'id="queue-create"' not in queues_page and 'name="strategy"' not in queues_page
    agents_page = center.get("/settings/agents").text
    assert 'data-agent="ana"' in agents_page and 'id="agent-create"' not in agents_page
    assert 'name="penalty"' not in agents_page and "/delete" not in agents_page
    prompts_page = center.get("/settings/prompts").text
    assert 'data-prompt="bienvenida"' in prompts_page and 'src="/settings/prompts/bienvenida/audio"' in prompts_page
    assert 'id="prompt-upload"' not in prompts_page and 'id="prompt-tts"' not in prompts_page
    assert 'href="/settings/users"' in center.get("/").text and 'href="/settings/audit"' not in users.text


def test_admin_uses_the_users_and_dids_forms(client):
    csrf = login(client, "boss")
    ana = user_id("ana")
    posts = [
        ("/settings/users", {"username": "nuevo", "full_name": "Nuevo", "role": "agent", "password": "nuevo-pass-123"}),
        (f"/settings/users/{ana}", {"full_name": "Ana B", "role": "supervisor"}),
        (f"/settings/users/{ana}/active", {"active": "0"}),
        (f"/settings/users/{ana}/password", {}),
        ("/settings/dids", {"number": "322", "flow": "ventas"}),
    ]
    for path, data in posts:
        r = client.post(path, data=data | {"csrf": csrf})
        if path.endswith("/password"):  # answers with the page: the new password is shown once
            assert r.status_code == 200 and 'id="new-password"' in r.text and r.headers["cache-control"] == "no-store"
        else:
            assert r.status_code == 303 and r.headers["location"] in ("/settings/users", "/settings/dids"), path
            assert client.get(r.headers["location"]).status_code == 200
    full_name, role, active, _ = user_row("ana")
    assert (full_name, role, active) == ("Ana B", "supervisor", False) and user_row("nuevo")[1] == "agent"
    with session_scope() as s:
        assert ("322", "ventas") in ivr.list_dids(s)


def test_a_cross_site_post_is_refused_even_with_the_token(center):
    csrf = login(center, "boss")
    before = state()
    for path, data in [
        ("/settings/dids", {"number": "322", "flow": "ventas"}),
        ("/settings/queues", {"name": "nueva"}),
        ("/settings/prompts/tts", {"name": "hola", "text": "Hola"}),
    ]:
        r = center.post(path, data=data | {"csrf": csrf}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "form expired" in r.text, path
    assert state() == before
