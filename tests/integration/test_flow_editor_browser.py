"""The flow editor in a real browser on the real stack (Debian's Chromium driven by Playwright, an admin
who never touches the CLI): a flow built from nothing (hours → menu → lookup → queue, and a second menu),
a validation error shown on its node and field and fixed, a simulation, a publish; a real sipp call then
walks the flow and its call record's path says so. Then the admin moves an option from one menu to the
other and publishes version 2 while 10 sipp calls are inside version 1 (none dropped, all finish in
version 1, the next call gets version 2), and rolls back to version 1 from the page."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from stack import port_base
from test_ivr_calls import _api, _record  # the IVR tests' callers and call-record lookup

from centralita.telephony.sipp import place_call

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(20000)
CHROMIUM = "/usr/lib/chromium/chromium"
ADMIN = ("boss", "boss-password-1")
FLOW = "atencion-web"
DID = "5554000"
QUEUE = "atencion"  # the demo seed's queue (conftest's stack)
SHOTS = os.environ.get("CENTRALITA_SHOTS_DIR")  # where to save the README's screenshot, if set
V1_PATH = f"flow:{FLOW}/v1>horario:open>menu:1>deuda:ok>queue:{QUEUE}"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh --test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    # The admin's browser keeps its own clock under scripts/test-at-clock.sh (libfaketime made Chromium
    # spin in the other browser tests); the server side, whose clock the product depends on, stays shifted.
    own_clock = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "DONT_FAKE_MONOTONIC")}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, chromium_sandbox=False, env=own_clock)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def admin_page(stack, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the confirmations (publish, roll back)
    page.goto(f"{stack.api_url}/login")
    page.fill("#username", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.api_url}/")
    try:
        yield page
    finally:
        context.close()


def key(k: str) -> str:
    return f'[data-key="{k}"]'


def add_node(page, kind: str, node_id: str) -> None:
    page.select_option("#add-type", kind)
    page.fill("#add-id", node_id)
    page.click("#add-node button[type=submit]")
    page.wait_for_selector(f'.node-card[data-node="{node_id}"]')


def goes_to_node(page, where: str, node_id: str) -> None:
    """A destination field (`<node>|<field>`) set to another step of the flow, with the keyboard's controls."""
    page.select_option(key(f"{where}.type"), "node")
    page.select_option(key(f"{where}.node"), node_id)


def add_option(page, menu: str, digit: str, node_id: str) -> None:
    page.click(key(f"{menu}|options|add"))
    added = page.locator(f'.node-card[data-node="{menu}"] li.option').last.get_attribute("data-digit")
    if added != digit:
        page.select_option(key(f"{menu}|options.{added}.digit"), digit)
    goes_to_node(page, f"{menu}|options.{digit}", node_id)


def status(page) -> str:
    return page.locator("#editor-status").inner_text()


def wait_status(page, start: str) -> None:
    """Until the editor's status line (its live region) begins with `start`."""
    try:
        page.wait_for_function(  # generous: a publish reloads Asterisk's dialplan, seconds on a loaded machine
            "s => document.getElementById('editor-status').textContent.startsWith(s)", arg=start, timeout=60000
        )
    except Exception:
        raise AssertionError(f"status is {status(page)!r}, expected {start!r}…") from None


