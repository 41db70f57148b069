"""The dialing engine: an asyncio loop in the API process (started by dialer/runtime.py).

Every tick, for each running campaign (higher priority first): read the campaign queue's agents
from the live queue state, ask the campaign's pacing policy how many calls to place, cap that by
the trunk's free channels and calls-per-second, claim that many due contacts (atomically, in the
database) and originate them through AMI. AMI events of our channels (ids `dialer-<attempt>-…`)
move each call along (answered → AMD → agent or safe-harbor → hangup) and settle its attempt.

Restart-safe: every call is a claimed contact with an open attempt in the database; on start the
engine adopts the calls Asterisk still has, and a sweep settles claims whose call is gone (no
heartbeat and no channel in Asterisk) as `failed`, to be retried: nothing dialled twice at once,
nothing lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from sqlmodel import Session, select

from centralita import bus, db
from centralita.timeutil import utcnow
from dialer.engine import claims
from dialer.engine.calls import CampaignCalls, LiveCall
from dialer.engine.limits import CallRate, trunk_room
from dialer.engine.originate import (
    PROMPT_NAME,
    message_file,
    message_text,
    originate_action,
)
from dialer.models import Attempt, Campaign
from dialer.pacing import PacingPolicy, make_policy

log = logging.getLogger("centralita.dialer")
TICK, RELOAD, SWEEP = 0.5, 2.0, 15.0
# Campaign mode → pacing policy. Preview is paced like progressive here (one call per ready agent):
# reserving the agent while they read the contact is the agent desktop's part.
POLICY_OF_MODE = {"preview": "progressive", "progressive": "progressive", "predictive": "predictive"}


@dataclass
class CampaignRun:
    campaign: Campaign  # a detached snapshot, refreshed every RELOAD
    policy: PacingPolicy | None  # None: broadcast, paced by the trunk alone
    epoch: float  # wall clock at the run's start: the Observation's zero
    calls: CampaignCalls = field(default_factory=CampaignCalls)
    running: bool = True
    message: str = ""  # broadcast: a fixed prompt's path ('' = spoken per contact)

    def clock(self, wall: float) -> float:
        return wall - self.epoch


def _new_policy(campaign: Campaign, connect_within: float, min_ring: float = 15.0) -> PacingPolicy | None:
    if campaign.mode == "broadcast":
        return None
    name = POLICY_OF_MODE[campaign.mode]
    params = (
        {"target": campaign.abandon_target, "connect_within": connect_within, "min_ring": min_ring}
        if name == "predictive"
        else {}
    )
    return make_policy(name, **params)


class DialerEngine:
    def __init__(self, runtime) -> None:
        self.runtime, self.ami, self.redis, self.settings = runtime, runtime.ami, runtime.redis, runtime.settings
        self.runs: dict[int, CampaignRun] = {}
        self.by_channel: dict[str, CampaignRun] = {}
        self.rate = CallRate(self.settings.dialer_calls_per_second, time.monotonic())
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.wake = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.adopted = False
        self.last_error = ""
        from centralita.telephony.pbx import instance_paths

        self.paths = instance_paths(self.settings)

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self.ami.on("*", self._on_ami)
        for name, coro in (
            ("dialer-events", self._consume()),
            ("dialer-pace", self._pace()),
            ("dialer-sweep", self._sweep()),
            ("dialer-stats", self._stats()),
        ):
            self.tasks.append(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def _on_ami(self, _manager, message) -> None:
        uid = message.get("Uniqueid", "") or ""
        if uid.startswith("dialer-") or (
            message.get("Event") == "OriginateResponse" and str(message.get("ActionID", "")).startswith("dialer-")
        ):
            self.inbox.put_nowait(dict(message))

    # -- events ---------------------------------------------------------------------------------
    async def _consume(self) -> None:
        while True:
            ev = await self.inbox.get()
            try:
                await self._handle(ev)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dialer event handling failed: %s", ev.get("Event"))

    async def _handle(self, ev: dict) -> None:
        name = ev.get("Event", "")
        channel = ev.get("Uniqueid") or ev.get("ActionID", "")
        run = self.by_channel.get(channel)
        attempt_id = claims.attempt_of(channel)
        if run is None or attempt_id is None:  # not a call of ours (our channel ids name the attempt)
            return
        calls, wall = run.calls, time.time()
        now = run.clock(wall)
        # OriginateResponse's Channel is the dial string asked for, not the channel's name.
        calls.seen(
            channel, "" if name == "OriginateResponse" else ev.get("Channel", ""), str(ev.get("ChannelState", "")), now
        )
        if name == "OriginateResponse" and ev.get("Response") == "Failure":
            calls.originate_failed(channel, int(ev.get("Reason") or 0))
            # No channel may ever have existed (e.g. the trunk is unknown): end it if no Hangup comes.
            asyncio.get_running_loop().call_later(2.0, self.inbox.put_nowait, {"Event": "_Gone", "Uniqueid": channel})
        elif name == "UserEvent" and ev.get("UserEvent") == "CentralitaDialer":
            await self._dialplan_step(run, channel, attempt_id, ev.get("State", ""), ev, now)
        elif name == "AgentConnect":
            if calls.connected(channel, ev.get("MemberName", ""), now):
                await self._db(claims.mark, attempt_id, connected_at=utcnow(), agent_name=ev.get("MemberName", ""))
        elif name == "AgentCalled":
            await self._screen_pop(run, ev, attempt_id)
        elif name in ("Hangup", "_Gone"):
            done = calls.hangup(channel, now, int(ev.get("Cause") or 0))
            if done is None:
                return
            call, outcome = done
            self.by_channel.pop(channel, None)
            await self._db(claims.finish, attempt_id, outcome, utcnow(), message_left=call.message_left)
            self._forget_if_idle(run)
        else:
            return
        self.wake.set()  # every event may free or take a line: pace again at once

    async def _dialplan_step(
        self, run: CampaignRun, channel: str, attempt_id: int, state: str, ev: dict, now: float
    ) -> None:
        calls, campaign = run.calls, run.campaign
        if state == "answered":
            if calls.answered(channel, now):
                await self._db(claims.mark, attempt_id, answered_at=utcnow())
        elif state == "amd":
            status = ev.get("Status", "")
            to_agent = campaign.mode != "broadcast" and (status != "MACHINE" or campaign.amd_action == "agent")
            calls.amd(channel, status, now, human_path=to_agent)
            if campaign.mode == "broadcast" and status != "MACHINE":
                calls.broadcast(channel)
            await self._db(claims.mark, attempt_id, amd_status=status[:16])
        elif state == "abandoned":
            calls.abandoned(channel, now)
        elif state == "message-left":
            call = calls.calls.get(channel)
            if call is not None:
                call.message_left = ev.get("Playback") == "SUCCESS"

    async def _screen_pop(self, run: CampaignRun, ev: dict, attempt_id: int) -> None:
        """The contact reaches the ringing agent's screen (besides CENTRALITA_LOOKUP in agent.screenpop)."""

        def load():
            with Session(db.get_engine()) as session:
                from dialer.models import Contact

                attempt = session.get(Attempt, attempt_id)
                contact = session.get(Contact, attempt.contact_id) if attempt else None
                return (
                    None
                    if contact is None
                    else {
                        "id": contact.id,
                        "name": contact.name,
                        "phone": contact.phone,
                        "fields": contact.fields,
                        "attempts": contact.attempts,
                    }
                )

        contact = await self._db_raw(load)
        await self._publish(
            "agent.dialer.contact",
            {
                "agent": ev.get("MemberName", ""),
                "queue": ev.get("Queue", ""),
                "uniqueid": ev.get("Uniqueid", ""),
                "campaign": run.campaign.name,
                "campaign_id": run.campaign.id,
                "attempt_id": attempt_id,
                "contact": contact,
            },
        )

    # -- pacing ---------------------------------------------------------------------------------
    async def _pace(self) -> None:
        next_reload = 0.0
        while True:
            try:
                if time.monotonic() >= next_reload:
                    await self._reload()
                    next_reload = time.monotonic() + RELOAD
                if self.ami.connected and not self.adopted:
                    await self._adopt()
                for run in sorted(self.runs.values(), key=lambda r: -r.campaign.priority):
                    await self._dial(run)
                self.last_error = ""
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("dialer tick failed: %s", self.last_error)
            try:
                await asyncio.wait_for(self.wake.wait(), TICK)
            except TimeoutError:
                pass
            self.wake.clear()

    async def _reload(self) -> None:
        def load():
            with Session(db.get_engine()) as session:
                rows = session.exec(select(Campaign).where(Campaign.state == "running")).all()
                for row in rows:
                    session.expunge(row)
                return rows

        running = {c.id: c for c in await self._db_raw(load)}
        for cid, campaign in running.items():
            run = self.runs.get(cid)
            if run is None or (not run.running and campaign.mode != run.campaign.mode):
                run = self.runs[cid] = CampaignRun(
                    campaign, self._policy(campaign), time.time(), calls=run.calls if run else CampaignCalls()
                )
                log.info("campaign %s running (%s)", campaign.name, campaign.mode)
            run.campaign, run.running = campaign, True
            run.message = self._fixed_message(campaign)
        for cid, run in list(self.runs.items()):
            if cid not in running:
                run.running = False  # paused or stopped: calls in flight finish, nothing new is dialled
                self._forget_if_idle(run)

    def _policy(self, campaign: Campaign) -> PacingPolicy | None:
        return _new_policy(campaign, self.settings.dialer_connect_seconds, self.settings.dialer_min_ring_seconds)

    def _forget_if_idle(self, run: CampaignRun) -> None:
        if not run.running and not run.calls.calls:
            self.runs.pop(db.saved_id(run.campaign), None)

    def _agents(self, queue: str, wall: float, epoch: float) -> dict[str, tuple[str, float]]:
        """The queue's agents from queues/' live state (same process), times on the run's clock."""
        live = getattr(getattr(self.runtime, "queues", None), "state", None)
        if live is None:
            return {}
        out = {}
        for q, agent in list(live.members):
            if q == queue:
                info = live.agents.get(agent) or {}
                out[agent] = (info.get("state", "logged_out"), float(info.get("since", wall)) - epoch)
        return out

    def _lines_in_use(self) -> int:
        ours = sum(len(r.calls.calls) for r in self.runs.values())
        live = getattr(getattr(self.runtime, "queues", None), "state", None)
        theirs = (
            sum(1 for c in list(live.channels.values()) if c.get("uniqueid", "").startswith("dialer-")) if live else 0
        )
        return max(ours, theirs)  # other engine processes' calls hold trunk channels too

    def _decide(self, run: CampaignRun) -> int:
        wall = time.time()
        run.calls.agents(self._agents(run.campaign.queue_name, wall, run.epoch), run.clock(wall))
        if not run.running:
            return 0
        if run.policy is None:  # broadcast: as many as the trunk takes
            return self.settings.dialer_trunk_channels
        return max(0, int(run.policy.decide(run.calls.obs)))

    async def _dial(self, run: CampaignRun) -> None:
        wanted = self._decide(run)
        if run.policy is not None and run.running:
            await self._hang_up(run, run.policy.cancel(run.calls.obs))
        room = trunk_room(self.settings.dialer_trunk_channels, self._lines_in_use())
        n = min(wanted, room, self.rate.available(time.monotonic()))
        if n <= 0 or not self.ami.connected:
            return
        campaign = run.campaign
        got = await self._db(claims.claim_due, campaign, utcnow(), n)
        self.rate.take(len(got), time.monotonic())
        for claim in got:
            await self._originate(run, claim)

    async def _hang_up(self, run: CampaignRun, channels: list) -> None:
        """Hang up the ringing calls the policy names, each only once it has rung the minimum
        (`dialer_min_ring_seconds`); the attempt then ends as no_answer on its Hangup event."""
        if not channels or not self.ami.connected:
            return
        min_ring = self.settings.dialer_min_ring_seconds
        for channel in channels:
            call = run.calls.may_cancel(channel, run.clock(time.time()), min_ring)
            if call is None:
                continue
            try:
                # Cause 19: no answer from the user (alerted); the uniqueid serves when no event named it yet.
                reply = await self.ami.send(
                    {"Action": "Hangup", "Channel": call.name or call.channel, "Cause": "19"}, single=True
                )
                reply = reply[0] if isinstance(reply, list) else reply
                if reply.get("Response") == "Error":
                    raise ConnectionError(str(reply.get("Message")))
            except (ConnectionError, TimeoutError, OSError) as exc:
                log.warning("hang-up of ringing call %s failed: %s", channel, exc)
                continue  # still ringing as far as we know: it ends by itself at the dial timeout
            run.calls.cancelled(channel, run.clock(time.time()))

    async def _originate(self, run: CampaignRun, claim: claims.Claim) -> None:
        campaign = run.campaign
        message = await self._message(run, claim)
        amd = campaign.amd_action if campaign.amd_action in ("hangup", "message", "agent") else "hangup"
        action = originate_action(campaign, claim, dial_template=self.settings.dialer_dial, message=message, amd=amd)
        call = LiveCall(claim.attempt_id, claim.channel_id, claim.contact_id, run.clock(time.time()))
        run.calls.placed(call)  # before sending: the first events may come back at once
        self.by_channel[claim.channel_id] = run
        try:
            reply = await self.ami.send(action, single=True)
            if (reply[0] if isinstance(reply, list) else reply).get("Response") == "Error":
                raise ConnectionError(str((reply[0] if isinstance(reply, list) else reply).get("Message")))
        except (ConnectionError, TimeoutError, OSError) as exc:
            # Never placed: give the contact back untouched (this is our failure, not an attempt).
            log.warning("originate of attempt %s failed: %s", claim.attempt_id, exc)
            run.calls.calls.pop(claim.channel_id, None)
            run.calls.obs.calls_placed -= 1
            run.calls.obs.calls_ringing -= 1
            run.calls.obs.ring_started.pop(claim.channel_id, None)
            self.by_channel.pop(claim.channel_id, None)
            await self._db(claims.release, claim.attempt_id)

    def _fixed_message(self, campaign: Campaign) -> str:
        """A broadcast (or machine message) that names a prompt plays that prompt; text is spoken per contact."""
        text = campaign.broadcast_message.strip()
        if not text or not PROMPT_NAME.match(text):
            return ""
        if text.startswith("sound:"):
            return text[len("sound:") :]
        return f"{self.paths.prompts}/{text}"

    async def _message(self, run: CampaignRun, claim: claims.Claim) -> str:
        campaign = run.campaign
        if run.message or not campaign.broadcast_message.strip():
            return run.message
        if campaign.mode != "broadcast" and campaign.amd_action != "message":
            return ""
        from centralita.telephony.render import tts_wav

        text = message_text(campaign.broadcast_message, claim)
        inside = f"{self.paths.spool}/dialer"
        return await asyncio.to_thread(
            message_file, text, self.settings.language, self.paths.host(inside), inside, tts_wav
        )

    # -- restart safety ---------------------------------------------------------------------------
    async def _channels(self) -> dict[str, dict]:
        reply = await self.ami.send({"Action": "CoreShowChannels"}, timeout=5)
        return {
            m.get("Uniqueid", ""): dict(m)
            for m in (reply if isinstance(reply, list) else [reply])
            if m.get("Event") == "CoreShowChannel"
        }

    async def _adopt(self) -> None:
        """After a restart: the calls Asterisk still has are followed to their end, not redialled."""
        channels = await self._channels()
        ours = {uid: aid for uid in channels if (aid := claims.attempt_of(uid)) and uid not in self.by_channel}

        def load():
            with Session(db.get_engine()) as session:
                out = []
                for uid, attempt_id in ours.items():
                    attempt = session.get(Attempt, attempt_id)
                    campaign = session.get(Campaign, attempt.campaign_id) if attempt else None
                    if attempt is not None and attempt.ended_at is None and campaign is not None:
                        session.expunge(campaign)
                        out.append(
                            (
                                uid,
                                attempt.contact_id,
                                attempt.answered_at,
                                attempt.connected_at,
                                attempt.agent_name,
                                attempt.amd_status,
                                campaign,
                            )
                        )
                return out

        for uid, contact_id, answered, connected, agent, amd, campaign in await self._db_raw(load):
            run = self.runs.get(campaign.id)
            if run is None:
                run = self.runs[campaign.id] = CampaignRun(
                    campaign, self._policy(campaign), time.time(), running=campaign.state == "running"
                )
            now = run.clock(time.time())
            call = LiveCall(ours[uid], uid, contact_id, now, amd=amd, agent=agent)
            run.calls.placed(call)
            if answered is not None:  # replay what the database knows through the same state machine
                run.calls.answered(uid, now)
                if amd:
                    run.calls.amd(uid, amd, now, human_path=amd != "MACHINE" and run.campaign.mode != "broadcast")
                if connected:
                    run.calls.connected(uid, agent, now)
            self.by_channel[uid] = run
            log.info("adopted live call %s after a restart", uid)
        self.adopted = True

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP)
            try:
                live_ids = [c.attempt_id for r in self.runs.values() for c in r.calls.calls.values()]
                await self._db(claims.heartbeat, live_ids, utcnow())
                await self._db(claims.close_undisposed, utcnow(), self.settings.dialer_disposition_timeout)
                if self.ami.connected:
                    stale = await self._db(claims.stale_attempts, utcnow(), self.settings.dialer_stale_claim_seconds)
                    if stale:
                        channels = set(await self._channels())
                        done = await self._db(claims.recover, stale, channels, utcnow())
                        if done:
                            log.warning("recovered %d stale claims (no call in Asterisk): %s", len(done), done)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("dialer sweep failed: %s", exc)
            if not self.ami.connected:
                self.adopted = False  # Asterisk may have restarted: look again once it is back

    # -- stats ----------------------------------------------------------------------------------
    async def _stats(self) -> None:
        from dialer.stats import campaign_stats

        while True:
            await asyncio.sleep(self.settings.dialer_stats_interval)
            for run in list(self.runs.values()):
                try:
                    data = await self._db_raw(
                        lambda r=run: _with_session(campaign_stats, r.campaign.id, self.live_figures(r))
                    )
                    await self._publish("dialer.stats", data)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.debug("dialer stats failed: %s", exc)

    def live_figures(self, run: CampaignRun | None) -> dict:
        """What only the engine knows: calls in flight and the agents it sees."""
        if run is None:
            return {}
        obs = run.calls.obs
        lines = len(run.calls.calls)
        return {
            "engine": True,
            "running": run.running,
            "calls_in_progress": lines,
            "calls_ringing": obs.calls_ringing,
            "calls_waiting": obs.calls_waiting,
            "agents_logged_in": obs.agents_logged_in,
            "agents_waiting": obs.agents_ready,
            "agents_talking": obs.agents_talking,
            "agents_wrapup": obs.agents_wrapup,
            # VICIdial's meaning: lines per logged-in agent, calls in progress (ringing, waiting, talking) included
            "dial_level": round(lines / obs.agents_logged_in, 3) if obs.agents_logged_in else None,
            "policy": run.policy.name if run.policy else "broadcast",
        }

    def figures_for(self, campaign_id: int) -> dict:
        return self.live_figures(self.runs.get(campaign_id))

    # -- helpers --------------------------------------------------------------------------------
    async def _publish(self, kind: str, data: dict) -> None:
        try:
            await bus.publish(self.redis, kind, data)
        except Exception as exc:
            log.debug("event publish failed: %s", exc)

    async def _db(self, fn, *args, **kwargs):
        return await self._db_raw(lambda: _with_session(fn, *args, **kwargs))

    @staticmethod
    async def _db_raw(fn):
        return await asyncio.to_thread(fn)

    def status(self) -> dict:
        return {
            "campaigns": sorted(r.campaign.name for r in self.runs.values() if r.running),
            "calls": sum(len(r.calls.calls) for r in self.runs.values()),
            "error": self.last_error,
        }


def _with_session(fn, *args, **kwargs):
    with Session(db.get_engine(), expire_on_commit=False) as session:
        return fn(session, *args, **kwargs)
