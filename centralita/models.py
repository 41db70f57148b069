"""Imports every table so SQLModel.metadata (and alembic) sees the whole schema."""
from api.audit.models import AuditLog  # noqa: F401
from api.calls.models import CallRecord, CdrEntry, IngestCursor  # noqa: F401
from api.users.models import ApiToken, User  # noqa: F401
from ivr.models import Did, Flow  # noqa: F401
from queues.models import AgentEndpoint, Queue, QueueMember  # noqa: F401
from centralita.telephony.models import Trunk  # noqa: F401
