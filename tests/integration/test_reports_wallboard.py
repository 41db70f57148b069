"""The wallboard in a real browser on the real stack: sipp callers answered before and after the
service-level threshold, a short and a long abandon, a callback clicked on the page. After each event the
page (Debian's Chromium driven by Playwright, logged in as a supervisor) shows the right figures, and the
historical report of that hour (GET /api/reports/kpi) gives the same numbers.

Latency (the event's `at` → the tile's text change seen by a MutationObserver in the page) is measured
and printed as JSON, never asserted on time: performance figures are not test verdicts."""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import queues_sip as sip
import queues_stack as qs
from stack import port_base

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(22000)
AGENT, SUP, PHONE = PORT_BASE + 101, PORT_BASE + 102, PORT_BASE + 103
RTP = PORT_BASE + 200
QUEUE = "ventas"
SL_S, SHORT_S = 3, 2  # the queue's own thresholds, so "after the threshold" needs only a few seconds
CHROMIUM = "/usr/bin/chromium"
SHOTS = os.environ.get("CENTRALITA_SHOTS_DIR")  # where to save screenshots of the pages, if set
# Compared between the page, /api/reports/live and /api/reports/kpi (names of reports/KPIS.md).
COMPARED = ("offered", "answered", "abandoned", "short_abandoned", "sl_answered", "abandon_rate", "callbacks_made")

