"""The dialing engine on the real Asterisk: sipp plays the far end of the trunk (a person who says
"¿Aló?" and talks, an answering machine's long greeting, busy, no answer) and a sipp softphone is
the campaign queue's agent. The engine dials the list, AMD tells the person from the machine, the
person reaches the agent (screen pop with the contact), the agent's disposition closes the
contact; do-not-call and out-of-window contacts are never dialled; with the agent made unavailable
while a call rings, the answered person hears the safe-harbor message and the attempt is abandoned
(checked in Asterisk's own AMI events and CEL). Then the live figures and the report."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import threading
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import queues_sip as sip
import queues_stack as qs
from jinja2 import Template
from stack import port_base
from test_ivr_calls import AmiEvents

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(29500)
AGENT, FAR_END = PORT_BASE + 101, PORT_BASE + 150
RTP = PORT_BASE + 200

# The far end answers by the number's last two digits: 1x a person who talks 5 s, 6x one who talks
# 12 s, 5x one who stays on the line, 2x a machine, 3x busy, anything else rings until Asterisk gives up.
HUMAN, MACHINE, BUSY, NO_ANSWER = "+50499000011", "+50499000021", "+50499000031", "+50499000041"
DNC, OUTSIDE, ABANDON = "+50499000012", "+50499000013", "+50499000051"

FAR_END_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="trunk far end">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="INVITE sip:([^@]+)@" search_in="msg" check_it="true" assign_to="whole,num"/>
      <ereg regexp="INVITE sip:[^@]*1[0-9]@" search_in="msg" check_it="false" assign_to="human"/>
      <ereg regexp="INVITE sip:[^@]*2[0-9]@" search_in="msg" check_it="false" assign_to="machine"/>
      <ereg regexp="INVITE sip:[^@]*3[0-9]@" search_in="msg" check_it="false" assign_to="busy"/>
      <ereg regexp="INVITE sip:[^@]*5[0-9]@" search_in="msg" check_it="false" assign_to="patient"/>
      <ereg regexp="INVITE sip:[^@]*6[0-9]@" search_in="msg" check_it="false" assign_to="talker"/>
      <ereg regexp="([0-9]+)" search_in="hdr" header="CSeq:" check_it="true" assign_to="cs,csnum"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="peer_contact"/>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="peer_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="peer_to"/>
      <log message="EVT INVITED [$num] [timestamp] [$whole] cseq [$cs]"/>
    </action>
  </recv>
  <nop test="human" next="human"/>
  <nop test="machine" next="machine"/>
  <nop test="busy" next="busy"/>
  <nop test="patient" next="patient"/>
  <nop test="talker" next="talker"/>
{% set ringing %}
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]far[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:far@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
{% endset %}
{% macro answer(kind, audio, talk_ms) %}
  <label id="{{ kind }}"/>
  {{ ringing }}
  <pause milliseconds="1500"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]far[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:far@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=far 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [rtpstream_audio_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv
    ]]>
  </send>
  <recv request="ACK">
    <action>
      <log message="EVT ANSWERED [$num] [timestamp]"/>
      <exec rtp_stream="{{ audio }},-1,8"/>
    </action>
  </recv>
  <recv request="BYE" timeout="{{ talk_ms }}" ontimeout="{{ kind }}_bye"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <nop next="end"><action><log message="EVT THEY-HUNG-UP [$num] [timestamp]"/></action></nop>
  <label id="{{ kind }}_bye"/>
  <send retrans="500">
    <![CDATA[
      BYE [$peer_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$peer_to];tag=[pid]far[call_number]
      To: [$peer_from]
      [last_Call-ID:]
      CSeq: 2 BYE
      Contact: <sip:far@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" next="end"><action><log message="EVT WE-HUNG-UP [$num] [timestamp]"/></action></recv>
{% endmacro %}
  <!-- no answer: it rings until Asterisk gives up (CANCEL) -->
  {{ ringing }}
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]far[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]far[call_number]
      [last_Call-ID:]
      CSeq: [$csnum] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" next="end"><action><log message="EVT CANCELLED [$num] [timestamp]"/></action></recv>
  <label id="busy"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]far[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" next="end"><action><log message="EVT BUSY [$num] [timestamp]"/></action></recv>
  {{ answer("human", hello, 5000) }}
  {{ answer("patient", hello, 30000) }}
  {{ answer("talker", hello, 12000) }}
  {{ answer("machine", greeting, 30000) }}
  <label id="end"/>
  <timewait milliseconds="200"/>
</scenario>
"""


