"""The benchmark's lookup step as a classic process-per-call AGI script (pyst2): Asterisk starts one
Python process per call. Arguments: spawn time (ms, from the dialplan), URL with %s for the digits,
JSON field to say, prompt, number of digits, timeout. Only the standard library and pyst2, as such
scripts usually are. Not used in production: our flows run their steps in the FastAGI server."""

from __future__ import annotations

import json
import sys
import time
import urllib.request


def main() -> None:
    from asterisk.agi import AGI  # pyst2

    agi = AGI()
    spawned_ms, url, field, prompt, max_digits, timeout = sys.argv[1:7]
    media = 0.0
    began = time.time()
    digits = agi.get_data(prompt, 5000, int(max_digits))
    media += time.time() - began
    result, value = "fail", None
    try:
        with urllib.request.urlopen(url.replace("%s", digits), timeout=float(timeout)) as response:
            value = json.loads(response.read()).get(field)
        result = "ok"
    except Exception:
        pass
    if value is not None:
        began = time.time()
        agi.say_number(int(float(value)))
        media += time.time() - began
    # Own work: from the moment Asterisk spawned us (process start included) minus playing and listening.
    own_ms = time.time() * 1000 - float(spawned_ms) - media * 1000
    # The same one-variable answer our FastAGI script gives: result|digits|step ms|found.
    agi.set_variable("IVR_STEP", f"{result}|{digits}|{own_ms:.1f}|")


if __name__ == "__main__":
    main()
