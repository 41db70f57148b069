"""A hand-written queue_log and CDR file of one quarter hour (Monday 2026-11-30 09:00 UTC) covering every
queue_log event the engine reads, with the figures worked out by hand in test_golden.py.

Offsets are seconds after T0. Queues: ventas (wrap-up 5 s, SL threshold 20 s, short abandon 5 s) and
soporte (wrap-up 0 s, SL threshold 30 s by its report setting). agent1 serves both queues."""

from __future__ import annotations

from datetime import UTC, datetime

T0 = int(datetime(2026, 11, 30, 9, 0, tzinfo=UTC).timestamp())
INTERVAL = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
NEXT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _l(offset: int, callid: str, queue: str, agent: str, event: str, *data: str) -> str:
    return "|".join([str(T0 + offset), callid, queue, agent, event, *data])


QUEUE_LOG = [
    _l(0, "MANAGER", "ventas", "agent1", "ADDMEMBER", ""),
    _l(0, "MANAGER", "ventas", "agent2", "ADDMEMBER", ""),
    _l(0, "MANAGER", "soporte", "agent3", "ADDMEMBER", ""),
    _l(0, "MANAGER", "soporte", "agent1", "ADDMEMBER", ""),
    # c1: answered by agent1 after 15 s (within 20), caller hangs up after 100 s
    _l(10, "c1", "ventas", "NONE", "ENTERQUEUE", "", "5551001", "1"),
    _l(25, "c1", "ventas", "agent1", "CONNECT", "15", "c1-agent", "2"),
    # c2: agent2 does not answer first (RINGNOANSWER), then answers after 30 s (outside 20); agent hangs up
    _l(20, "c2", "ventas", "NONE", "ENTERQUEUE", "", "5551002", "2"),
    # c3: short abandon (3 s < 5 s)
    _l(30, "c3", "ventas", "NONE", "ENTERQUEUE", "", "5551003", "3"),
    _l(33, "c3", "ventas", "NONE", "ABANDON", "3", "3", "3"),
    _l(35, "c2", "ventas", "agent2", "RINGNOANSWER", "15000"),
    # c4: long abandon within the threshold (12 s)
    _l(40, "c4", "ventas", "NONE", "ENTERQUEUE", "", "5551004", "3"),
    _l(50, "c2", "ventas", "agent2", "CONNECT", "30", "c2-agent", "15"),
    _l(52, "c4", "ventas", "NONE", "ABANDON", "2", "3", "12"),
    # c5: long abandon after the threshold (40 s)
    _l(60, "c5", "ventas", "NONE", "ENTERQUEUE", "", "5551005", "2"),
    # c6: max wait reached (EXITWITHTIMEOUT after 300 s), overflows to soporte, answered there by agent3
    _l(70, "c6", "ventas", "NONE", "ENTERQUEUE", "", "5551006", "3"),
    # c7: presses the callback key after 10 s (EXITWITHKEY + CALLBACK), called back later (CALLBACKDIAL)
    _l(80, "c7", "ventas", "NONE", "ENTERQUEUE", "", "5551007", "4"),
    _l(90, "c7", "ventas", "NONE", "EXITWITHKEY", "5", "3", "4", "10"),
    _l(90, "c7", "ventas", "NONE", "CALLBACK", "5551007"),
    _l(100, "c5", "ventas", "NONE", "ABANDON", "1", "2", "40"),
    _l(110, "c2", "ventas", "agent2", "COMPLETEAGENT", "30", "60", "2"),
    _l(125, "c1", "ventas", "agent1", "COMPLETECALLER", "15", "100", "1"),
    _l(130, "NONE", "ventas", "agent2", "PAUSE", "break"),
    _l(190, "NONE", "ventas", "agent2", "UNPAUSE", ""),
    # c8: the same caller as c1 again (FCR), agent1 blind-transfers after 60 s to soporte, agent3 takes it
    _l(200, "c8", "ventas", "NONE", "ENTERQUEUE", "", "5551001", "1"),
    _l(205, "c8", "ventas", "agent1", "CONNECT", "5", "c8-agent", "1"),
    _l(265, "c8", "ventas", "agent1", "BLINDTRANSFER", "700", "centralita-q", "5", "60", "1"),
    _l(266, "c8", "soporte", "NONE", "ENTERQUEUE", "", "5551001", "1"),
    _l(270, "c8", "soporte", "agent3", "CONNECT", "4", "c8-agent3", "1"),
    # c9: agent2 holds 30 s (HOLD/UNHOLD) and attended-transfers (bridge) after 90 s of call time
    _l(300, "c9", "ventas", "NONE", "ENTERQUEUE", "", "5551009", "1"),
    _l(310, "c9", "ventas", "agent2", "CONNECT", "10", "c9-agent", "1"),
    _l(320, "c9", "ventas", "agent2", "HOLD", ""),
    _l(330, "c8", "soporte", "agent3", "COMPLETEAGENT", "4", "60", "1"),
    _l(350, "c9", "ventas", "agent2", "UNHOLD", ""),
    _l(370, "c6", "ventas", "NONE", "EXITWITHTIMEOUT", "1", "3", "300"),
    _l(370, "c6", "ventas", "NONE", "OVERFLOW", "queue", "soporte"),
    _l(371, "c6", "soporte", "NONE", "ENTERQUEUE", "", "5551006", "1"),
    _l(380, "c6", "soporte", "agent3", "CONNECT", "9", "c6-agent3", "1"),
    _l(400, "c9", "ventas", "agent2", "ATTENDEDTRANSFER", "BRIDGE", "bridge-c9", "10", "90", "1"),
    _l(400, "c7", "ventas", "NONE", "CALLBACKDIAL", "5551007"),
    _l(440, "c6", "soporte", "agent3", "COMPLETECALLER", "9", "60", "1"),
    # c10: agent1 on soporte attended-transfers through Local channels (LINK) after 50 s
    _l(500, "c10", "soporte", "NONE", "ENTERQUEUE", "", "5551010", "1"),
    _l(506, "c10", "soporte", "agent1", "CONNECT", "6", "c10-agent", "1"),
    _l(
        556,
        "c10",
        "soporte",
        "agent1",
        "ATTENDEDTRANSFER",
        "LINK",
        "Local/700@centralita-agents-00000001;1",
        "Local/700@centralita-agents-00000001;2",
        "6",
        "50",
        "1",
    ),
    # c11: an old-style TRANSFER (exten|context|hold|call) after 40 s
    _l(600, "c11", "soporte", "NONE", "ENTERQUEUE", "", "5551011", "1"),
    _l(602, "c11", "soporte", "agent3", "CONNECT", "2", "c11-agent", "1"),
    _l(642, "c11", "soporte", "agent3", "TRANSFER", "701", "centralita-agents", "2", "40"),
    # c12 talking and c13 waiting when Asterisk dies (its last line: agent1's PAUSE at 730)
    _l(700, "c12", "ventas", "NONE", "ENTERQUEUE", "", "5551012", "1"),
    _l(710, "c12", "ventas", "agent2", "CONNECT", "10", "c12-agent", "1"),
    _l(720, "c13", "ventas", "NONE", "ENTERQUEUE", "", "5551013", "1"),
    _l(730, "NONE", "ventas", "agent1", "PAUSE", "lunch"),
    _l(800, "NONE", "NONE", "NONE", "QUEUESTART", ""),
    # everyone logs out at 09:16:40 (the pause of agent1 ends with the session)
    _l(1000, "MANAGER", "ventas", "agent1", "REMOVEMEMBER", ""),
    _l(1000, "MANAGER", "ventas", "agent2", "REMOVEMEMBER", ""),
    _l(1000, "MANAGER", "soporte", "agent3", "REMOVEMEMBER", ""),
    _l(1000, "MANAGER", "soporte", "agent1", "REMOVEMEMBER", ""),
]
QUEUE_LOG.sort(key=lambda line: int(line.split("|", 1)[0]))  # as Asterisk writes it: in time order


