"""Publishing compiles a flow version to dialplan: one context per node, named after the flow and
version, so a new version never rewrites the contexts calls already inside an older one are using.
Menus, plays and routing are plain dialplan; lookups, hours, caller identification, bookings and
surveys are FastAGI steps, each followed by a fallback for when our server is down (AGISTATUS ≠ SUCCESS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from centralita.telephony import channel_vars as cv
from ivr import destinations as d
from ivr.flowdef import (
    BookingNode,
    FlowDefinition,
    HangupNode,
    HoursNode,
    IdentifyNode,
    LookupNode,
    MenuNode,
    PlayNode,
    QueueNode,
    SurveyNode,
    TransferNode,
    VoicemailNode,
)
from ivr.prompts import PromptResolver


@dataclass
class Context:
    name: str
    lines: list[str] = field(default_factory=list)


def flow_context(flow: str, version: int, node: str | None = None) -> str:
    base = f"ivr-{flow}-v{version}"
    return f"{base}-{node}" if node else base


# A booking node's outcomes (booking/agi.py sets them; the call's path says NODE:OUTCOME):
BOOKING_DONE = ("booked", "cancelled", "kept")  # then `next`
BOOKING_EXPLAINED = ("none", "invalid", "unknown", "nochoice")  # said why, then `fallback`


def _path(step: str) -> str:
    return f"Set(CDR(path)=${{CDR(path)}}>{step})"


class Compiler:
    """Turns one parsed flow version into dialplan contexts."""

    def __init__(
        self,
        name: str,
        version: int,
        flow: FlowDefinition,
        prompts: PromptResolver,
        default_queue: str,
        lookup_mode: str = "fastagi",
        process_script: str = "",
        record_step_ms: bool = False,
    ):
        self.name, self.version, self.flow = name, version, flow
        self.prompts, self.default_queue = prompts, default_queue
        # "fastagi" in production; `centralita bench ivr` also compiles "process" (a process-per-call AGI
        # script) and "dialplan" (CURL + JSON_DECODE) versions of the same lookup to compare against.
        self.lookup_mode, self.process_script = lookup_mode, process_script
        self.record_step_ms = lookup_mode != "fastagi" or record_step_ms

    def ctx(self, node: str | None = None) -> str:
        return flow_context(self.name, self.version, node)

    def compile(self) -> list[Context]:
        out = [self._entry()]
        for node_id, node in self.flow.nodes.items():
            out.append(self._node(node_id, node))
        return out

    # -- destinations ------------------------------------------------------------------------
    def dest(self, dest) -> list[str]:
        """Apps that send the caller to `dest` (the last one always leaves the extension)."""
        if dest is None:
            dest = d.QueueDest(queue=self.default_queue)
        if dest.type == "node":
            return [f"Goto({self.ctx(dest.node)},s,1)"]
        step = _path(d.label(dest))
        if dest.type == "queue":
            return [step, f"Set({cv.QUEUE}={dest.queue})", "Goto(centralita-route,queue,1)"]
        if dest.type == "booking":  # placeholder until the booking capability exists: a person
            return [step, f"Set({cv.QUEUE}={self.default_queue})", "Goto(centralita-route,queue,1)"]
        if dest.type == "flow":
            target = f"ivr-{dest.flow}"
            return [
                f"GotoIf(${{DIALPLAN_EXISTS({target},s,1)}}?{target},s,1)",
                _path("flow-missing"),
                "Goto(centralita-route,queue,1)",
            ]
        if dest.type == "agent":
            return [step, f"Set({cv.EXTENSION}={dest.extension})", "Goto(centralita-route,agent,1)"]
        if dest.type == "external":
            return [step, f"Set({cv.NUMBER}={dest.number})", "Goto(centralita-route,external,1)"]
        if dest.type == "voicemail":
            return [step, f"Set({cv.MAILBOX}={dest.mailbox})", "Goto(centralita-route,voicemail,1)"]
        return [step, "Goto(centralita-route,hangup,1)"]

    def _apology(self, fallback) -> list[str]:
        """Apologise, then the fallback. Towards a queue the caller joins at once and hears the apology as
        the first hold music (class centralita-apology): within the lookup's timeout, not seconds later."""
        dest = fallback or d.QueueDest(queue=self.default_queue)
        if dest.type in ("queue", "booking"):
            return ["Set(CHANNEL(musicclass)=centralita-apology)", *self.dest(dest)]
        return [f"Playback({self.prompts.path('fallback')})", *self.dest(dest)]

    def operator(self):
        return self.flow.operator or d.QueueDest(queue=self.default_queue)

    # -- contexts ----------------------------------------------------------------------------
    def _entry(self) -> Context:
        c = Context(self.ctx())
        lines = [
            # A call arriving from another flow keeps the path that led here.
            f'Set(CDR(path)=${{IF($["${{CDR(path)}}" = ""]?:${{CDR(path)}}>)}}flow:{self.name}/v{self.version})',
            f"Set(__IVR_FLOW={self.name})",
            f"Set(__IVR_VERSION={self.version})",
            'Set(__IVR_START=${IF($["${IVR_START}" = ""]?${EPOCH}:${IVR_START})})',
        ]
        if self.flow.survey:
            lines.append(f"Set({cv.inherited(cv.SURVEY)}={self.ctx(self.flow.survey)},s,1)")
        if self.flow.identify:
            lines.append("AGI(${FASTAGI}/ivr/identify)")  # best effort: unknown caller if it fails
        lines.append(f"Goto({self.ctx(self.flow.start)},s,1)")
        c.lines = exten_lines("s", lines)
        return c

    def _node(self, node_id: str, node) -> Context:
        c = Context(self.ctx(node_id))
        # Each handler takes its own node class; the table's key is that class, so `Any` is safe here.
        handlers: dict[type, Callable[[str, Any], list[str]]] = {
            MenuNode: self._menu,
            PlayNode: self._play,
            HoursNode: self._hours,
            LookupNode: self._lookup,
            SurveyNode: self._survey,
            IdentifyNode: self._identify,
            QueueNode: self._queue,
            TransferNode: self._simple,
            VoicemailNode: self._simple,
            HangupNode: self._hangup,
            BookingNode: self._booking,
        }
        c.lines = handlers[type(node)](node_id, node)
        return c

    def _menu(self, node_id: str, node: MenuNode) -> list[str]:
        max_tries = node.max_tries
        lines = exten_lines(
            "s",
            [
                "Set(IVR_TRIES=0)",
                f"Set(TIMEOUT(digit)={2 if node.direct_dial else 1})",
                "Set(IVR_TRIES=$[${IVR_TRIES} + 1])",
                f"Background({self.prompts.path(node.prompt)})",
                f"WaitExten({node.timeout_s})",
            ],
            labels={2: "ask"},
        )
        options = dict(node.options)
        if self.flow.operator_digit and "0" not in options:
            options["0"] = self.operator()
        for digit, dest in options.items():
            lines += exten_lines(
                digit,
                [
                    _path(f"{node_id}:{digit}"),
                    f"Set({cv.inherited(cv.DIGITS)}={cv.ref(cv.DIGITS)}${{EXTEN}})",
                    *self.dest(dest),
                ],
            )
        if node.direct_dial:
            lines += exten_lines(
                "_[1-9]XXX",
                [
                    "GotoIf($[!${DIALPLAN_EXISTS(from-agents,${EXTEN},1)}]?i,1)",
                    _path(f"{node_id}:ext:${{EXTEN}}"),
                    "Goto(from-agents,${EXTEN},1)",
                ],
            )
        retry = f"GotoIf($[${{IVR_TRIES}} < {max_tries}]?s,ask)"
        invalid = [_path(f"{node_id}:invalid"), f"Playback({self.prompts.path(node.invalid_prompt)})", retry]
        lines += exten_lines("i", invalid + self.dest(node.invalid or self.operator()))
        timeout = [_path(f"{node_id}:timeout")]
        if node.timeout_prompt:
            timeout.append(f"Playback({self.prompts.path(node.timeout_prompt)})")
        lines += exten_lines("t", timeout + [retry] + self.dest(node.timeout or self.operator()))
        return lines

    def _play(self, node_id: str, node: PlayNode) -> list[str]:
        return exten_lines("s", [_path(node_id), f"Playback({self.prompts.path(node.prompt)})", *self.dest(node.next)])

    def _agi_branch(
        self, node_id: str, script: str, branches: dict[str, list[str]], on_failure: str, query: str = ""
    ) -> list[str]:
        """AGI step whose script sets IVR_RESULT; our server being down counts as `on_failure`."""
        lines = exten_lines(
            "s",
            [
                "Set(IVR_RESULT=)",
                "Set(IVR_STEP=)",
                # Flow and version ride in the URL: no round trips to ask the channel for them.
                f"AGI(${{FASTAGI}}/{script}?node={node_id}&flow={self.name}&v={self.version}{query})",
                f'Set(IVR_RESULT=${{IF($["${{AGISTATUS}}" = "SUCCESS" & "${{IVR_RESULT}}" != ""]?${{IVR_RESULT}}:{on_failure})}})',
                _path(f"{node_id}:${{IVR_RESULT}}"),
                *[f'GotoIf($["${{IVR_RESULT}}" = "{result}"]?{result},1)' for result in branches],
                f"Goto({on_failure},1)",
            ],
        )
        for result, dest_lines in branches.items():
            lines += exten_lines(result, dest_lines)
        return lines

    def _hours(self, node_id: str, node: HoursNode) -> list[str]:
        # If the hours step cannot run, treat it as open: a person (or the queue's own message) is better
        # than telling a caller we are closed when we may not be.
        return self._agi_branch(
            node_id, "ivr/hours", {"open": self.dest(node.open), "closed": self.dest(node.closed)}, "open"
        )

    def _identify(self, node_id: str, node: IdentifyNode) -> list[str]:
        return self._agi_branch(
            node_id, "ivr/identify", {"known": self.dest(node.known), "unknown": self.dest(node.unknown)}, "unknown"
        )

    def _lookup(self, node_id: str, node: LookupNode) -> list[str]:
        apology = self._apology(node.fallback)
        branches = {
            "ok": self.dest(node.next),
            "notfound": self.dest(node.next),
            "invalid": self.dest(node.fallback),
            "fail": apology,
        }
        if self.lookup_mode == "dialplan":
            lines = self._dialplan_lookup(node_id, node, branches)
        else:
            lines = self._agi_branch(node_id, "ivr/lookup", branches, "fail")
            agi = next(i for i, line in enumerate(lines) if ",AGI(" in line)
            # The script answers in one variable, "result|digits|step ms|what was found", to save round trips.
            lines[agi + 1 : agi + 1] = [
                " same => n,Set(IVR_RESULT=${CUT(IVR_STEP,|,1)})",
                f" same => n,Set({cv.inherited(cv.DIGITS)}={cv.ref(cv.DIGITS)}${{CUT(IVR_STEP,|,2)}})",
                " same => n,Set(IVR_LOOKUP_MS=${CUT(IVR_STEP,|,3)})",
                f" same => n,Set({cv.inherited(cv.LOOKUP)}=${{CUT(IVR_STEP,|,4-)}})",
            ]
        if self.lookup_mode == "process":
            say = node.say[0].field if node.say else ""
            args = ",".join(
                [
                    "${STRFTIME(,,%s%3q)}",
                    node.url.replace("{digits}", "%s"),
                    say,
                    self.prompts.path(node.prompt),
                    str(node.max_digits),
                    str(node.timeout_s),
                ]
            )
            lines[agi] = f" same => n,AGI({self.process_script},{args})"
        if self.record_step_ms:  # the benchmark reads each call's step time from its CDR
            at = next(i for i, line in enumerate(lines) if "IVR_RESULT=${IF" in line)
            lines.insert(at, " same => n,Set(CDR(userfield)=agi_ms=${IVR_LOOKUP_MS})")
        return lines

    def _dialplan_lookup(self, node_id: str, node: LookupNode, branches: dict[str, list[str]]) -> list[str]:
        """The ceiling for the benchmark: Read, CURL and SayNumber, with no AGI at all."""
        url = node.url.replace("{digits}", "${DIGITS}")
        say = node.say[0].field if node.say else "value"
        lines = exten_lines(
            "s",
            [
                f"Read(DIGITS,{self.prompts.path(node.prompt)},{node.max_digits},,{node.tries},5)",
                "Set(T0=${STRFTIME(,,%s%3q)})",
                f"Set(CURLOPT(conntimeout)={max(1, int(node.timeout_s))})",
                f"Set(CURLOPT(httptimeout)={max(1, int(node.timeout_s))})",
                f"Set(ANSWER=${{CURL({url})}})",
                "Set(IVR_LOOKUP_MS=$[${STRFTIME(,,%s%3q)} - ${T0}])",
                # LEN, not a string comparison: the JSON's quotes would break the expression.
                "Set(IVR_RESULT=${IF($[${LEN(${ANSWER})} > 0]?ok:fail)})",
                _path(f"{node_id}:${{IVR_RESULT}}"),
                'GotoIf($["${IVR_RESULT}" = "fail"]?fail,1)',
                f"SayNumber(${{JSON_DECODE(ANSWER,{say})}})",
                "Goto(ok,1)",
            ],
        )
        for result, dest_lines in branches.items():
            lines += exten_lines(result, dest_lines)
        return lines

    def _booking(self, node_id: str, node: BookingNode) -> list[str]:
        """The script talks with the caller and writes; what is left to say (the confirmation and code, the
        reason for a fallback) it leaves in IVR_STEP, played here *after* the outcome is in the call's path,
        so a caller who hangs up during the read-back still leaves a record that says what happened."""
        said = ['ExecIf($["${IVR_STEP}" != ""]?Playback(${IVR_STEP}))']
        fallback = node.fallback or d.QueueDest(queue=self.default_queue)
        to_person = fallback.type in ("queue", "agent", "booking")
        explained = said + ([f"Playback({self.prompts.path('booking-to-agent')})"] if to_person else [])
        branches = {
            **{result: said + self.dest(node.next) for result in BOOKING_DONE},
            **{result: explained + self.dest(fallback) for result in BOOKING_EXPLAINED},
            "fail": self._apology(fallback),
        }
        if self.flow.operator_digit:
            branches["operator"] = self.dest(self.operator())
        query = "&op=1" if self.flow.operator_digit else ""
        return self._agi_branch(node_id, "booking/ivr", branches, "fail", query)

    def _survey(self, node_id: str, node: SurveyNode) -> list[str]:
        # Answers are stored by the script; with our server down the caller just hears goodbye.
        return exten_lines(
            "s",
            [
                _path("survey"),
                f"Set({cv.SURVEY}=)",
                f"AGI(${{FASTAGI}}/ivr/survey?node={node_id})",
                f"Playback({self.prompts.path(node.thanks_prompt)})",
                "Hangup()",
            ],
        )

    def _queue(self, node_id: str, node: QueueNode) -> list[str]:
        lines = [_path(f"queue:{node.queue}")]
        if node.info_prompt:
            lines.append(f"Playback({self.prompts.path(node.info_prompt)})")
        return exten_lines("s", lines + [f"Set({cv.QUEUE}={node.queue})", "Goto(centralita-route,queue,1)"])

    def _simple(self, node_id: str, node) -> list[str]:
        dest = {
            "transfer": lambda: d.ExternalDest(number=node.number),
            "voicemail": lambda: d.VoicemailDest(mailbox=node.mailbox),
        }[node.type]()
        return exten_lines("s", self.dest(dest))

    def _hangup(self, node_id: str, node: HangupNode) -> list[str]:
        lines = [_path("hangup")]
        if node.prompt:
            lines.append(f"Playback({self.prompts.path(node.prompt)})")
        return exten_lines("s", lines + ["Hangup()"])


def exten_lines(exten: str, apps: list[str], labels: dict[int, str] | None = None) -> list[str]:
    labels = labels or {}
    out = []
    for i, app in enumerate(apps):
        prio = "1" if i == 0 else "n"
        label = f"({labels[i]})" if i in labels else ""
        out.append(f"exten => {exten},{prio}{label},{app}" if i == 0 else f" same => {prio}{label},{app}")
    return out