def _speech(directory, name: str, text: str, pad_seconds: float) -> str:
    """espeak-ng Spanish speech, then `pad_seconds` of silence, as raw A-law for sipp's RTP stream.
    The far end streams it in a loop: AMD needs frames all the time (none at all reads as a hang-up)."""
    wav, out = directory / f"{name}.wav", directory / f"{name}.al"
    subprocess.run(["espeak-ng", "-v", "es-419", "-s", "160", "-w", str(wav), text], check=True, timeout=30)
    subprocess.run(
        ["sox", str(wav), "-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", str(out), "pad", "0", str(pad_seconds)],
        check=True,
        timeout=30,
    )
    return str(out)


class FarEnd(sip.Sipp):
    def numbers(self, label: str) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return re.findall(rf"EVT {label} (\S+)", text)


def _zones() -> tuple[str, str]:
    """A zone where it is daytime now (the campaign's), and one at least 6 hours away from it."""
    now = datetime.now(UTC)
    names = [
        "America/Tegucigalpa",
        "America/Los_Angeles",
        "UTC",
        "Europe/Madrid",
        "Asia/Dubai",
        "Asia/Kolkata",
        "Asia/Tokyo",
        "Pacific/Auckland",
        "Pacific/Honolulu",
    ]
    hour = {n: now.astimezone(ZoneInfo(n)).hour + now.astimezone(ZoneInfo(n)).minute / 60 for n in names}
    home = min(names, key=lambda n: abs(hour[n] - 12))
    away = next(n for n in names if min(abs(hour[n] - hour[home]), 24 - abs(hour[n] - hour[home])) >= 6)
    return home, away


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = qs.start(
        tmp_path_factory.mktemp("dialer"),
        PORT_BASE,
        queues=[["cobranza", "--wrapup", "1", "--max-wait", "30", "--announce-frequency", "0"]],
        agents=[("agentd", "1301", AGENT, "agent", ["cobranza"])],
        extra_env={
            "CENTRALITA_DIALER_DIAL": f"PJSIP/demo/sip:{{number}}@127.0.0.1:{FAR_END}",
            "CENTRALITA_DIALER_STATS_INTERVAL": "1",
            "CENTRALITA_DIALER_TRUNK_CHANNELS": "4",
        },
    )
    try:
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="module")
def phones(stack):
    work = sip.workdir()
    hello = _speech(work, "hello", "¿Aló?", 6)
    greeting = _speech(
        work,
        "greeting",
        "Hola, has llamado al buzón de voz de Juan Pérez. En este momento no puedo "
        "atenderte. Deja tu mensaje después del tono y te devuelvo la llamada.",
        1,
    )
    xml = work / "far-end.xml"
    xml.write_text(Template(FAR_END_XML).render(hello=hello, greeting=greeting))
    far = FarEnd(
        "far-end",
        [
            sip._sipp(),
            "-sf",
            str(xml),
            "-i",
            "127.0.0.1",
            "-p",
            str(FAR_END),
            "-mi",
            "127.0.0.1",
            "-mp",
            str(RTP + 100),
            "-nostdin",
            "-trace_logs",
            "-timeout",
            "600s",
        ],
        work,
    )
    agent = sip.start_agent(work, "agentd", AGENT, RTP, ring_ms=300, audio=sip.tone_file(work))
    yield {"work": work, "far": far, "agent": agent}
    far.stop()
    agent.stop()


def api(stack, method: str, path: str, token: str, **kw) -> httpx.Response:
    return httpx.request(
        method, f"{stack.api_url}/api{path}", headers={"Authorization": f"Bearer {token}"}, timeout=15, **kw
    )


def attempts_by_phone(stack, token: str) -> dict[str, dict]:
    items = api(stack, "GET", "/dialer/campaigns/cobros/attempts", token).json()["items"]
    return {a["phone"]: a for a in sorted(items, key=lambda a: a["id"])}


