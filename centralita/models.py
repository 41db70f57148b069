"""Imports every table so SQLModel.metadata (and alembic) sees the whole schema."""

from api.audit.models import AuditLog  # noqa: F401
from api.calls.models import CallDisposition, CallRecord, CdrEntry, IngestCursor  # noqa: F401
from api.users.models import ApiToken, User  # noqa: F401
from centralita.capabilities import contributions
from centralita.telephony.models import Trunk  # noqa: F401

for _name, _module in contributions("models"):  # ivr, queues, recorder, dialer tables
    pass
