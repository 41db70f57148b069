"""The reports page over the engine's golden day (reports/tests/golden.py): the table shows the same
figures as GET /api/reports/kpi, the chart gets its data without inline script, the export links carry
the query, and a row drills down to its calls with links to their recordings."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from reports.tests import golden
from reports.tests.conftest import engine_env, feed  # noqa: F401  (engine_env: a fixture)
from web.tests.test_web_wallboard import login, no_inline_code

DAY = "2026-11-30"


@pytest.fixture
def client(engine_env):
    from api.app import create_app
    from api.users import service

    session, paths = engine_env
    feed(session, paths, golden.QUEUE_LOG, golden.CDRS)
    service.create_user(session, "marta", "correct-horse-1", role="supervisor")
    session.commit()
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        c.db = session
        yield c


def cells(html: str, column: str) -> dict[str, str]:
    """{row heading: text of that column} from the report table."""
    out = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S):
        key = row.split("</th>")[0].strip()
        out[key] = re.search(rf'data-col="{column}">([^<]*)<', row).group(1)
    return out


def test_table_chart_exports_and_drill_down_to_recordings(client):
    login(client, "marta", "correct-horse-1")
    page = client.get(f"/reports?since={DAY}&until={DAY}&group_by=queue&queue=ventas&queue=soporte")
    assert page.status_code == 200 and 'role="alert"' not in page.text, page.text[-3000:]
    no_inline_code(page.text)
    api = client.get(
        "/api/reports/kpi",
        params={"queue": ["ventas", "soporte"], "since": f"{DAY}T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
    ).json()["rows"]
    by_queue = {r["queue"]: r for r in api}
    assert cells(page.text, "offered") == {q: str(r["offered"]) for q, r in by_queue.items()}
    assert cells(page.text, "sl_answered")["ventas"] == (
        "—" if by_queue["ventas"]["sl_answered"] is None else f"{100 * by_queue['ventas']['sl_answered']:.1f} %"
    )
    chart = json.loads(unescape(re.search(r"data-chart='([^']*)'", page.text).group(1)))
    assert chart["labels"] == [r["queue"] for r in api]
    assert dict(chart["series"])["offered"] == [r["offered"] for r in api]
    for fmt in ("csv", "xlsx", "pdf"):
        link = unescape(re.search(rf'href="(/api/reports/kpi/export\?format={fmt}&[^"]+)"', page.text).group(1))
        assert "queue=ventas" in link and "group_by=queue" in link and "since=2026-11-30T00%3A00%3A00" in link

    # Drill-down from the ventas row: its calls, and a recording link where one exists.
    from reports import service
    from reports.schemas import parse_query

    calls = service.calls(
        client.db, parse_query(queue=["ventas"], since=f"{DAY}T00:00:00Z", until="2026-12-01T00:00:00Z")
    )
    answered = next(c for c in calls if c["agent"])
    from recorder.models import Recording

    rec = Recording(uniqueid="rec-1", linkedid=answered["linkedid"], agent=answered["agent"], queue="ventas")
    client.db.add(rec)
    client.db.commit()
    drill = unescape(re.search(r'href="(/reports/calls\?[^"]*row_queue=ventas[^"]*)"', page.text).group(1))
    page = client.get(drill)
    assert page.status_code == 200 and 'role="alert"' not in page.text
    no_inline_code(page.text)
    shown = re.findall(r'<tr data-callid="([^"]+)">', page.text)
    assert sorted(shown) == sorted(c["callid"] for c in calls)
    assert f'href="/recordings/{rec.id}"' in page.text


def test_grouping_by_hour_and_weekday_drills_down_by_time(client):
    login(client, "marta", "correct-horse-1")
    page = client.get(f"/reports?since={DAY}&until={DAY}&group_by=weekday")
    assert "lunes" in page.text  # 2026-11-30 is a Monday (ISO weekday 1)
    page = client.get(f"/reports?since={DAY}&until={DAY}&group_by=hour")
    assert "09:00" in page.text
    drill = unescape(re.search(r'href="(/reports/calls\?[^"]*row_hour=9[^"]*)"', page.text).group(1))
    assert re.findall(r'<tr data-callid="', client.get(drill).text)
    other = client.get(drill.replace("row_hour=9", "row_hour=10")).text
    assert not re.findall(r'<tr data-callid="', other)  # no golden call entered at 10:xx