class BusEvents:
    """`dialer.*` events straight from the Redis channel the API publishes on."""

    def __init__(self, stack):
        import redis

        self.client = redis.Redis(port=int(stack.env["CENTRALITA_REDIS_PORT"]), decode_responses=True)
        self.pubsub = self.client.pubsub()
        self.pubsub.subscribe("centralita:events")
        self.events: list[dict] = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            message = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message:
                self.events.append(json.loads(message["data"]))

    def of(self, kind: str) -> list[dict]:
        return [e["data"] for e in self.events if e["type"] == kind]

    def close(self) -> None:
        self._stop = True
        self._thread.join(3)
        self.pubsub.close()


def test_campaign_dials_bridges_and_respects_dnc_windows_and_safe_harbor(stack, phones):
    boss, agent_token = stack.token(*qs.ADMIN), qs.token(stack, "agentd")
    far, agent = phones["far"], phones["agent"]
    home, away = _zones()
    local = datetime.now(ZoneInfo(home))
    start, end = f"{max(local.hour - 2, 0):02d}:00", f"{min(local.hour + 3, 23):02d}:59"
    assert api(stack, "POST", "/agents/agentd/login", boss).status_code == 200
    r = api(
        stack,
        "POST",
        "/dialer/campaigns",
        boss,
        json={
            "name": "cobros",
            "mode": "progressive",
            "queue_name": "cobranza",
            "caller_id": "+50422000000",
            "window_days": [0, 1, 2, 3, 4, 5, 6],
            "window_start": start,
            "window_end": end,
            "default_timezone": home,
            "dial_timeout": 6,
            "amd_action": "hangup",
        },
    )
    assert r.status_code == 201, r.text
    assert api(stack, "POST", "/dialer/lists", boss, json={"name": "morosos", "campaign": "cobros"}).status_code == 201
    rows = [
        ("telefono", "nombre", "monto", "tz"),
        (HUMAN, "Ana Persona", "1500.50", home),
        (MACHINE, "Mario Máquina", "20", home),
        (BUSY, "Berta Ocupada", "30", home),
        (NO_ANSWER, "Nadia Nadie", "40", home),
        (DNC, "Dora Nollamar", "50", home),
        (OUTSIDE, "Olga Lejos", "60", away),
    ]
    body = "\n".join(",".join(r) for r in rows).encode()
    r = api(stack, "POST", "/dialer/lists/morosos/import", boss, files={"file": ("morosos.csv", body, "text/csv")})
    assert r.status_code == 200 and r.json()["accepted"] == 6, r.text
    assert (
        api(stack, "POST", "/dialer/dnc", boss, json={"phone": DNC, "reason": "pidió no ser llamada"}).status_code
        == 201
    )

    listener = qs.EventListener(stack, agent_token)
    bus = BusEvents(stack)
    ami = AmiEvents(stack.settings()).__enter__()
    try:
        assert api(stack, "POST", "/dialer/campaigns/cobros/start", boss).status_code == 200
        # The person reaches the agent; then the machine, the busy line and the one nobody answers.
        assert stack.wait_for(lambda: agent.count("CONNECTED") == 1, 40), far.log.read_text()[-3000:]
        done = stack.wait_for(
            lambda: (
                (a := attempts_by_phone(stack, boss)) and len(a) == 4 and all(x["ended_at"] for x in a.values()) and a
            ),
            60,
        )
        assert done, attempts_by_phone(stack, boss)
        person, machine = done[HUMAN], done[MACHINE]
        assert (person["outcome"], person["amd_status"], person["agent_name"]) == ("connected", "HUMAN", "agentd")
        assert person["linkedid"].startswith("dialer-") and person["connected_at"]
        assert (machine["outcome"], machine["amd_status"]) == ("machine", "MACHINE")
        assert done[BUSY]["outcome"] == "busy" and done[NO_ANSWER]["outcome"] == "no_answer"
        assert sorted(far.numbers("INVITED")) == sorted([HUMAN, MACHINE, BUSY, NO_ANSWER])
        assert far.numbers("CANCELLED") == [NO_ANSWER] and far.numbers("BUSY") == [BUSY]
        assert far.numbers("WE-HUNG-UP") == [HUMAN]  # the person talked and hung up
        assert far.numbers("THEY-HUNG-UP") == [MACHINE]  # AMD said machine: we hung up on it
        # The 2-second rule, on Asterisk's clock: from AMD's verdict to the agent's answer.
        verdict = ami.first("UserEvent", UserEvent="CentralitaDialer", State="amd", Uniqueid=person["linkedid"])
        connect = ami.first("AgentConnect", Uniqueid=person["linkedid"])
        assert verdict["Status"] == "HUMAN" and connect["MemberName"] == "agentd"
        print(f"human answer to agent: {float(connect['Timestamp']) - float(verdict['Timestamp']):.3f} s")
        assert float(connect["Timestamp"]) - float(verdict["Timestamp"]) < 2.0

        # Screen pop: the contact's data reached the agent's event stream (and the channel).
        pops = listener.of("agent.dialer.contact", agent="agentd")
        assert (
            pops and pops[0]["contact"]["name"] == "Ana Persona" and pops[0]["contact"]["fields"]["monto"] == "1500.50"
        )
        assert pops[0]["attempt_id"] == person["id"]
        standard = listener.of("agent.screenpop", agent="agentd")
        assert standard and standard[0]["ivr"]["lookup"]["name"] == "Ana Persona"  # CENTRALITA_LOOKUP, intact JSON
        assert standard[0]["ivr"]["lookup"]["dialer"]["attempt_id"] == person["id"]

        # The agent's disposition closes the contact; another agent's or a second one is refused.
        r = api(
            stack,
            "POST",
            f"/dialer/attempts/{person['id']}/disposition",
            agent_token,
            json={"disposition": "promesa_pago"},
        )
        assert r.status_code == 200 and r.json()["contact"]["status"] == "done", r.text
        assert (
            api(
                stack, "POST", f"/dialer/attempts/{person['id']}/disposition", agent_token, json={"disposition": "otra"}
            ).status_code
            == 409
        )
        assert (
            api(
                stack, "POST", f"/dialer/attempts/{machine['id']}/disposition", boss, json={"disposition": "x"}
            ).status_code
            == 409
        )  # never reached an agent
        contacts = {c["phone"]: c for c in api(stack, "GET", "/dialer/lists/morosos/contacts", boss).json()["items"]}
        assert contacts[DNC]["status"] == "dnc" and contacts[OUTSIDE]["status"] == "new"
        assert contacts[MACHINE]["status"] == "scheduled" and contacts[BUSY]["last_outcome"] == "busy"

        # Recorded as an outbound campaign call ([centralita-record] from the dialer's dialplan), with
        # the contact as the other party and the agent who took it; it ended and went to the pipeline.
        def person_recording():
            items = api(stack, "GET", "/recordings", boss, params={"campaign": "cobros", "caller": HUMAN}).json()[
                "items"
            ]
            return items if items and items[0]["stage"] != "recording" else None

        recs = stack.wait_for(person_recording, 20)
        assert recs and len(recs) == 1, api(stack, "GET", "/recordings", boss, params={"campaign": "cobros"}).json()
        assert (recs[0]["direction"], recs[0]["agent"], recs[0]["linkedid"]) == (
            "outbound",
            "agentd",
            person["linkedid"],
        )

        # No agent free when the person answers: safe-harbor message, counted as abandoned.
        extra = b"telefono,nombre,monto,tz\n" + f"{ABANDON},Pedro Sinagente,70,{home}".encode()
        r = api(stack, "POST", "/dialer/lists/morosos/import", boss, files={"file": ("mas.csv", extra, "text/csv")})
        assert r.status_code == 200 and r.json()["accepted"] == 1
        assert stack.wait_for(lambda: ABANDON in far.numbers("INVITED"), 20)
        assert api(stack, "POST", "/agents/agentd/pause", agent_token, json={"reason": "break"}).status_code == 200
        assert stack.wait_for(lambda: ABANDON in far.numbers("THEY-HUNG-UP"), 40), far.log.read_text()[-2000:]
        abandoned = stack.wait_for(
            lambda: (a := attempts_by_phone(stack, boss).get(ABANDON)) and a["ended_at"] and a, 10
        )
        assert abandoned["outcome"] == "abandoned" and abandoned["amd_status"] == "HUMAN", abandoned
        verdict = ami.first("UserEvent", UserEvent="CentralitaDialer", State="amd", Uniqueid=abandoned["linkedid"])
        gave_up = ami.first(
            "UserEvent", UserEvent="CentralitaDialer", State="abandoned", Uniqueid=abandoned["linkedid"]
        )
        waited = float(gave_up["Timestamp"]) - float(verdict["Timestamp"])
        print(f"human answer to safe-harbor message: {waited:.3f} s")
        assert 1.5 < waited < 3.0  # Queue's own 2 s timeout, then the message at once
        played = ami.first(
            "UserEvent", UserEvent="CentralitaDialer", State="safe-harbor", Uniqueid=abandoned["linkedid"]
        )
        assert played and played["Playback"] == "SUCCESS", [e for e in ami.events if e.get("Event") == "UserEvent"]
        assert ami.first("UserEvent", UserEvent="CentralitaDialer", State="abandoned", Uniqueid=abandoned["linkedid"])
        assert agent.count("INVITED") == 1, "a paused agent was rung"
        # Asterisk's own dialplan events: Playback of the safe-harbor file ran for its length.
        steps = [e for e in ami.events if e.get("Event") == "Newexten" and e.get("Uniqueid") == abandoned["linkedid"]]
        at = next(
            i
            for i, e in enumerate(steps)
            if e.get("Application") == "Playback" and e.get("AppData", "").endswith("/dialer-safe-harbor")
        )
        heard = float(steps[at + 1]["Timestamp"]) - float(steps[at]["Timestamp"])
        assert heard > 2.0, f"the safe-harbor message lasted {heard:.2f} s"  # a missing file ends at once

        # Live figures (API and the event stream) and the report (API CSV and CLI).
        stats = api(stack, "GET", "/dialer/campaigns/cobros/stats", boss).json()
        assert stats["engine"] is True and stats["human_answers"] == 2 and stats["abandoned"] == 1
        assert stats["abandon_rate_cumulative"] == 0.5 and stats["abandon_rate_rolling"] == 0.5
        assert stats["agents_logged_in"] == 0 and stats["contacts_left"] == 5, stats  # agent paused
        assert stack.wait_for(lambda: any(e["abandoned"] == 1 for e in bus.of("dialer.stats")), 5), bus.events[-5:]
    finally:
        ami.__exit__(None, None, None)
        listener.close()
        bus.close()
        api(stack, "POST", "/dialer/campaigns/cobros/stop", boss)
    r = api(stack, "GET", "/dialer/campaigns/cobros/report.csv", boss)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    total = list(csv.DictReader(io.StringIO(r.text)))[-1]
    assert (total["date"], total["attempts"], total["connects"], total["abandoned"]) == ("total", "5", "1", "1")
    assert total["right_party_contacts"] == "1" and total["disposition:promesa_pago"] == "1" and total["busy"] == "1"
    cli = stack.cli("dialer", "report", "cobros", "--csv").stdout
    assert cli.strip() == r.text.strip()


