"""The destination union lives in centralita/destinations.py (shared with queues/ and dialer/);
this name stays so the IVR's modules import it as before."""

from centralita.destinations import (
    NAME,
    NODE_ID,
    PHONE,
    QUEUE_NAME,
    TERMINAL_TYPES,
    AgentDest,
    BookingDest,
    Destination,
    ExternalDest,
    FlowDest,
    HangupDest,
    NodeDest,
    QueueDest,
    VoicemailDest,
    is_queue_name,
    is_valid_name,
    label,
)

__all__ = [
    "NAME",
    "NODE_ID",
    "PHONE",
    "QUEUE_NAME",
    "TERMINAL_TYPES",
    "AgentDest",
    "BookingDest",
    "Destination",
    "ExternalDest",
    "FlowDest",
    "HangupDest",
    "NodeDest",
    "QueueDest",
    "VoicemailDest",
    "is_queue_name",
    "is_valid_name",
    "label",
]
