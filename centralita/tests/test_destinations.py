"""One queue-name pattern for every place that names a queue: the queue itself, an IVR queue
destination, a queue's overflow and a dialer campaign's queue accept and refuse the same names."""

import pytest
from pydantic import TypeAdapter, ValidationError

from centralita.destinations import QUEUE_NAME_RE, Destination, is_queue_name
from queues.destinations import validate_overflow

GOOD = ["atencion", "a", "q2", "cobros-2026", "ventas_norte", "0800", "x" * 64]
BAD = ["", "Atencion", "ATENCION", "-lead", "_lead", "con espacio", "ñandú", "a.b", "x" * 65, "general", "a\n"]


def _ivr_accepts(name: str) -> bool:
    try:
        TypeAdapter(Destination).validate_python({"type": "queue", "queue": name})
        return True
    except ValidationError:
        return False


def _overflow_accepts(name: str) -> bool:
    try:
        validate_overflow({"type": "queue", "queue": name}, {name}, "other")
        return True
    except ValueError:
        return False


def _campaign_accepts(name: str) -> bool:
    from dialer.service import QUEUE_RE

    return bool(QUEUE_RE.match(name))


@pytest.mark.parametrize("name", GOOD)
def test_valid_queue_names_are_valid_everywhere(name):
    assert is_queue_name(name)
    assert _ivr_accepts(name) and _overflow_accepts(name) and _campaign_accepts(name)


@pytest.mark.parametrize("name", [b for b in BAD if b != "general"])
def test_invalid_queue_names_are_refused_everywhere(name):
    assert not is_queue_name(name) and not QUEUE_NAME_RE.match(name)
    assert not _ivr_accepts(name) and not _overflow_accepts(name) and not _campaign_accepts(name)


def test_general_is_reserved_for_a_new_queue():
    assert not is_queue_name("general")  # Asterisk's [general] section of queues.conf
    from queues.service import QueueError, save_queue

    with pytest.raises(QueueError) as info:
        save_queue(None, {"name": "general"})  # refused before the session is touched
    assert info.value.field == "name"


def test_a_flow_name_with_a_trailing_newline_is_refused():
    from centralita.destinations import is_valid_name

    assert is_valid_name("demo") and not is_valid_name("demo\n")


def test_ivr_and_queues_import_the_same_union():
    import centralita.destinations as shared
    import ivr.destinations as ivr
    import queues.destinations as queues

    assert ivr.QueueDest is shared.QueueDest and ivr.QUEUE_NAME == shared.QUEUE_NAME
    assert queues.NAME_RE is shared.QUEUE_NAME_RE
