"""`centralita bench wallboard`: event → screen latency of the wallboard page, in a real browser.

Against the running stack (`centralita up`): Debian's Chromium (Playwright, headless) logs in as a
temporary supervisor and opens /wallboard for a temporary queue; `reports.kpi` events for that queue are
published on the event bus (Redis, as the KPI engine publishes them) at a fixed rate, each with a new
`offered` figure; a MutationObserver in the page notes when the tile shows it. Every hop after the engine
is the real one: Redis → the API's /api/events websocket (session cookie) → wallboard.js → the DOM.
The engine's own delay (queue_log line → publish) is not in it: tests/integration/
test_reports_wallboard.py measures the whole path on real calls."""

from __future__ import annotations

import json
import math
import time

from centralita.settings import Settings

BENCH_USER = "bench-wallboard"
BENCH_QUEUE = "bench-wallboard"  # a queue row only for the run: real wallboards never show it
CHROMIUM = "/usr/bin/chromium"
OBSERVER = """() => {
  window.__seen = {};
  const b = document.querySelector('[data-kpi="offered"] [data-window="today"]');
  new MutationObserver(() => { window.__seen[b.textContent] = Date.now() / 1000; })
    .observe(b, {childList: true, characterData: true, subtree: true});
}"""


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (a reported figure is a measured one)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _setup() -> str:
    """The temporary supervisor (re-enabled with a fresh password) and queue; returns the password."""
    from sqlmodel import select

    from api.users import service
    from api.users.models import Role
    from centralita.db import session_scope
    from queues.models import Queue

    password = service.generate_password()
    with session_scope() as session:
        user = service.get_by_username(session, BENCH_USER)
        if user is None:
            service.create_user(
                session, BENCH_USER, password, role=Role.supervisor, full_name="wallboard benchmark", client="bench"
            )
        elif user.id is not None:
            service.set_active(session, user.id, True, client="bench")
            service.set_password(session, user.id, password, client="bench")
        if session.exec(select(Queue).where(Queue.name == BENCH_QUEUE)).first() is None:
            session.add(Queue(name=BENCH_QUEUE, label="benchmark"))
    return password


def _teardown() -> None:
    from sqlmodel import select

    from api.users import service
    from centralita.db import session_scope
    from queues.models import Queue

    with session_scope() as session:
        for queue in session.exec(select(Queue).where(Queue.name == BENCH_QUEUE)):
            session.delete(queue)
        user = service.get_by_username(session, BENCH_USER)
        if user is not None and user.id is not None:
            service.set_active(session, user.id, False, client="bench")  # no usable login between runs


def run(settings: Settings, events: int, rate: float, drain: float = 3.0) -> dict:
    import redis

    from centralita import bus

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise RuntimeError("playwright is needed (pip install -e '.[test]')") from exc
    url = f"http://{settings.bind_host}:{settings.api_port}"
    password = _setup()
    client = redis.Redis.from_url(bus.redis_url(settings))
    sent: dict[str, float] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, chromium_sandbox=False)
            try:
                page = browser.new_page()
                page.goto(f"{url}/login")
                page.fill("#username", BENCH_USER)
                page.fill("#password", password)
                page.click("button[type=submit]")
                page.wait_for_url(f"{url}/")
                page.goto(f"{url}/wallboard?queue={BENCH_QUEUE}")
                page.wait_for_selector('#conn[data-state="open"]', timeout=15000)
                page.evaluate(OBSERVER)
                start = time.monotonic()
                for n in range(1, events + 1):
                    delay = start + n / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    figures = {"offered": 1000 + n}
                    at = time.time()
                    event = {"queue": BENCH_QUEUE, "today": figures, "last_60m": figures}
                    client.publish(bus.CHANNEL, json.dumps({"type": "reports.kpi", "at": at, "data": event}))
                    sent[str(1000 + n)] = at
                time.sleep(drain)
                seen = page.evaluate("window.__seen")
            finally:
                browser.close()
    finally:
        client.close()
        _teardown()
    latencies = [1000 * (seen[k] - at) for k, at in sent.items() if k in seen]
    return {
        "events": events,
        "shown": len(latencies),
        "missed": events - len(latencies),  # at a high rate the screen may skip a figure (a later one replaced it)
        "rate": rate,
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
    }