def _campaign(stack, token: str, name: str, rows: list[tuple], **values) -> None:
    home, _ = _zones()
    local = datetime.now(ZoneInfo(home))
    body = {
        "name": name,
        "queue_name": "cobranza",
        "caller_id": "+50422000000",
        "window_days": list(range(7)),
        "window_start": f"{max(local.hour - 2, 0):02d}:00",
        "window_end": f"{min(local.hour + 3, 23):02d}:59",
        "default_timezone": home,
        "dial_timeout": 6,
        **values,
    }
    assert api(stack, "POST", "/dialer/campaigns", token, json=body).status_code == 201
    assert (
        api(stack, "POST", "/dialer/lists", token, json={"name": f"{name}-lista", "campaign": name}).status_code == 201
    )
    # Each contact lives in the window's zone: without a tz column it would take its number's zone
    # (+504: Tegucigalpa), inside the window only at some hours of the day.
    csv_body = "telefono,nombre,monto,tz\n" + "\n".join(",".join((*r, home)) for r in rows)
    r = api(
        stack,
        "POST",
        f"/dialer/lists/{name}-lista/import",
        token,
        files={"file": ("l.csv", csv_body.encode(), "text/csv")},
    )
    assert r.status_code == 200 and r.json()["accepted"] == len(rows), r.text


