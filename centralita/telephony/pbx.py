"""One Asterisk instance: where its files live, rendering its config, starting and driving it.

Each data directory gets its own instance directory (config, logs, spool, control socket), so
`make test` and a running `make up` stack can share one provisioned root without touching each
other. With a chroot, Asterisk sees `/srv/centralita/<id>`; we see `<root>/srv/centralita/<id>`.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from centralita.settings import REPO_ROOT, Settings, SettingsError
from centralita.telephony.provision import SYSTEM_ROOT, effective_root

TEMPLATE_DIR = REPO_ROOT / "asterisk" / "templates"
# Every template renders to the file of its name: a capability adds a config file by adding a template.
CONFIG_FILES = sorted(p.name[: -len(".j2")] for p in TEMPLATE_DIR.glob("*.conf.j2"))


@dataclass(frozen=True)
class Paths:
    """Directories as Asterisk sees them (`inside`) and as we see them (`host`)."""

    root: Path
    inside: str
    etc: str
    log: str
    spool: str
    run: str
    lib: str
    prompts: str
    modules: str

    def host(self, inside_path: str) -> Path:
        return self.root / inside_path.lstrip("/") if self.root != SYSTEM_ROOT else Path(inside_path)

    @property
    def chrooted(self) -> bool:
        return self.root != SYSTEM_ROOT

    @property
    def config_file(self) -> str:
        return f"{self.etc}/asterisk.conf"

    @property
    def cdr_dir(self) -> Path:
        return self.host(f"{self.log}/cdr-custom")


def _modules_dir(root: Path) -> str:
    for found in sorted(glob.glob(str(root / "usr/lib/*/asterisk/modules"))) + sorted(
        glob.glob(str(root / "usr/lib/asterisk/modules"))
    ):
        return "/" + str(Path(found).relative_to(root))
    return "/usr/lib/asterisk/modules"


OPEN_FILES = 65536


def raise_open_files(pid: int) -> None:
    """Each call holds about ten descriptors (channel pipes, RTP and RTCP sockets, recording files, AGI):
    under a shell's usual soft limit of 1024, about a hundred calls in, Asterisk answers INVITEs with
    488/500 and stops writing CDR and CEL lines. Raising the soft limit up to the hard one needs no
    privilege (asterisk.conf's maxfiles raises both, and fails without CAP_SYS_RESOURCE). Set on the
    started process (prlimit), not in a preexec_fn, which is unsafe in a process with threads."""
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES)
    if soft < wanted:
        with contextlib.suppress(OSError):  # a start never fails for it: it only lowers the ceiling
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (wanted, hard))


def instance_paths(settings: Settings) -> Paths:
    root = effective_root(settings)
    ident = hashlib.sha1(str(settings.data_dir.resolve()).encode()).hexdigest()[:10]
    inside = f"/srv/centralita/{ident}" if root != SYSTEM_ROOT else str(settings.data_dir.resolve() / "asterisk")
    return Paths(
        root=root,
        inside=inside,
        etc=f"{inside}/etc",
        log=f"{inside}/log",
        spool=f"{inside}/spool",
        run=f"{inside}/run",
        lib=f"{inside}/lib",
        prompts=f"{inside}/etc/prompts",
        modules=_modules_dir(root),
    )


def standard_paths(out_dir: Path) -> Paths:
    """Debian's own layout, for the container image (`render --out`)."""
    return Paths(
        root=SYSTEM_ROOT,
        inside="/",
        etc="/etc/asterisk",
        log="/var/log/asterisk",
        spool="/var/spool/asterisk",
        run="/var/run/asterisk",
        lib="/var/lib/asterisk",
        prompts="/etc/asterisk/prompts",
        modules="/usr/lib/x86_64-linux-gnu/asterisk/modules",
    )


class Asterisk:
    """Start, stop, reload and query one instance."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.paths = instance_paths(settings)

    # -- commands ---------------------------------------------------------------------------
    def _argv(self, *args: str) -> list[str]:
        base = ["/usr/sbin/asterisk", "-C", self.paths.config_file, *args]
        if self.paths.chrooted:
            return ["chroot", str(self.paths.root), *base]
        return [shutil.which("asterisk") or base[0], *base[1:]]

    def cli(self, command: str, timeout: float = 10) -> str:
        """Run one CLI command over the control socket (`asterisk -rx`)."""
        result = subprocess.run(self._argv("-rx", command), capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"asterisk -rx {command!r} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def is_running(self) -> bool:
        if not self.paths.host(f"{self.paths.run}/asterisk.ctl").exists():
            return False
        try:
            self.cli("core show version", timeout=5)
            return True
        except (RuntimeError, subprocess.TimeoutExpired):
            return False

    def spawn(self, log_file: Path) -> subprocess.Popen:
        """Start Asterisk in the foreground (`-f`) as our child; the caller owns the process."""
        if not self.paths.host(self.paths.config_file).exists():
            raise SettingsError("Asterisk config is not rendered (run `centralita asterisk render`)")
        self.prepare_dirs()
        log_file.parent.mkdir(parents=True, exist_ok=True)
        out = log_file.open("ab")
        # -f: stay in the foreground so our supervisor sees it die; -T: timestamps on what it prints (its
        # log file is how a slow step is found); no -U root (astdb fails to open).
        proc = subprocess.Popen(
            self._argv("-f", "-n", "-T"),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        raise_open_files(proc.pid)  # chroot execs Asterisk in the same process
        return proc

    def prepare_dirs(self) -> None:
        """The instance's directories Asterisk writes to but never creates itself (cdr_custom and
        cel_custom only log "Unable to write"), and no stale control socket: every start path calls this."""
        for sub in (
            self.paths.log,
            self.paths.spool,
            self.paths.run,
            self.paths.lib,
            f"{self.paths.log}/cdr-custom",
            f"{self.paths.log}/cel-custom",
        ):
            self.paths.host(sub).mkdir(parents=True, exist_ok=True)
        self._clear_stale_socket()

    def wait_booted(self, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"Asterisk exited with code {proc.returncode} while starting")
            try:
                self.cli("core waitfullybooted", timeout=10)
                return
            except (RuntimeError, subprocess.TimeoutExpired):
                time.sleep(0.3)
        raise RuntimeError(f"Asterisk did not finish booting within {timeout:.0f} s")

    def stop(self, timeout: float = 15) -> None:
        if not self.is_running():
            return
        try:
            self.cli("core stop now", timeout=timeout)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.is_running():
            time.sleep(0.2)

    def pid(self) -> int | None:
        try:
            return int(self.paths.host(f"{self.paths.run}/asterisk.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """SIGKILL, as a crash would (used by resilience tests)."""
        pid = self.pid()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def reload(self, what: str = "all") -> str:
        """Reload only what changed: 'pjsip', 'dialplan', 'queues' or 'all'."""
        commands = {
            "pjsip": ["module reload res_pjsip.so"],
            "dialplan": ["dialplan reload"],
            "queues": ["queue reload all"],
        }
        chosen = [c for k in (commands if what == "all" else [what]) for c in commands[k]]
        return "".join(self.cli(c) for c in chosen)

    def _clear_stale_socket(self) -> None:
        ctl = self.paths.host(f"{self.paths.run}/asterisk.ctl")
        if ctl.exists() and not self.is_running():
            ctl.unlink()


def atomic_write_dir(files: dict[str, bytes], target: Path) -> None:
    """Write all files or none: stage in a sibling temp dir, then replace one by one."""
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".render-", dir=target.parent))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for name in files:
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
