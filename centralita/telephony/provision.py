"""Get an Asterisk to run: a system one when installed, else Debian sid's in a debootstrap'd root.

Bookworm has no `asterisk` package; sid has Asterisk 22. The root is shared by every clone on
the machine and reused: a provisioned root is detected by its marker file in milliseconds.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

from centralita.settings import Settings, SettingsError

PACKAGES = ["asterisk", "asterisk-core-sounds-es", "asterisk-core-sounds-en", "asterisk-moh-opsound-gsm"]
MARKER = ".centralita-provisioned"
SYSTEM_ROOT = Path("/")


def system_asterisk() -> str | None:
    return shutil.which("asterisk") or (shutil.which("/usr/sbin/asterisk"))


def effective_root(settings: Settings) -> Path:
    """'/' means a system Asterisk (no chroot); anything else is our provisioned root."""
    if settings.asterisk_root == SYSTEM_ROOT:
        return SYSTEM_ROOT
    if not is_provisioned(settings.asterisk_root) and system_asterisk():
        return SYSTEM_ROOT
    return settings.asterisk_root


def is_provisioned(root: Path) -> bool:
    return (root / MARKER).is_file() and (root / "usr/sbin/asterisk").is_file()


def debian_mirror(files: list[str] | None = None) -> str:
    """The Debian archive this machine's apt already uses (never written into the repository)."""
    texts = []
    for name in (
        files if files is not None else ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*"))]
    ):
        try:
            texts.append(Path(name).read_text(errors="replace"))
        except OSError:
            continue
    candidates: list[str] = []
    for text in texts:
        # one-line format: deb [opts] URL suite components
        for m in re.finditer(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", text, re.M):
            candidates.append(m.group(1))
        # deb822 format: URIs: URL ...
        for m in re.finditer(r"^URIs:\s*(.+)$", text, re.M):
            candidates.extend(m.group(1).split())
    for url in candidates:
        url = url.rstrip("/")
        if url.startswith(("http://", "https://")) and url.endswith("/debian") and "security" not in url:
            return url
    raise SettingsError("no Debian archive found in /etc/apt/sources*: set CENTRALITA_DEBIAN_MIRROR")


def provision(settings: Settings, echo=print) -> Path:
    """Idempotent: returns the root Asterisk runs in, bootstrapping it the first time only."""
    root = effective_root(settings)
    if root == SYSTEM_ROOT:
        echo(f"using the system Asterisk at {system_asterisk()}")
        return root
    if is_provisioned(root):
        return root
    if not shutil.which("debootstrap"):
        raise SettingsError("debootstrap is not installed (apt-get install debootstrap) and no system Asterisk found")
    if not shutil.which("chroot") or _euid() != 0:
        raise SettingsError("running Asterisk under chroot needs root; install a system Asterisk or run as root")
    mirror = settings.debian_mirror or debian_mirror()
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    echo(f"bootstrapping Debian {settings.asterisk_suite} with Asterisk into {root} (about a minute, once)")
    cmd = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        settings.asterisk_suite,
        str(partial),
        mirror,
    ]
    log = settings.log_dir / "provision.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise SettingsError(f"debootstrap failed (exit {result.returncode}); see {log}")
    # Only a complete root is ever moved into place: an interrupted run leaves nothing half-made.
    (partial / MARKER).write_text(" ".join(PACKAGES) + "\n")
    if root.exists():
        shutil.rmtree(root)
    partial.rename(root)
    echo(f"Asterisk root ready at {root}")
    return root


def _euid() -> int:
    import os

    return os.geteuid()