def test_an_admin_builds_validates_simulates_and_publishes_a_flow_a_call_walks(stack, admin_page):
    from ivr.demo_integration import integration_key

    page, token = admin_page, stack.token(*ADMIN)
    page.goto(f"{stack.api_url}/ivr/flows")
    page.fill("#new-name", FLOW)
    page.click("#flow-new button[type=submit]")
    page.wait_for_url(f"{stack.api_url}/ivr/flows/{FLOW}/edit")
    page.wait_for_selector("#flow-editor.ready")

    # Hours, open all week.
    add_node(page, "hours", "horario")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        page.fill(key(f"horario|schedule.{day}"), "00:00-24:00")
    # The main menu and a second one, the lookup and the queue.
    add_node(page, "menu", "menu")
    page.fill(key("menu|prompt"), "demo-welcome")
    page.fill(key("menu|label"), "Menú principal")
    add_node(page, "lookup", "deuda")
    page.fill(key("deuda|prompt"), "demo-ask-taxpayer")
    page.fill(key("deuda|min_digits"), "6")
    page.fill(key("deuda|max_digits"), "6")
    page.select_option(key("deuda|check"), "luhn")
    # A mistake: the address without {digits}, where the caller's number goes.
    page.fill(key("deuda|url"), f"{stack.api_url}/api/ivr/demo/taxpayers/")
    page.fill(key("deuda|headers"), f"Authorization: Bearer {integration_key(stack.settings())}")
    page.click(key("deuda|say|add"))
    page.fill(key("deuda|say.0.field"), "debt")
    page.select_option(key("deuda|say.0.say"), "amount")
    page.fill(key("deuda|say.0.prompt"), "demo-your-debt")
    add_node(page, "queue", "cola")
    assert page.locator(key("cola|queue")).input_value() == QUEUE
    add_node(page, "menu", "otros")
    page.fill(key("otros|prompt"), "demo-after")
    # Connect them.
    goes_to_node(page, "horario|open", "menu")
    add_option(page, "menu", "1", "deuda")
    add_option(page, "menu", "2", "otros")
    goes_to_node(page, "deuda|next", "cola")
    add_option(page, "otros", "3", "cola")

    # "Validar": the one problem shows on the lookup's address field, which gets the focus.
    page.click("#validate")
    page.wait_for_selector("#error-summary:not([hidden])")
    assert page.locator("#error-summary li").count() == 1, page.locator("#error-summary").inner_text()
    message = page.locator('.node-card[data-node="deuda"] [data-field="url"] .field-error').inner_text()
    assert "{digits}" in message, message
    assert page.evaluate("document.activeElement.dataset.key") == "deuda|url"
    assert page.locator(key("deuda|url")).get_attribute("aria-invalid") == "true"
    assert "has-error" in (page.locator('.node-card[data-node="deuda"]').get_attribute("class") or "")
    # Fixed: the page checks again by itself and the mark goes.
    page.fill(key("deuda|url"), f"{stack.api_url}/api/ivr/demo/taxpayers/{{digits}}")
    page.wait_for_selector("#error-summary", state="hidden")
    page.click("#validate")
    wait_status(page, "El flujo es válido.")

    # "Simular": the unsaved flow is saved as a draft (version 1) and walked with the lookup for real.
    page.fill("#sim-digits", "1 123455")
    page.click("#simulate-run")
    page.wait_for_selector("#sim-raw")
    assert page.locator("#sim-raw").inner_text() == V1_PATH
    words = page.locator("#sim-path").inner_text()
    assert "Menú principal → 1" in words and "encontrada" in words and f"cola {QUEUE}" in words, words
    assert "walked" in (page.locator('.node-card[data-node="deuda"]').get_attribute("class") or "")
    assert "Borrador guardado como versión 1" in status(page)

    # "Publicar" (confirmed): version 1 is what callers get.
    page.click("#publish")
    wait_status(page, "Versión 1 publicada")
    assert "las llamadas nuevas ya la oyen" in status(page)
    flow = _api(stack, "GET", f"/api/ivr/flows/{FLOW}", token).json()
    assert flow["published_version"] == 1
    assert page.locator('#versions tr[data-version="1"]').inner_text().count("publicada") == 1
    assert not page.errors, page.errors

    if SHOTS:  # the README's pictures, from this real run: the top of the page (toolbar, settings, map)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=f"{SHOTS}/flow-editor.png")
        page.set_viewport_size({"width": 390, "height": 844})
        page.evaluate("document.querySelector('.node-card[data-node=\"menu\"]').scrollIntoView()")
        page.screenshot(path=f"{SHOTS}/flow-editor-390.png")
        page.set_viewport_size({"width": 1280, "height": 900})

    # A real call: the DID maps to the flow (the API, as the brief allows), then 1 and the taxpayer number.
    r = _api(stack, "PUT", f"/api/ivr/dids/{DID}", token, json={"flow": FLOW})
    assert r.status_code == 200 and r.json()["dialplan_reloaded"], r.text
    call = place_call(stack.settings(), DID, digits="1" + "123455" + "," * 12, hold_seconds=3.0, caller="61234567")
    assert call.ok, call.output
    assert _record(stack, token, call.call_id)["path"] == V1_PATH


