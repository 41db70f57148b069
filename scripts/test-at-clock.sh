#!/usr/bin/env bash
# Runs the test suite (or the pytest arguments given) under a fixed clock, to prove nothing in it
# depends on the hour, the weekday or the zone: scripts/test-at-clock.sh "2026-12-06 00:30" [pytest args]
#
# libfaketime (Debian package faketime) shifts the wall clock of every process started below by one
# offset, so the test processes, Redis, PostgreSQL and Asterisk (the library is copied into its chroot)
# agree on the time; monotonic clocks stay real (a shifted monotonic clock makes libfaketime 0.9.10 hang
# every timed wait on a lock or an event). That libfaketime answers EINVAL to Python's time.sleep
# (an absolute clock_nanosleep) without a shifted monotonic clock, so a sitecustomize on PYTHONPATH makes
# time.sleep a select() with a relative timeout. The integration ports are
# shifted (CENTRALITA_TEST_PORT_SHIFT, default 6000) so this can run beside another suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 'YYYY-MM-DD HH:MM' [pytest args]" >&2; exit 2; }
when=$1; shift

lib=$(find /usr/lib -name libfaketime.so.1 -path '*faketime*' 2>/dev/null | head -n 1)
[ -n "$lib" ] || { echo "test-at-clock: libfaketime is missing (apt-get install faketime)" >&2; exit 2; }

root=$(.venv/bin/python -c 'from centralita.telephony.provision import effective_root; from centralita.settings import get_settings; print(effective_root(get_settings()))')
if [ "$root" != "/" ] && [ -d "$root/usr/lib" ]; then
    mkdir -p "$root$(dirname "$lib")"
    cp -f "$lib" "$root$lib"
fi

target=$(date -u -d "$when UTC" +%s)
offset=$(( target - $(date -u +%s) ))
sign=+; [ "$offset" -lt 0 ] && sign=
echo "test-at-clock: $(date -u -d "@$target" '+%A %F %T UTC') (offset ${offset} s)"

# redis-server's jemalloc recurses into clock_gettime under libfaketime and Redis stops answering: a
# wrapper first in PATH starts it on the real clock (it only measures intervals: key TTLs).
real_redis=$(command -v redis-server)
wrappers=$(mktemp -d)
trap 'rm -rf "$wrappers"' EXIT
printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "$real_redis" > "$wrappers/redis-server"
chmod +x "$wrappers/redis-server"
export PATH="$wrappers:$PATH"
cat > "$wrappers/sitecustomize.py" <<'PY'
import select
import time


def _sleep(seconds):
    if seconds > 0:
        select.select([], [], [], seconds)


time.sleep = _sleep
PY
export PYTHONPATH="$wrappers${PYTHONPATH:+:$PYTHONPATH}"
export LD_PRELOAD="$lib" FAKETIME="${sign}${offset}" DONT_FAKE_MONOTONIC=1
export CENTRALITA_TEST_PORT_SHIFT="${CENTRALITA_TEST_PORT_SHIFT:-6000}"
date -u '+test-at-clock: the processes see %A %F %T UTC'
.venv/bin/pytest -q -p no:cacheprovider "$@"
