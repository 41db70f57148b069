"""The report tables. Facts (visits, agent legs, calls) are derived only from durable records, so a
rebuild of any period gives the same rows as the incremental path; the 15-minute tables hold additive
sums, so every KPI of any grouping is a SUM followed by the formula in KPIS.md."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class ReportQueueSetting(SQLModel, table=True):
    """Per-queue thresholds; a queue without a row uses the settings' defaults."""

    __tablename__ = "report_queue_settings"
    id: int | None = Field(default=None, primary_key=True)
    queue: str = Field(index=True, unique=True, max_length=64)
    sl_threshold_s: int = 20
    short_abandon_s: int = 5
    # {"<kpi name>": {"warn": x, "alarm": y}} for the wallboard's colours
    colours: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class ReportQueueVisit(SQLModel, table=True):
    """One caller's stay in one queue (queue_log callid × queue), with its dimensions."""

    __tablename__ = "report_queue_visits"
    __table_args__ = (
        UniqueConstraint("callid", "queue", name="uq_report_visit_callid_queue"),
        Index("ix_report_visit_queue_entered", "queue", "entered_at"),
        Index("ix_report_visit_caller_entered", "caller", "entered_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    callid: str = Field(max_length=64)
    linkedid: str = Field(default="", index=True, max_length=64)
    queue: str = Field(max_length=64)
    caller: str = Field(default="", max_length=80)
    entered_at: datetime = Field(index=True)
    interval_start: datetime = Field(index=True)  # entered_at floored to 15 minutes (UTC)
    ended_at: datetime | None = None
    # waiting | answered | abandoned | timeout | exitkey | empty | overflow | callback | restart_lost
    outcome: str = Field(default="waiting", max_length=16)
    short_abandon: bool = False
    left_by: str = Field(
        default="", max_length=16
    )  # how the caller left the queue unanswered: abandon|timeout|exitkey|empty
    wait_s: float = 0.0
    agent: str = Field(default="", max_length=64)  # the agent who answered
    talk_s: float = 0.0  # all legs
    hold_s: float = 0.0
    wrapup_s: float = 0.0
    legs: int = 0
    transfers: int = 0
    sl_threshold_s: int = 20  # the threshold in force when the facts were computed
    within_sl: bool = False  # answered (or abandoned, see sl_inclusive) within the threshold
    callback_requested: bool = False
    callback_made: bool = False
    repeat_within_fcr: bool | None = None  # answered only: the caller came back within the FCR window
    restart: bool = False  # closed by an Asterisk restart
    did: str = Field(default="", max_length=80)
    flow_version: str = Field(default="", max_length=80)  # "flow/v3"
    campaign: str = Field(default="", max_length=64)


class ReportAgentLeg(SQLModel, table=True):
    """One agent's part of a visit: CONNECT … COMPLETE*/transfer (a transfer starts the next agent's leg)."""

    __tablename__ = "report_agent_legs"
    __table_args__ = (
        UniqueConstraint("callid", "queue", "seq", name="uq_report_leg"),
        Index("ix_report_leg_agent_connected", "agent", "connected_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    callid: str = Field(max_length=64)
    queue: str = Field(max_length=64)
    seq: int = 0
    agent: str = Field(max_length=64)
    connected_at: datetime = Field(index=True)
    interval_start: datetime = Field(index=True)
    ended_at: datetime | None = Field(default=None, index=True)
    # caller | agent | blindtransfer | attendedtransfer | transfer | restart | hangup | open
    ended_by: str = Field(default="open", max_length=20)
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrapup_s: float = 0.0
    # queue: the queue rang this agent (queue_log); transfer: reached by a transfer to their extension (CDRs)
    via: str = Field(default="queue", max_length=16)


class ReportCall(SQLModel, table=True):
    """One call (CallRecord linkedid): where it came in, the IVR's outcome, the survey."""

    __tablename__ = "report_calls"
    id: int | None = Field(default=None, primary_key=True)
    linkedid: str = Field(index=True, unique=True, max_length=64)
    start: datetime = Field(index=True)
    interval_start: datetime = Field(index=True)
    caller: str = Field(default="", max_length=80)
    did: str = Field(default="", max_length=80)
    flow: str = Field(default="", max_length=64)
    flow_version: str = Field(default="", max_length=80)
    ivr_outcome: str = Field(default="", max_length=16)  # '' (no IVR) | agent | self_service | abandoned
    queue: str = Field(default="", max_length=64)  # first queue visited (or the survey's)
    agent: str = Field(default="", max_length=64)  # the survey's agent
    campaign: str = Field(default="", max_length=64)
    duration_s: float = 0.0
    csat_sum: int = 0
    csat_n: int = 0
    csat_top2: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_n: int = 0


class KpiSums(SQLModel):
    """The additive KPI sums every aggregate table carries (report_kpi_15m, report_center_15m,
    report_kpi_day): each KPI of KPIS.md is a formula over their SUMs (max_wait_s: a MAX)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0  # long abandons only (short ones are in short_abandoned)
    short_abandoned: int = 0
    timeouts: int = 0
    exits_key: int = 0
    exits_empty: int = 0
    overflows: int = 0
    restart_lost: int = 0
    callbacks_requested: int = 0
    callbacks_made: int = 0
    transfers: int = 0
    sl_answered: int = 0  # answered within the queue's threshold
    sl_abandoned: int = 0  # long abandons within the threshold (for sl_inclusive)
    wait_answered_s: float = 0.0
    wait_s: float = 0.0  # every visit that ended, short abandons excluded
    wait_n: int = 0
    max_wait_s: float = 0.0
    handled: int = 0  # agent legs
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrapup_s: float = 0.0
    fcr_n: int = 0
    fcr_resolved: int = 0
    ivr_calls: int = 0
    ivr_self_service: int = 0
    csat_sum: int = 0
    csat_n: int = 0
    csat_top2: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_n: int = 0


class ReportKpi15m(KpiSums, table=True):
    """Additive sums per 15 minutes × queue × agent × flow version × DID × campaign ('' = none).

    Each interval × queue also has one roll-up row with agent = flow_version = did = campaign = '*'
    (the queue's totals), so the common queries read a few rows per interval; sum either the roll-up
    rows (agent = '*') or the detail rows (agent != '*'), never both."""

    __tablename__ = "report_kpi_15m"
    __table_args__ = (
        UniqueConstraint(
            "interval_start", "queue", "agent", "flow_version", "did", "campaign", name="uq_report_kpi_15m_key"
        ),
        Index("ix_report_kpi_15m_queue_interval", "queue", "interval_start"),
        Index("ix_report_kpi_15m_agent_interval", "agent", "interval_start"),
    )
    id: int | None = Field(default=None, primary_key=True)
    interval_start: datetime = Field(index=True)
    queue: str = Field(default="", max_length=64)
    agent: str = Field(default="", max_length=64)
    flow_version: str = Field(default="", max_length=80)
    did: str = Field(default="", max_length=80)
    campaign: str = Field(default="", max_length=64)
    # The interval in the center's zone (settings.report_timezone when aggregated): what day/hour/…
    # groupings GROUP BY directly, so no query converts time zones.
    local_day: str = Field(default="", max_length=10)  # 2026-11-30
    local_week: str = Field(default="", max_length=8)  # 2026-W49 (ISO)
    local_month: str = Field(default="", max_length=7)  # 2026-11
    local_hour: int = 0
    local_weekday: int = 0  # ISO: 1 = Monday … 7 = Sunday


class ReportAgent15m(SQLModel, table=True):
    """Agent time per 15 minutes. queue='*' is the agent's time in any queue (sessions' union), so a
    report across queues does not count an agent logged into two queues twice; agent='*' rows are the
    sums over agents (per queue, and '*' × '*' for the whole center)."""

    __tablename__ = "report_agent_15m"
    __table_args__ = (
        # agent, queue first: the roll-up rows (agent '*', queue '*' or one queue) are a range of it
        UniqueConstraint("agent", "queue", "interval_start", name="uq_report_agent_15m_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    interval_start: datetime = Field(index=True)
    agent: str = Field(max_length=64)
    queue: str = Field(max_length=64)
    # The interval in the center's zone (settings.report_timezone when aggregated): what day/hour/…
    # groupings GROUP BY directly, so no query converts time zones.
    local_day: str = Field(default="", max_length=10)  # 2026-11-30
    local_week: str = Field(default="", max_length=8)  # 2026-W49 (ISO)
    local_month: str = Field(default="", max_length=7)  # 2026-11
    local_hour: int = 0
    local_weekday: int = 0  # ISO: 1 = Monday … 7 = Sunday
    logged_in_s: float = 0.0
    paused_s: float = 0.0
    paused_by_reason: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    talk_s: float = 0.0  # talk of legs overlapping this interval (split at the boundary)
    wrapup_s: float = 0.0


class RollupAgentTime(SQLModel):
    """The agents' time a roll-up row carries beside its KPI sums (report_kpi_day, report_center_15m)."""

    logged_in_s: float = 0.0
    paused_s: float = 0.0
    paused_by_reason: dict = Field(default_factory=dict, sa_type=JSON, nullable=False)  # a column per table
    agent_talk_s: float = 0.0
    agent_wrapup_s: float = 0.0


class ReportKpiDay(KpiSums, RollupAgentTime, table=True):
    """The per-queue roll-up of one local day (report_timezone): report_kpi_15m's roll-up sums and
    report_agent_15m's roll-up agent time, so queries over months read a row per day, not 96.
    queue='*' is the whole center (kpi sums over all queues; agent time of the agents' union)."""

    __tablename__ = "report_kpi_day"
    __table_args__ = (UniqueConstraint("queue", "day_start", name="uq_report_kpi_day_key"),)
    id: int | None = Field(default=None, primary_key=True)
    day_start: datetime = Field(index=True)  # the local midnight, in UTC
    queue: str = Field(max_length=64)
    local_day: str = Field(max_length=10)
    local_week: str = Field(max_length=8)
    local_month: str = Field(max_length=7)
    local_weekday: int = 0


class ReportCenter15m(KpiSums, RollupAgentTime, table=True):
    """The whole center per 15 minutes: the sum of report_kpi_15m's per-queue roll-up rows and the
    '*' × '*' row of report_agent_15m, so a month of intervals across all queues reads 2,880 rows,
    not one per queue and interval. Recomputed from those rows (aggregates.recompute_center), never
    incremented, like report_kpi_day."""

    __tablename__ = "report_center_15m"
    id: int | None = Field(default=None, primary_key=True)
    interval_start: datetime = Field(index=True, unique=True)
    local_day: str = Field(default="", max_length=10)
    local_week: str = Field(default="", max_length=8)
    local_month: str = Field(default="", max_length=7)
    local_hour: int = 0
    local_weekday: int = 0
    # kpis.compute of this row, stored when the row is recomputed: a report by interval reads it as it is
    # (2,880 rows a month; the formulas were most of that report's time). NULL (rows the migration
    # wrote): computed when read.
    kpis: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ReportCursor(SQLModel, table=True):
    """How far the incremental path has read a raw table (by id), and the queue_log time it had seen
    (open agent sessions count up to it, never up to the wall clock)."""

    __tablename__ = "report_cursors"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True, unique=True, max_length=64)  # queue_log_entries | cdr_entries | ivr_survey_answers
    last_id: int = 0
    horizon: datetime | None = None
