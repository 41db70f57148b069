"""baresip as an agent's softphone in the integration tests: its own config dir, a WAV file as what the
agent says (`aufile`), what it hears and sends dumped to WAV files (`sndfile`), driven through
`ctrl_tcp` (netstring-framed JSON commands; events arrive on the same socket)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from pathlib import Path

MODULES = Path("/usr/lib/baresip/modules")


def _netstring(payload: dict) -> bytes:
    data = json.dumps(payload).encode()
    return str(len(data)).encode() + b":" + data + b","


class Baresip:
    def __init__(
        self,
        workdir: Path,
        user: str,
        password: str,
        sip_port: int,
        asterisk_port: int,
        ctrl_port: int,
        rtp_ports: tuple[int, int],
        source_wav: Path,
        codecs: str = "",
    ):
        self.user, self.dir = user, workdir / f"baresip-{user}"
        self.dump = self.dir / "dump"
        self.dump.mkdir(parents=True, exist_ok=True)
        self.events: list[dict] = []
        self._responses: dict[str, dict] = {}
        self._lock = threading.Condition()
        self._token = 0
        audio_codecs = f";audio_codecs={codecs}" if codecs else ""
        # regint=0: the agent's contact is fixed in Asterisk (agent-add --contact), so no REGISTER;
        # auth_pass answers Asterisk's challenge when the agent dials (attended transfer).
        (self.dir / "accounts").write_text(
            f"<sip:{user}@127.0.0.1:{asterisk_port}>;auth_pass={password};regint=0;answermode=manual{audio_codecs}\n"
        )
        modules = ["g711", "g722", "opus", "aufile", "sndfile", "alsa"]
        (self.dir / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen 127.0.0.1:{sip_port}",
                    "call_local_timeout 120",
                    f"audio_source aufile,{source_wav}",
                    # Nobody listens: ALSA's null device plays what the agent hears; sndfile keeps it.
                    "audio_player alsa,null",
                    "audio_alert alsa,null",
                    "ausrc_srate 8000",
                    "auplay_srate 8000",
                    f"rtp_ports {rtp_ports[0]}-{rtp_ports[1]}",
                    f"module_path {MODULES}",
                    *[f"module {m}.so" for m in modules],
                    "module_app account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}",
                    f"snd_path {self.dump}",
                    "",
                ]
            )
        )
        # Shifted ports (CENTRALITA_TEST_PORT_SHIFT) may lie in the kernel's ephemeral range (32768-60999):
        # an outgoing connection may hold one for a moment, and baresip then exits at once. Start it again.
        for attempt in range(10):
            self.log = (self.dir / "baresip.log").open("wb")
            self.proc = subprocess.Popen(
                ["baresip", "-f", str(self.dir)],
                cwd=self.dir,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                self.sock = self._connect(ctrl_port)
                break
            except AssertionError:
                self.log.close()
                if attempt == 9 or "Address already in use" not in self.log_text():
                    raise
                time.sleep(1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _connect(self, port: int) -> socket.socket:
        deadline = time.monotonic() + 15
        while True:
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"baresip {self.user} did not start: {self.log_text()[-2000:]}") from None
                time.sleep(0.1)

    def _read(self) -> None:
        buf = b""
        self.sock.settimeout(None)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b":" in buf:
                length, rest = buf.split(b":", 1)
                n = int(length)
                if len(rest) < n + 1:
                    break
                msg, buf = json.loads(rest[:n]), rest[n + 1 :]
                with self._lock:
                    if msg.get("response"):
                        self._responses[str(msg.get("token"))] = msg
                    else:
                        msg["at"] = time.time()
                        self.events.append(msg)
                    self._lock.notify_all()

    def command(self, command: str, params: str = "", timeout: float = 10) -> dict:
        with self._lock:
            self._token += 1
            token = str(self._token)
        self.sock.sendall(_netstring({"command": command, "params": params, "token": token}))
        with self._lock:
            assert self._lock.wait_for(lambda: token in self._responses, timeout), (
                f"{self.user}: no answer to {command}"
            )
            return self._responses.pop(token)

    def wait_event(self, kind: str, timeout: float = 20, since: int = 0) -> dict:
        def found():
            return next((e for e in self.events[since:] if e.get("type") == kind), None)

        with self._lock:
            assert self._lock.wait_for(found, timeout), f"{self.user}: no {kind}; events {self.events}"
            return found()

    def log_text(self) -> str:
        path = self.dir / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def goertzel(samples, rate: int, freq: float) -> float:
    """Amplitude of one frequency in a block of samples (the Goertzel filter): which party is heard."""
    import math

    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / max(len(samples), 1)


def tones_per_second(pcm: bytes, freqs: dict[str, float], rate: int = 8000) -> list[dict[str, float]]:
    """For each whole second of 16-bit mono PCM, the amplitude of each named frequency."""
    from array import array

    s = array("h")
    s.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    return [
        {name: round(goertzel(s[i : i + rate], rate, f)) for name, f in freqs.items()}
        for i in range(0, len(s) - rate + 1, rate)
    ]
