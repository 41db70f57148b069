"""The settings pages end to end, on the real stack: an admin who never touches the CLI or the API for
these creates a queue, an agent (a sipp desk phone at a fixed SIP address) with a skill, uploads a WAV
made with espeak-ng, and maps a DID, all by posting the pages' own HTML forms with the session cookie and
the CSRF token they carry. Then a real sipp call to that DID hears the prompt and is answered by that
agent from that queue. The flow itself (play the prompt, then the queue) is saved and published through
the API: the flow editor is another page, not this one's. Last, the settings pages in Chromium at
390 px: nothing wider than a phone."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest
import queues_sip as sip
import queues_stack as qs
from stack import port_base
from test_ivr_calls import _log, _record
from test_reports_wallboard import browser  # noqa: F401  (the module's Chromium fixture)

from centralita.telephony.sipp import place_call

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(21000)
AGENT_PORT, RTP = PORT_BASE + 101, PORT_BASE + 200
DID, FLOW, QUEUE, PROMPT = "5553100", "entrada", "soporte", "bienvenida-soporte"
SHOTS = os.environ.get("CENTRALITA_SHOTS_DIR")  # where to save the page's screenshots, if set
SETTINGS_PAGES = ("users", "agents", "queues", "prompts", "dids", "calendars", "audit")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = qs.start(tmp_path_factory.mktemp("settings"), PORT_BASE, queues=[], agents=[])
    try:
        yield s
    finally:
        s.stop_all()


class Browserless:
    """The admin's browser without a browser: the session cookie, and each form's own CSRF token."""

    def __init__(self, base: str):
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
        token = self.csrf(self.http.get("/login").text)
        r = self.http.post("/login", data={"username": qs.ADMIN[0], "password": qs.ADMIN[1], "csrf": token})
        assert r.status_code == 303, r.text

    @staticmethod
    def csrf(html: str) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', html).group(1)

    def submit(self, page: str, action: str, data: dict, files: dict | None = None) -> httpx.Response:
        """GET the page, then POST one of its forms (the action must be on the page) with its token."""
        html = self.http.get(page).text
        assert f'action="{action}"' in html, f"no form posting to {action} on {page}"
        return self.http.post(action, data=data | {"csrf": self.csrf(html)}, files=files)


def spoken_wav(directory: Path) -> bytes:
    """A real recording's stand-in: espeak-ng's voice at 22 kHz (the upload converts it to 8 kHz)."""
    out = directory / "bienvenida.wav"
    subprocess.run(["espeak-ng", "-v", "es", "-w", str(out), "Bienvenido al soporte técnico."], check=True, timeout=30)
    return out.read_bytes()


def test_a_call_uses_what_the_pages_created(stack, tmp_path):
    admin = Browserless(stack.api_url)
    queue = {
        "name": QUEUE,
        "label": "Soporte técnico",
        "strategy": "rrmemory",
        "member_timeout": "15",
        "wrapup_seconds": "1",
        "max_wait_seconds": "60",
        "announce_frequency": "0",
        "overflow_type": "hangup",
        "callback_key": "",
    }
    r = admin.submit("/settings/queues", "/settings/queues", queue)
    assert r.status_code == 303, r.text[-2000:]
    agent = {"username": "tecnico", "full_name": "Técnico Uno", "extension": "2001", "role": "agent"}
    r = admin.submit("/settings/agents", "/settings/agents", agent | {"contact": f"sip:tecnico@127.0.0.1:{AGENT_PORT}"})
    assert r.status_code == 200 and 'id="sip-password"' in r.text, r.text[-2000:]
    web_password = re.search(r'<code id="web-password">([^<]+)</code>', r.text).group(1)
    r = admin.submit("/settings/agents", "/settings/agents/tecnico/skills", {"queue": QUEUE, "penalty": "0"})
    assert r.status_code == 303
    files = {"audio": ("bienvenida.wav", spoken_wav(tmp_path), "audio/wav")}
    r = admin.submit("/settings/prompts", "/settings/prompts/upload", {"name": PROMPT}, files=files)
    assert r.status_code == 303, r.text[-2000:]

    # The flow, through the API for now (the flow editor is being built elsewhere).
    boss = stack.token(*qs.ADMIN)
    definition = {
        "start": "hola",
        "nodes": {"hola": {"type": "play", "prompt": PROMPT, "next": {"type": "queue", "queue": QUEUE}}},
    }
    headers = {"Authorization": f"Bearer {boss}"}
    r = httpx.put(f"{stack.api_url}/api/ivr/flows/{FLOW}", json={"definition": definition}, headers=headers)
    assert r.status_code == 201, r.text
    assert qs.post(stack, f"/api/ivr/flows/{FLOW}/publish", boss, {}).status_code == 200

    r = admin.submit("/settings/dids", "/settings/dids", {"form": "add", "number": DID, "flow": FLOW})
    assert r.status_code == 303
    notice = admin.http.get("/settings/dids").text
    assert f"El número {DID} va al flujo «{FLOW}». Ya está en vigor." in notice  # reloaded live

    # The agent's desk phone answers; they start their shift (their own action, through the API: no page
    # has it yet).
    work = sip.workdir()
    phone = sip.start_agent(work, "tecnico", AGENT_PORT, RTP, ring_ms=300, audio=sip.tone_file(work))
    try:
        r = qs.post(stack, "/api/agents/tecnico/login", stack.token("tecnico", web_password))
        assert r.status_code == 200 and r.json()["queues"] == [QUEUE], r.text
        before = len(_log(stack))
        call = place_call(stack.settings(), DID, hold_seconds=9.0, caller="5550101")
        assert call.ok, call.output
    finally:
        phone.stop()
    assert phone.count("CONNECTED") == 1, phone.log.read_text(errors="replace")[-3000:]
    record = _record(stack, boss, call.call_id)
    print("call record path:", record["path"])
    assert record["path"] == f"flow:{FLOW}/v1>hola>queue:{QUEUE}", record

    def answered():
        rows = stack.get("/api/queues/history/calls", boss, queue=QUEUE).json()
        return next((r for r in rows if r["caller"] == "5550101" and r["outcome"] != "waiting"), None)

    visit = stack.wait_for(answered, 15, 0.5)
    assert visit and (visit["outcome"], visit["agent"]) == ("answered", "tecnico"), visit
    played = [line for line in _log(stack)[before:].splitlines() if f"custom/{PROMPT}" in line]
    print("\n".join(played))
    assert played, "Asterisk's log shows no playback of the uploaded prompt"


def test_the_settings_pages_fit_a_phone(stack, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    page = context.new_page()
    page.goto(f"{stack.api_url}/login")
    page.fill("#username", qs.ADMIN[0])
    page.fill("#password", qs.ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.api_url}/")
    for name in SETTINGS_PAGES:
        page.goto(f"{stack.api_url}/settings/{name}")
        for summary in page.locator("details summary").all()[:2]:
            summary.click()  # the change forms, open as an admin would have them
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"/settings/{name} is {wide} px wide at a 390 px viewport"
        if SHOTS and name == "queues":
            page.screenshot(path=f"{SHOTS}/settings-queues-390.png", full_page=True)
    if SHOTS:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{stack.api_url}/settings/queues")
        page.locator("details summary").first.click()
        page.screenshot(path=f"{SHOTS}/settings-queues.png", full_page=True)
    context.close()