def test_a_call_in_progress_survives_an_api_restart_and_is_never_dialled_twice(stack, phones):
    """The API (and its engine) restarts while a campaign call is connected: the new engine adopts
    the call from Asterisk, settles it when it ends, and the contact is not dialled again."""
    boss = stack.token(*qs.ADMIN)
    far, agent = phones["far"], phones["agent"]
    number = "+50499000061"
    api(stack, "POST", "/agents/agentd/login", boss)
    api(stack, "POST", "/agents/agentd/unpause", boss)  # 409 when not paused: fine
    connected_before = agent.count("CONNECTED")
    _campaign(stack, boss, "reinicio", [(number, "Rita Reinicio", "80")], mode="progressive")
    assert api(stack, "POST", "/dialer/campaigns/reinicio/start", boss).status_code == 200
    assert stack.wait_for(lambda: agent.count("CONNECTED") == connected_before + 1, 30), far.log.read_text()[-2000:]
    stack.stop_service("api")
    stack.start_service("api")
    assert stack.wait_health("ok"), stack.health()
    assert stack.wait_for(lambda: number in far.numbers("WE-HUNG-UP"), 30)  # the call went on meanwhile
    boss = stack.token(*qs.ADMIN)
    items = stack.wait_for(
        lambda: (
            (a := api(stack, "GET", "/dialer/campaigns/reinicio/attempts", boss).json()["items"])
            and a[0]["ended_at"]
            and a
        ),
        45,  # the restarted engine settles the call from Asterisk's hangup; a loaded machine took over 15 s
    )
    assert items and len(items) == 1, api(stack, "GET", "/dialer/campaigns/reinicio/attempts", boss).json()
    assert (items[0]["outcome"], items[0]["agent_name"]) == ("connected", "agentd")  # followed, not "failed"
    time.sleep(3)  # the campaign runs on with a ready agent: the contact awaits its disposition
    assert far.numbers("INVITED").count(number) == 1
    contact = api(stack, "GET", "/dialer/lists/reinicio-lista/contacts", boss).json()["items"][0]
    assert contact["status"] == "dialing" and contact["attempts"] == 0
    api(stack, "POST", "/dialer/campaigns/reinicio/stop", boss)


