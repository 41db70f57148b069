"""`centralita bench soak`: the whole stack under mixed traffic for a bounded time, then an account of
every call (placed = completed + failed; call records = recordings = completed), the API's and the
recorder worker's memory and file descriptors at start and end, and the event stream's latency.

- `rate.py`: the call rate, derived from the busiest seed (Panamá), and the traffic mix;
- `stack.py`: a stack of its own (`centralita up -d` in a temporary data directory, own ports);
- `phones.py`: the sipp user agents (queue agents, the dialer's far end);
- `probe.py`: process figures and the event-stream latency (AMI event → /api/events);
- `run.py`: traffic, drain, accounting, the JSON report.
"""
