"""Hand-written queue_log and CDR rows of calls transferred to an agent's extension (not a queue), shaped as
Asterisk 22 wrote them for the real calls of tests/integration/test_softphone_calls.py (baresip agents):
queue_log has nothing for the second agent, the CDRs have their channel. Monday 2026-11-30 10:00 UTC,
queue ventas (wrap-up 5 s); agent1 (extension 1001) answers from the queue, agent2 (1002) takes the call
on; agent3 serves soporte. Offsets are seconds after T0; the figures are worked out in test_transfer_legs."""

from __future__ import annotations

from datetime import UTC, datetime

T0 = int(datetime(2026, 11, 30, 10, 0, tzinfo=UTC).timestamp())
INTERVAL = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
AGENTS = [("agent1", "1001"), ("agent2", "1002"), ("agent3", "1003")]


def _l(offset: int, callid: str, queue: str, agent: str, event: str, *data: str) -> str:
    return "|".join([str(T0 + offset), callid, queue, agent, event, *data])


def _t(offset: float | None) -> str:
    return "" if offset is None else f"{T0 + offset:.6f}"


def cdr(
    uniqueid: str,
    sequence: int,
    linkedid: str,
    start: float,
    answer: float | None,
    end: float,
    channel: str,
    dstchannel: str = "",
    lastapp: str = "Queue",
    src: str = "",
    disposition: str = "ANSWERED",
) -> list[str]:
    """One cdr_custom row (column order of api/calls/service.py CDR_COLUMNS)."""
    billsec = 0.0 if answer is None else end - answer
    return [
        uniqueid,
        str(sequence),
        linkedid,
        _t(start),
        _t(answer),
        _t(end),
        f"{end - start:.6f}",
        f"{billsec:.6f}",
        src,
        f'"{src}" <{src}>' if src else "",
        "s",
        "from-agents-sip",
        channel,
        dstchannel,
        lastapp,
        "",
        disposition,
        "",
        "",
        "",
        "",
    ]


QUEUE_LOG = [
    # b1: agent1 answers after 5 s and blind-transfers (REFER) to 1002 after 40 s of call time
    _l(0, "b1", "ventas", "NONE", "ENTERQUEUE", "", "5552001", "1"),
    _l(5, "b1", "ventas", "agent1", "CONNECT", "5", "b1.1", "1"),
    _l(45, "b1", "ventas", "agent1", "BLINDTRANSFER", "1002", "from-agents-sip", "5", "40", "1"),
    # a1: agent1 answers after 2 s, presses *2 at 130, agent2 answers the consultation at 133.5, agent1
    # hangs up at 140 (the transfer completes: calltime 38)
    _l(100, "a1", "ventas", "NONE", "ENTERQUEUE", "", "5552002", "1"),
    _l(102, "a1", "ventas", "agent1", "CONNECT", "2", "a1.1", "1"),
    _l(140, "a1", "ventas", "agent1", "ATTENDEDTRANSFER", "BRIDGE", "bridge-a1", "2", "38", "1"),
    # q1: agent1 blind-transfers to the soporte queue after 20 s, agent3 answers from the queue
    _l(200, "q1", "ventas", "NONE", "ENTERQUEUE", "", "5552003", "1"),
    _l(201, "q1", "ventas", "agent1", "CONNECT", "1", "q1.1", "1"),
    _l(221, "q1", "ventas", "agent1", "BLINDTRANSFER", "700", "centralita-q", "1", "20", "1"),
    _l(221, "q1", "soporte", "NONE", "ENTERQUEUE", "", "5552003", "1"),
    _l(224, "q1", "soporte", "agent3", "CONNECT", "3", "q1.2", "1"),
    _l(254, "q1", "soporte", "agent3", "COMPLETECALLER", "3", "30", "1"),
]

CDRS = [
    # b1: the caller's record with agent1 ends at the REFER; the caller runs 1002@from-agents-sip and
    # Dial()s agent2, whose 22 s are only here
    cdr("b1", 0, "b1", 0.0, 0.2, 45.1, "PJSIP/trunk-00000001", "PJSIP/agent1-00000002", src="5552001"),
    cdr("b1", 3, "b1", 45.2, 45.2, 67.2, "PJSIP/trunk-00000001", "PJSIP/agent2-00000003", "Dial", src="5552001"),
    # a1: agent1's consultation through a Local channel, agent2's phone on Local;2, then the caller bridged
    # with agent2 once the Local pair is optimised away (agent2's channel also gets a record of its own)
    cdr("a1", 4, "a1", 100.0, 100.0, 133.0, "PJSIP/trunk-00000004", "PJSIP/agent1-00000005", src="5552002"),
    cdr("a1.2", 9, "a1", 133.0, 133.0, 140.05, "PJSIP/agent1-00000005", "Local/1002@from-agents-sip-00000001;1"),
    cdr("a1.3", 10, "a1", 140.05, 140.05, 140.5, "Local/1002@from-agents-sip-00000001;1", "", ""),
    cdr("a1.4", 7, "a1", 133.0, 133.5, 140.5, "Local/1002@from-agents-sip-00000001;2", "PJSIP/agent2-00000006"),
    cdr("a1.5", 12, "a1", 140.5, 140.5, 170.3, "PJSIP/agent2-00000006", "", "Return"),
    cdr("a1", 11, "a1", 133.0, 133.0, 140.5, "PJSIP/trunk-00000004", "Local/1002@from-agents-sip-00000001;1"),
    cdr("a1", 13, "a1", 140.05, 140.05, 170.25, "PJSIP/trunk-00000004", "PJSIP/agent2-00000006", src="5552002"),
    # q1: agent3 was rung by the soporte queue (its CONNECT): the queue_log leg, not a part from the CDR
    cdr("q1", 0, "q1", 200.0, 200.0, 221.1, "PJSIP/trunk-00000007", "PJSIP/agent1-00000008", src="5552003"),
    cdr("q1", 2, "q1", 221.1, 221.1, 254.2, "PJSIP/trunk-00000007", "PJSIP/agent3-00000009", src="5552003"),
]
