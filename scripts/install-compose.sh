#!/usr/bin/env bash
# Install the Docker Compose v2 CLI plugin, so `docker compose config` can validate docker-compose.yml
# on machines that have only the docker client (no engine, no compose plugin).
#
# Usage: scripts/install-compose.sh [ROOT]
#   ROOT: the Debian sid root the project provisions for Asterisk (default: the `asterisk_root`
#         setting, i.e. $CENTRALITA_ASTERISK_ROOT or /var/lib/centralita/asterisk-root).
#
# Where it comes from: Debian sid's `docker-compose` package is Compose v2 (a Go binary that needs
# only libc). It is fetched with the sid root's own apt (`apt-get download`, nothing is installed or
# removed in the root), unpacked on the host with dpkg-deb -x, and its plugin binary copied to
#   /usr/local/lib/docker/cli-plugins/docker-compose   (as root)
#   ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-compose   (otherwise)
# If the host's own apt offers Compose v2 (Debian trixie or later), that is used when no root exists.
#
# Idempotent and quiet: exits 0 at once when `docker compose version` works or the plugin is already
# installed and runs; prints one line when it installs. VERBOSE=1 shows the steps.
set -euo pipefail

say() { if [ -n "${VERBOSE:-}" ]; then echo "install-compose: $*" >&2; fi; }
die() { echo "install-compose: $*" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
    dest_dir=/usr/local/lib/docker/cli-plugins
else
    dest_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
fi
dest="$dest_dir/docker-compose"

# A Compose v2 binary prints e.g. "Docker Compose version 2.40.3-3" (or "v2.29.1").
is_v2() {
    local out
    out=$("$@" version 2>/dev/null) || return 1
    [[ $out =~ [Vv]ersion\ v?([0-9]+)\. ]] && [ "${BASH_REMATCH[1]}" -ge 2 ]
}

# 1. Already done?
if command -v docker >/dev/null 2>&1 && is_v2 docker compose; then
    say "docker compose already works"
    exit 0
fi
if [ -x "$dest" ] && is_v2 "$dest"; then
    say "plugin already installed at $dest"
    exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

root="${1:-${CENTRALITA_ASTERISK_ROOT:-}}"
if [ -z "$root" ] && [ -x "$repo/.venv/bin/python" ]; then
    root=$(cd "$repo" && .venv/bin/python -c \
        'from centralita.settings import get_settings; print(get_settings().asterisk_root)' 2>/dev/null) || root=""
fi
if [ -z "$root" ]; then
    if [ "$(id -u)" = 0 ]; then root=/var/lib/centralita/asterisk-root
    else root="$HOME/.local/share/centralita/asterisk-root"; fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/install-compose.XXXXXX")
root_tmp=""
cleanup() {
    rm -rf "$work"
    if [ -n "$root_tmp" ]; then rm -rf "$root_tmp"; fi
}
trap cleanup EXIT
log="$work/apt.log"

# 2. Fetch the .deb into $work/deb/.
mkdir -p "$work/deb"
fetch_from_root() {
    [ "$(id -u)" = 0 ] || { say "not root: cannot chroot into $root"; return 1; }
    [ -x "$root/usr/bin/apt-get" ] || { say "no Debian root at $root"; return 1; }
    root_tmp=$(mktemp -d "$root/tmp/install-compose.XXXXXX")
    chmod 0777 "$root_tmp"          # apt downloads as its sandbox user _apt
    local inside="${root_tmp#"$root"}"
    local get="cd '$inside' && apt-get download -q docker-compose"
    say "apt-get download docker-compose in $root"
    if ! chroot "$root" sh -c "$get" >"$log" 2>&1; then
        # No or stale package lists (sid moves on): refresh them once and retry.
        say "apt-get update in $root"
        chroot "$root" apt-get update -q >>"$log" 2>&1 || return 1
        chroot "$root" sh -c "$get" >>"$log" 2>&1 || return 1
    fi
    mv "$root_tmp"/docker-compose_*.deb "$work/deb/"
}
fetch_from_host() {
    # Debian bookworm's docker-compose is the old Python v1: only take a 2.x (or later) candidate.
    command -v apt-cache >/dev/null 2>&1 || return 1
    local cand
    cand=$(apt-cache policy docker-compose 2>/dev/null | awk '/Candidate:/ {print $2}')
    [[ $cand =~ ^([0-9]+:)?([0-9]+)\. ]] && [ "${BASH_REMATCH[2]}" -ge 2 ] || { say "host apt has no Compose v2"; return 1; }
    say "apt-get download docker-compose=$cand on the host"
    (cd "$work/deb" && apt-get download -q "docker-compose=$cand") >>"$log" 2>&1
}
if ! fetch_from_root && ! fetch_from_host; then
    [ -s "$log" ] && tail -n 5 "$log" >&2
    die "could not fetch Debian's docker-compose package: provision the Debian sid root first (make up / make test do) or pass its path: $0 ROOT"
fi

# 3. Unpack on the host, check it runs here, install.
deb=$(ls "$work"/deb/docker-compose_*.deb | head -n 1)
dpkg-deb -x "$deb" "$work/x"
bin="$work/x/usr/libexec/docker/cli-plugins/docker-compose"
[ -f "$bin" ] || die "$(basename "$deb") has no usr/libexec/docker/cli-plugins/docker-compose"
is_v2 "$bin" || die "the binary from $(basename "$deb") does not run on this host as Compose v2: $("$bin" version 2>&1 | head -n 1)"
mkdir -p "$dest_dir"
install -m 0755 "$bin" "$dest.new.$$"
mv -f "$dest.new.$$" "$dest"
echo "install-compose: $("$dest" version) -> $dest"
