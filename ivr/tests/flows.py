"""Flow definitions shared by the IVR's unit tests."""

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def node(name: str) -> dict:
    return {"type": "node", "node": name}


def sample_flow(url: str = "http://127.0.0.1:9/t/{digits}") -> dict:
    return {
        "start": "hours",
        "nodes": {
            "hours": {
                "type": "hours",
                "timezone": "America/Panama",
                "schedule": {d: ["08:00-16:00"] for d in WEEK[:5]},
                "holidays": ["2026-12-25"],
                "open": node("main"),
                "closed": node("closed"),
            },
            "closed": {"type": "play", "prompt": "goodbye", "next": {"type": "hangup"}},
            "main": {
                "type": "menu",
                "prompt": "demo-welcome",
                "max_tries": 2,
                "options": {"1": node("debt"), "2": {"type": "queue", "queue": "ventas"}},
            },
            "debt": {
                "type": "lookup",
                "prompt": "demo-ask-taxpayer",
                "min_digits": 6,
                "max_digits": 6,
                "check": "luhn",
                "url": url,
                "say": [{"field": "debt", "say": "amount"}],
                "next": {"type": "hangup"},
            },
        },
    }