def _cdr(uniqueid: str, linkedid: str, start: int, end: int, src: str, did: str, path: str, answer: int) -> list[str]:
    """One cdr_custom row (column order of api/calls/service.py CDR_COLUMNS)."""
    return [
        uniqueid,
        "1",
        linkedid,
        str(T0 + start),
        str(T0 + answer),
        str(T0 + end),
        str(end - start),
        str(end - answer),
        src,
        f'"{src}" <{src}>',
        "s",
        "centralita-ivr",
        f"PJSIP/trunk-{uniqueid}",
        "",
        "Queue" if "queue:" in path else "Hangup",
        "",
        "ANSWERED",
        did,
        path,
        "",
        "",
    ]


CDRS = [
    _cdr("c1", "c1", 5, 125, "5551001", "8001", "flow:main/v2>menu:1>queue:ventas", answer=5),
    _cdr("c2", "c2", 15, 110, "5551002", "8001", "flow:main/v2>menu:1>queue:ventas", answer=15),
    # c20: served by the IVR alone; c21: hung up in the menu
    _cdr("c20", "c20", 5, 65, "5551020", "8002", "flow:main/v2>menu:2>balance:ok>hangup", answer=5),
    _cdr("c21", "c21", 8, 20, "5551021", "8002", "flow:main/v2>menu", answer=8),
]

FLOW = {
    "start": "menu",
    "survey": "enc",
    "nodes": {"enc": {"type": "survey", "questions": ["csat_attention", "csat_solved", "nps_recommend"]}},
}
# (linkedid, question, answer, queue, agent): q1/q2 are CSAT (1–5), q3 is NPS (0–10) by its prompt's name
SURVEY = [
    ("c1", 1, 5, "ventas", "agent1"),
    ("c1", 2, 3, "ventas", "agent1"),
    ("c1", 3, 9, "ventas", "agent1"),
    ("c2", 1, 4, "ventas", "agent2"),
    ("c2", 3, 5, "ventas", "agent2"),
]


def write_cdr_csv(path, rows: list[list[str]]) -> None:
    import csv

    with path.open("a", newline="") as fh:
        csv.writer(fh).writerows(rows)


def write_queue_log(path, lines: list[str]) -> None:
    with path.open("a") as fh:
        fh.write("".join(line + "\n" for line in lines))