NOW_TILES = {
    "waiting",
    "longest_wait_s",
    "calls",
    "agents_available",
    "agents_ringing",
    "agents_on_call",
    "agents_wrapup",
    "agents_paused",
    "agents_unreachable",
}
# Records every text change of a tile with the `at` of the event that caused it (set by wallboard.js).
OBSERVER = """() => {
  window.__changes = [];
  new MutationObserver(records => {
    const seen = Date.now() / 1000;
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const tile = el.closest(".tile");
      if (!tile || !el.matches("b")) continue;  // the big figure (today / now), not the 60-minute line
      window.__changes.push({kpi: tile.dataset.kpi || tile.dataset.now, text: el.textContent,
        at: parseFloat(tile.dataset.at || "NaN"), seen});
    }
  }).observe(document.getElementById("wallboard"), {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = qs.start(
        tmp_path_factory.mktemp("wallboard"),
        PORT_BASE,
        queues=[[QUEUE, "--wrapup", "1", "--max-wait", "60", "--announce-frequency", "0", "--callback-key", "5"]],
        agents=[("agentw", "1301", AGENT, "agent", [QUEUE]), ("supw", "1302", SUP, "supervisor", [])],
        extra_env={
            "CENTRALITA_DEFAULT_QUEUE": QUEUE,
            "CENTRALITA_QUEUE_CALLBACK_DIAL": f"PJSIP/demo/sip:${{CB_NUMBER}}@127.0.0.1:{PHONE}",
        },
    )
    try:
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh --test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # The wall screen's browser keeps its own clock under scripts/test-at-clock.sh, as a TV does: the
        # page corrects its clock's skew from the server's events, and libfaketime made Chromium spin.
        own_clock = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "DONT_FAKE_MONOTONIC")}
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, chromium_sandbox=False, env=own_clock)
        try:
            yield b
        finally:
            b.close()


def tile(page, kpi: str, window: str = "today") -> str:
    sel = f'section[data-queue="{QUEUE}"] [data-kpi="{kpi}"] [data-window="{window}"]'
    if window == "now":
        sel = f'section[data-queue="{QUEUE}"] [data-now="{kpi}"] b'
    return page.locator(sel).inner_text()


def wait_tiles(page, expected: dict[str, str], window: str = "today", timeout_s: float = 20) -> None:
    """Until every tile shows its text (the engine has a few seconds to see the queue_log line)."""
    script = """([queue, win, expected]) => Object.entries(expected).every(([k, v]) => {
      const sel = win === "now" ? `section[data-queue="${queue}"] [data-now="${k}"] b`
                                : `section[data-queue="${queue}"] [data-kpi="${k}"] [data-window="${win}"]`;
      const el = document.querySelector(sel); return el && el.textContent === v; })"""
    try:
        page.wait_for_function(script, arg=[QUEUE, window, expected], timeout=timeout_s * 1000)
    except Exception:
        shown = {k: tile(page, k, window) for k in expected}
        raise AssertionError(f"{window}: page shows {shown}, expected {expected}") from None


def pct(v: float) -> str:
    return f"{100 * v:.1f}\u00a0%"


def test_wallboard_follows_calls_and_matches_the_report(stack, browser):
    boss = stack.token(*qs.ADMIN)
    headers = {"Authorization": f"Bearer {boss}"}
    r = httpx.put(
        f"{stack.api_url}/api/reports/queues/{QUEUE}/settings",
        json={
            "sl_threshold_s": SL_S,
            "short_abandon_s": SHORT_S,
            "colours": {"abandon_rate": {"warn": 0.1, "alarm": 0.3}},
        },
        headers=headers,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    started = datetime.now(UTC)
    work = sip.workdir()
    tone = sip.tone_file(work)
    agent = sip.start_agent(work, "agentw", AGENT, RTP, ring_ms=300, audio=tone)
    phone = sip.start_agent(work, "cb", PHONE, RTP, ring_ms=300, audio=tone, hangup_ms=2000)
    sip_port = int(stack.env["CENTRALITA_SIP_PORT"])

    def caller(number: str, hold_ms: int) -> sip.Sipp:
        return sip.start_caller(work, sip_port, "7770003", number, hold_ms, RTP, audio=tone)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        page.goto(f"{stack.api_url}/login")
        page.fill("#username", "supw")
        page.fill("#password", stack.passwords["supw"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{stack.api_url}/")
        page.goto(f"{stack.api_url}/wallboard?queue={QUEUE}")
        page.wait_for_selector('#conn[data-state="open"]', timeout=15000)  # the websocket with the session
        page.evaluate(OBSERVER)
        assert qs.post(stack, "/api/agents/agentw/login", boss).status_code == 200
        wait_tiles(page, {"agents_available": "1"}, "now")
        wait_tiles(page, {"offered": "0", "answered": "0"})

        # 1. Answered at once (the agent is free): within the service level.
        a = caller("5553001", 4000)
        assert a.wait(30) == 0, (work / "caller-5553001.out").read_text()[-2000:]
        wait_tiles(page, {"offered": "1", "answered": "1", "abandoned": "0", "sl_answered": pct(1)})
        assert stack.wait_for(lambda: tile(page, "agents_available", "now") == "1", 10)  # wrap-up over

        # 2. Nobody free (paused): a short abandon (1 s < 2 s) ...
        assert qs.post(stack, "/api/agents/agentw/pause", boss, {"reason": "break"}).status_code == 200
        wait_tiles(page, {"agents_paused": "1", "agents_available": "0"}, "now")
        b = caller("5553002", 1000)
        wait_tiles(page, {"waiting": "1"}, "now")
        assert b.wait(30) == 0
        wait_tiles(page, {"waiting": "0"}, "now")
        wait_tiles(page, {"short_abandoned": "1", "abandoned": "0", "answered": "1"})
        # 3. ... and a long one (4 s), which goes to the list of today's abandoned callers.
        c = caller("5553003", 4000)
        assert c.wait(30) == 0
        wait_tiles(page, {"abandoned": "1", "short_abandoned": "1"})
        row = page.locator('#abandoned tr:has-text("5553003")')
        row.wait_for(timeout=10000)

        # 4. Answered after the threshold: the agent comes back after ~5 s of waiting.
        # Timed from the call's start, with patience to spare: the page's "waiting" can take seconds to show
        # on a loaded machine, and a caller who hung up first would be a second abandon (seen once).
        began = time.monotonic()
        d = caller("5553004", 20000)
        wait_tiles(page, {"waiting": "1"}, "now")
        time.sleep(max(0.0, 5 - (time.monotonic() - began)))
        assert qs.post(stack, "/api/agents/agentw/unpause", boss).status_code == 200
        assert d.wait(30) == 0
        wait_tiles(page, {"answered": "2", "sl_answered": pct(0.5), "abandoned": "1"})
        assert page.locator(f'section[data-queue="{QUEUE}"] [data-kpi="abandon_rate"]').get_attribute("class").split()[
            -1
        ] in ("warn", "alarm")  # the queue's colour threshold applies

        if SHOTS:  # the README's pictures, from this real run (one abandoned caller still waiting for a call)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.wait_for_timeout(300)
                page.screenshot(path=f"{SHOTS}/wallboard-{width}.png", full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})

        # 5. One click calls the long abandon back; the agent answers the callback, the phone rings.
        row.get_by_role("button").click()
        assert stack.wait_for(lambda: phone.count("ENDED") == 1, 40), phone.events()
        page.locator('#abandoned tr:has-text("5553003")').wait_for(state="detached", timeout=10000)
        wait_tiles(page, {"callbacks_made": "1"})

        # The page, the live figures and the historical report of that hour agree — once the engine has
        # folded the callback's own queue_log lines (polled: on a loaded machine that is not within 2 s).
        since = started.replace(minute=0, second=0, microsecond=0)
        until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

        def figures() -> tuple[dict, list[dict]]:
            live = stack.get("/api/reports/live", boss, queue=QUEUE).json()["queues"][QUEUE]["today"]
            params = {"queue": QUEUE, "since": since.isoformat(), "until": until.isoformat(), "group_by": "queue"}
            return live, stack.get("/api/reports/kpi", boss, **params).json()["rows"]

        stack.wait_for(lambda: (f := figures())[1] and all(f[1][0][n] == f[0][n] for n in COMPARED), 20)
        live, rows = figures()
        assert len(rows) == 1, rows
        report = rows[0]
        fmt = {"sl_answered": pct, "abandon_rate": pct}

        def shown(name: str) -> str:
            return (fmt.get(name) or (lambda v: str(round(v))))(report[name])

        stack.wait_for(lambda: all(tile(page, name) == shown(name) for name in COMPARED), 10)  # the last push
        for name in COMPARED:
            assert report[name] == live[name], (name, report[name], live[name])
            assert tile(page, name) == shown(name), (name, tile(page, name), shown(name))
        assert (report["answered"], report["abandoned"], report["short_abandoned"]) >= (2, 1, 1)

        changes = [c for c in page.evaluate("window.__changes") if c["at"] == c["at"]]  # NaN: not from an event
        # One figure per event (its last tile to change), split into the engine's KPIs and the "now" part.
        per_event: dict[tuple[str, float], float] = {}
        for c in changes:
            kind = "now" if c["kpi"] in NOW_TILES else "kpi"
            per_event[(kind, c["at"])] = max(per_event.get((kind, c["at"]), 0.0), c["seen"] - c["at"])
        figures = {}
        for kind in ("kpi", "now"):
            lat = sorted(v for (k, _at), v in per_event.items() if k == kind)
            assert lat, f"no {kind} tile changed on an event"
            figures[kind] = {
                "events": len(lat),
                "p50_ms": round(1000 * statistics.median(lat), 1),
                "p95_ms": round(1000 * lat[max(0, math.ceil(0.95 * len(lat)) - 1)], 1),
                "max_ms": round(1000 * lat[-1], 1),
                "raw_ms": [round(1000 * x, 1) for x in lat],
            }
        print("wallboard event→screen latency:", json.dumps(figures))
        assert not [e for e in console if e.startswith("pageerror")], console
        if SHOTS:
            day = started.date().isoformat()
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{stack.api_url}/reports?since={day}&until={day}&group_by=hour")
                page.wait_for_timeout(500)  # the chart draws
                page.screenshot(path=f"{SHOTS}/reports-{width}.png", full_page=True)
    finally:
        context.close()
        agent.stop()
        phone.stop()
