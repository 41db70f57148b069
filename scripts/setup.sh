#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine needs for Centralita, installed by the project itself:
# Debian packages, the Python virtualenv, and Asterisk (system one, or Debian sid under chroot).
# Idempotent and quick when already done. Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

# kannel: the SMS gateway (bearerbox + smsbox) booking reminders go through; kannel-extras: its fake SMSC.
PACKAGES=(debootstrap sip-tester redis-server espeak-ng sox ffmpeg kannel)
TEST_PACKAGES=(postgresql faketime sipvicious chromium baresip kannel-extras)
want=("${PACKAGES[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST_PACKAGES[@]}")

missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # policy-rc.d keeps the packaged redis/postgresql/kannel services from starting: the stack and tests start their own.
    if [ -z "$SUDO" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PY" -m venv .venv
fi
stamp=.venv/.centralita-installed
# Also reinstall when the venv imports centralita from elsewhere or not at all: a venv shared with
# another checkout (a worktree's symlinked .venv) keeps the editable install of whichever ran last.
here_installed() {  # run from / : with -c, Python would import the package from the current directory
    local here="$PWD" py="$PWD/.venv/bin/python"
    (cd / && "$py" -c 'import pathlib, sys, centralita
sys.exit(pathlib.Path(centralita.__file__).resolve().parents[1] != pathlib.Path(sys.argv[1]).resolve())' "$here") 2>/dev/null
}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || ! here_installed; then
    echo "setup: installing Python dependencies"
    .venv/bin/pip install -q --upgrade pip >/dev/null
    .venv/bin/pip install -q -e '.[test]'
    touch "$stamp"
fi

.venv/bin/centralita asterisk provision
if [ "${1:-}" = "--test" ]; then
    scripts/install-compose.sh "$(.venv/bin/python -c 'from centralita.telephony.provision import effective_root; from centralita.settings import get_settings; print(effective_root(get_settings()))')" || \
        echo "setup: docker compose is not available; the compose test will say so"
fi