def test_voice_broadcast_says_the_contacts_fields(stack, phones):
    boss = stack.token(*qs.ADMIN)
    far = phones["far"]
    number = "+50499000053"  # stays on the line: we hang up after the message
    _campaign(
        stack,
        boss,
        "avisos",
        [(number, "Berta Aviso", "321")],
        mode="broadcast",
        broadcast_message="Estimada {name}, su saldo es de {monto} lempiras. Gracias.",
    )
    with AmiEvents(stack.settings()) as ami:
        assert api(stack, "POST", "/dialer/campaigns/avisos/start", boss).status_code == 200
        assert stack.wait_for(lambda: number in far.numbers("THEY-HUNG-UP"), 40), far.log.read_text()[-2000:]
        item = stack.wait_for(
            lambda: (
                (a := api(stack, "GET", "/dialer/campaigns/avisos/attempts", boss).json()["items"])
                and a[0]["ended_at"]
                and a[0]
            ),
            10,
        )
    assert (item["outcome"], item["amd_status"]) == ("connected", "HUMAN"), item
    heard = ami.first("UserEvent", UserEvent="CentralitaDialer", State="heard", Uniqueid=item["linkedid"])
    assert heard and heard["Playback"] == "SUCCESS"
    played = ami.first("Newexten", Uniqueid=item["linkedid"], Application="Playback")
    assert played and "/spool/dialer/" in played["AppData"], played
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(stack.settings())
    wav = paths.host(played["AppData"] + ".wav")
    assert wav.exists() and wav.stat().st_size > 8000  # the spoken message, with her name and amount
    contact = api(stack, "GET", "/dialer/lists/avisos-lista/contacts", boss).json()["items"][0]
    assert contact["status"] == "done"
    api(stack, "POST", "/dialer/campaigns/avisos/stop", boss)
