"""Password guessing at POST /api/auth/token and /login is slowed down and locked out, per username and
per address, with real requests on SQLite and PostgreSQL. The app's clock is injected (no sleeping,
no wall clock): each test moves it by hand."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.audit.models import AuditLog
from api.users import service, throttle
from centralita.db import session_scope

PW = "correct-horse-1"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


def _app(clock: Clock):
    from api.app import create_app

    app = create_app(with_runtime=False)
    app.state.clock = clock
    return app


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(stack_env, clock):
    with session_scope() as s:
        service.create_user(s, "marta", PW, role="supervisor")
        service.create_user(s, "pedro", PW, role="agent")
    with TestClient(_app(clock), follow_redirects=False) as c:
        yield c


def token(client, username="marta", password=PW, **kw):
    return client.post("/api/auth/token", json={"username": username, "password": password}, **kw)


def lockouts() -> list[dict]:
    with session_scope() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "auth.lockout").order_by(AuditLog.id)).all()
        return [{"target": r.target, **r.detail} for r in rows]


def test_thirty_wrong_passwords_lock_the_user_until_the_lock_expires(client, clock):
    answers = [token(client, password=f"wrong-{i}") for i in range(30)]
    assert [r.status_code for r in answers[:5]] == [401] * 5
    assert {r.status_code for r in answers[5:]} == {429}  # refused without even checking the password
    locked = answers[-1]
    assert locked.headers["retry-after"] == "60" and "try again in 60 s" in locked.json()["detail"]
    assert locked.headers["cache-control"] == "no-store"

    assert token(client).status_code == 429  # the right password, while locked
    clock.advance(seconds=59)
    r = token(client)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    clock.advance(seconds=1)
    r = token(client)
    assert r.status_code == 200 and r.json()["access_token"]
    assert r.headers["cache-control"] == "no-store"  # a token must not stay in a cache

    assert lockouts() == [{"target": "user:marta", "via": "api", "scope": "user", "seconds": 60, "lockout": 1}]
    with session_scope() as s:  # only the 5 checked passwords count as failed logins
        failed = s.exec(select(AuditLog).where(AuditLog.action == "auth.login_failed")).all()
        assert len(failed) == 5


def test_each_lockout_lasts_twice_the_one_before_until_a_login_succeeds(client, clock):
    for expected in (60, 120, 240):
        for _ in range(5):
            assert token(client, password="wrong-password").status_code == 401
        r = token(client, password="wrong-password")
        assert r.status_code == 429 and r.headers["retry-after"] == str(expected)
        clock.advance(seconds=expected)
    assert token(client).status_code == 200  # resets the user's counter and lockout history
    for _ in range(4):
        assert token(client, password="wrong-password").status_code == 401
    assert token(client).status_code == 200  # 4 failures then success: never locked
    for _ in range(5):
        token(client, password="wrong-password")
    assert token(client).headers["retry-after"] == "60"  # back to the first step


def test_failures_outside_the_window_do_not_add_up(client, clock):
    for _ in range(4):
        assert token(client, password="wrong-password").status_code == 401
    clock.advance(minutes=16)
    for _ in range(4):
        assert token(client, password="wrong-password").status_code == 401
    assert token(client).status_code == 200


def test_unknown_usernames_lock_like_real_ones(client):
    """Otherwise a lockout would tell which usernames exist."""
    for name in ("marta", "nadie"):
        answers = [token(client, username=name, password="wrong-password").status_code for _ in range(6)]
        assert answers == [401] * 5 + [429], name


def test_one_address_guessing_many_users_is_locked_out_and_others_are_not(client, clock):
    budget = throttle.ADDRESS.failures
    attacker = TestClient(client.app, client=("203.0.113.7", 40000))
    for i in range(budget):  # a different username each time: no user lock is reached
        assert token(attacker, username=f"user{i}", password="wrong-password").status_code == 401
    r = token(attacker, username="pedro")
    assert r.status_code == 429 and r.headers["retry-after"] == "300"  # even a right password, from there
    assert token(client, username="pedro").status_code == 200  # from anywhere else: fine
    r = token(attacker)  # a success from elsewhere does not unlock the address
    assert r.status_code == 429
    clock.advance(seconds=300)
    assert token(attacker, username="pedro").status_code == 200
    assert lockouts()[-1] == {
        "target": "address:203.0.113.7",
        "via": "api",
        "scope": "address",
        "seconds": 300,
        "lockout": 1,
    }


def test_a_lockout_survives_an_api_restart(client, clock):
    for _ in range(5):
        token(client, password="wrong-password")
    with TestClient(_app(clock)) as restarted:  # a new app on the same database
        assert token(restarted).status_code == 429


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_the_web_login_is_throttled_the_same_way(client, clock):
    def login(password: str):
        csrf = _csrf(client.get("/login").text)
        return client.post("/login", data={"username": "marta", "password": password, "csrf": csrf})

    answers = [login(f"wrong-{i}") for i in range(30)]
    assert [r.status_code for r in answers[:5]] == [401] * 5 and {r.status_code for r in answers[5:]} == {429}
    page = answers[-1]
    assert "Demasiados intentos fallidos" in page.text and page.headers["retry-after"] == "60"
    assert login(PW).status_code == 429
    assert token(client).status_code == 429  # one lock for both doors
    clock.advance(minutes=1)
    r = login(PW)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert lockouts()[0]["via"] == "web"