def test_moving_an_option_and_publishing_under_10_calls_then_rolling_back(stack, admin_page):
    from centralita.telephony.pbx import Asterisk
    from ivr.load import run_load

    page, token = admin_page, stack.token(*ADMIN)
    assert _api(stack, "GET", f"/api/ivr/flows/{FLOW}", token).json()["published_version"] == 1, (
        "the first test builds it"
    )
    page.goto(f"{stack.api_url}/ivr/flows/{FLOW}/edit")
    page.wait_for_selector("#flow-editor.ready")
    # Option 3 of the second menu (the queue) moves to the main menu: one key fewer for those callers.
    page.select_option(key("otros|options.3|moveto"), "menu")
    page.click(key("otros|options.3|move"))
    page.wait_for_selector('.node-card[data-node="menu"] li.option[data-digit="3"]')
    assert page.locator('.node-card[data-node="otros"] li.option').count() == 0
    assert "movida a" in status(page) and "como tecla 3" in status(page)
    assert page.evaluate("document.activeElement.dataset.key") == "menu|options.3.type"
    page.fill("#comment", "la cola, directa desde el menú principal")

    # 10 callers are inside version 1 (they press 2, then 3 in the second menu) while version 2 is published.
    results = {}

    def load():
        results["load"] = run_load(
            stack.settings(),
            DID,
            calls=10,
            rate=10,
            digits=",,,,,,2,,,3",
            hold_seconds=3,
            first_digit_ms=500,
            timeout=120,
        )

    thread = threading.Thread(target=load)
    thread.start()
    # Publish only once all 10 have entered version 1 (Asterisk's channels in its contexts, polled: on a
    # loaded machine they arrive over seconds, and the first leave the main menu at about 6.5 s).
    seen: set[str] = set()

    def all_in_v1() -> bool:
        for line in Asterisk(stack.settings()).cli("core show channels concise").splitlines():
            fields = line.split("!")
            if len(fields) > 1 and fields[1].startswith(f"ivr-{FLOW}-v1-"):
                seen.add(fields[0])
        return len(seen) >= 10

    assert stack.wait_for(all_in_v1, 60, 0.2), sorted(seen)
    page.click("#publish")
    wait_status(page, "Versión 2 publicada")
    # The premise: the reload happened while the 10 calls were in progress (no wall-clock guard).
    assert thread.is_alive(), "the publish must happen while the calls are in progress"
    thread.join(150)
    result = results["load"]
    assert (result.completed, result.failed) == (10, 0), result.output

    def inside_v1():
        items = _api(stack, "GET", "/api/calls", token, params={"limit": 500}).json()["items"]
        return [c["path"] for c in items if c["path"].startswith(f"flow:{FLOW}/v1>horario:open>menu:2")]

    paths = stack.wait_for(lambda: len(found := inside_v1()) >= 10 and found, 30, 0.5)
    assert paths and len(paths) == 10, inside_v1()
    assert set(paths) == {f"flow:{FLOW}/v1>horario:open>menu:2>otros:3>queue:{QUEUE}"}  # version 1 to the end
    call = place_call(stack.settings(), DID, digits="3", hold_seconds=1.0)
    assert call.ok, call.output
    assert _record(stack, token, call.call_id)["path"] == f"flow:{FLOW}/v2>horario:open>menu:3>queue:{QUEUE}"

    # Back to version 1 from the page's version list.
    page.click('#versions tr[data-version="1"] button[data-rollback="1"]')
    wait_status(page, "Versión 1 publicada de nuevo")
    assert _api(stack, "GET", f"/api/ivr/flows/{FLOW}", token).json()["published_version"] == 1
    page.wait_for_selector('#versions tr[data-version="2"] button[data-rollback="2"]')  # v2 can come back too
    assert f"ivr-{FLOW}-v1" in Asterisk(stack.settings()).cli(f"dialplan show s@ivr-{FLOW}")
    # The page's buttons went through the API: its audit names the admin for each change.
    audit = _api(stack, "GET", "/api/audit", token, params={"target": f"flow:{FLOW}", "limit": 50}).json()["items"]
    actions = [(a["action"], a["username"]) for a in audit]
    for action in ("ivr.flow.save", "ivr.flow.publish", "ivr.flow.rollback"):
        assert (action, ADMIN[0]) in actions, actions
    assert not page.errors, page.errors
