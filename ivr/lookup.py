"""Lookups without code: validate the digits a caller typed, call the configured HTTP integration
with a timeout, and pick the fields to say. Pure parts are separate from the HTTP call for tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from ivr.flowdef import LookupNode


def check_digit_ok(digits: str, check: str) -> bool:
    if check == "luhn":
        total = 0
        for i, ch in enumerate(reversed(digits)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        return total % 10 == 0
    if check == "mod11":  # weights 2..7 from the right, as many tax and ID numbers use
        body, last = digits[:-1], digits[-1]
        total = sum(int(c) * (2 + i % 6) for i, c in enumerate(reversed(body)))
        value = 11 - total % 11
        expected = "0" if value == 11 else ("K" if value == 10 else str(value))
        return expected == last or (value == 10 and last == "1")
    return True


def digits_ok(node: LookupNode, digits: str) -> bool:
    return digits.isdigit() and node.min_digits <= len(digits) <= node.max_digits and check_digit_ok(digits, node.check)


def build_request(node: LookupNode, digits: str, caller: str) -> tuple[str, dict | None]:
    url = node.url.replace("{digits}", quote(digits)).replace("{caller}", quote(caller))
    body = {"digits": digits, "caller": caller} if node.method == "POST" else None
    return url, body


class LookupFailed(RuntimeError):
    """The service was down, too slow, or answered something we cannot read."""


async def fetch(client: httpx.AsyncClient, node: LookupNode, digits: str, caller: str) -> dict:
    url, body = build_request(node, digits, caller)
    try:
        response = await client.request(node.method, url, json=body, headers=node.headers, timeout=node.timeout_s)
    except (httpx.HTTPError, OSError) as exc:
        raise LookupFailed(f"{type(exc).__name__}: {exc}") from None
    if response.status_code == 404:
        return {node.found_field: False}
    if response.status_code >= 400:
        raise LookupFailed(f"HTTP {response.status_code}")
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        raise LookupFailed("answer is not JSON") from None
    if not isinstance(data, dict):
        raise LookupFailed("answer is not a JSON object")
    return data


def field_value(data: dict, dotted: str):
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def found(node: LookupNode, data: dict) -> bool:
    return data.get(node.found_field, True) is not False


@dataclass
class Say:
    """One thing to say: `kind` is amount/number/date/digits/text; `prompt` is played before it."""

    kind: str
    value: object
    prompt: str | None
    currency: str = ""


def plan(node: LookupNode, data: dict) -> list[Say]:
    out = []
    for item in node.say:
        value = field_value(data, item.field)
        if value is not None:
            out.append(Say(item.say, value, item.prompt, item.currency))
    return out
