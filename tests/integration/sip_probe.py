"""A minimal SIP user agent for the security tests: REGISTER and INVITE (with RFC 2617 digest) over
UDP or TLS from any loopback source address, so each attacker has its own address (127.0.0.x) and a
ban never blocks the harness on 127.0.0.1. It reports the status lines Asterisk answered, nothing more.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field

SDP = (
    "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest(challenge: str, method: str, uri: str, user: str, password: str) -> str:
    """The Authorization header value answering a WWW-Authenticate challenge."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    ha1, ha2 = _md5(f"{user}:{params['realm']}:{password}"), _md5(f"{method}:{uri}")
    nc, cnonce = "00000001", uuid.uuid4().hex[:16]
    response = _md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    out = (
        f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{uri}", '
        f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"'
    )
    if "opaque" in params:
        out += f', opaque="{params["opaque"]}"'
    return out


@dataclass
class Answer:
    statuses: list[int] = field(default_factory=list)  # every status Asterisk sent, in order

    @property
    def final(self) -> int | None:
        finals = [s for s in self.statuses if s >= 200]
        return finals[-1] if finals else None


class Transport:
    """One socket from `src`: UDP datagrams or one TLS connection to Asterisk."""

    def __init__(self, src: str, host: str, port: int, tls: bool = False, timeout: float = 3.0):
        self.host, self.port, self.tls = host, port, tls
        if tls:
            raw = socket.create_connection((host, port), timeout=timeout, source_address=(src, 0))
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # a self-signed test certificate
            self.sock = context.wrap_socket(raw)
            self.buffer = b""
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((src, 0))
        self.sock.settimeout(timeout)
        self.local = self.sock.getsockname()

    @property
    def name(self) -> str:
        return "TLS" if self.tls else "UDP"

    def send(self, message: str) -> None:
        if self.tls:
            self.sock.sendall(message.encode())
        else:
            self.sock.sendto(message.encode(), (self.host, self.port))

    def recv(self) -> str | None:
        try:
            if not self.tls:
                return self.sock.recv(65535).decode(errors="replace")
            while b"\r\n\r\n" not in self.buffer:
                chunk = self.sock.recv(65535)
                if not chunk:
                    return None
                self.buffer += chunk
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1)) if b"ength:" in head else 0
            while len(rest) < length:
                rest += self.sock.recv(65535)
            self.buffer = rest[length:]
            return (head + b"\r\n\r\n" + rest[:length]).decode(errors="replace")
        except TimeoutError:
            return None

    def close(self) -> None:
        self.sock.close()


class SipUA:
    def __init__(self, src: str, port: int, *, host: str = "127.0.0.1", tls: bool = False, timeout: float = 3.0):
        self.src, self.server_port, self.host = src, port, host
        self.t = Transport(src, host, port, tls, timeout)
        self.call_id = uuid.uuid4().hex
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = 0

    def close(self) -> None:
        self.t.close()

    def _request(
        self, method: str, uri: str, user: str, to_user: str, extra: str = "", body: str = "", cseq_method=None
    ) -> str:
        self.cseq += 1
        lip, lport = self.t.local[0], self.t.local[1]
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        transport = self.t.name
        return (
            f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} {lip}:{lport};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:{user}@{self.host}>;tag={self.tag}\r\nTo: <sip:{to_user}@{self.host}>\r\n"
            f"Call-ID: {self.call_id}\r\nCSeq: {self.cseq} {cseq_method or method}\r\n"
            f"Contact: <sip:{user}@{lip}:{lport};transport={transport.lower()}>\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        )

    def _responses(self, answer: Answer, until_final: bool = True):
        """Yield each response; stops at a final one (or silence)."""
        while True:
            message = self.t.recv()
            if message is None:
                return
            first = message.split("\r\n", 1)[0]
            if not first.startswith("SIP/2.0 "):
                continue  # a request from Asterisk (e.g. OPTIONS): not ours to answer here
            status = int(first.split()[1])
            answer.statuses.append(status)
            yield status, message
            if status >= 200 and until_final:
                return

    def register(self, user: str, password: str | None = None, expires: int = 60) -> Answer:
        answer = Answer()
        uri = f"sip:{self.host}:{self.server_port}"
        self.t.send(self._request("REGISTER", uri, user, user, f"Expires: {expires}\r\n"))
        for status, message in self._responses(answer):
            if status == 401 and password is not None and answer.statuses.count(401) == 1:
                auth = digest(_header(message, "WWW-Authenticate"), "REGISTER", uri, user, password)
                self.t.send(
                    self._request("REGISTER", uri, user, user, f"Expires: {expires}\r\nAuthorization: {auth}\r\n")
                )
                for _ in self._responses(answer):
                    pass
        return answer

    def invite(self, number: str, user: str = "anonymous", password: str | None = None) -> Answer:
        """Call `number`; a 200 is acknowledged and hung up at once. Returns every status seen."""
        answer = Answer()
        uri = f"sip:{number}@{self.host}:{self.server_port}"
        sdp = SDP.format(ip=self.t.local[0], port=40000)
        ctype = "Content-Type: application/sdp\r\n"
        self.t.send(self._request("INVITE", uri, user, number, ctype, sdp))
        challenged = False
        while True:
            final = None
            for status, message in self._responses(answer):
                final = (status, message)
            if final is None:
                return answer
            status, message = final
            self._ack(uri, user, number, message)
            if status == 401 and password is not None and not challenged:
                challenged = True
                auth = digest(_header(message, "WWW-Authenticate"), "INVITE", uri, user, password)
                self.t.send(self._request("INVITE", uri, user, number, f"{ctype}Authorization: {auth}\r\n", sdp))
                continue
            if status == 200:
                self._bye(uri, user, number, message)
            return answer

    def _ack(self, uri: str, user: str, number: str, response: str) -> None:
        to = _header(response, "To")
        cseq = int(_header(response, "CSeq").split()[0])
        self.cseq = cseq - 1
        message = self._request("ACK", uri, user, number).replace(f"To: <sip:{number}@{self.host}>", f"To: {to}")
        self.t.send(message)

    def _bye(self, uri: str, user: str, number: str, response: str) -> None:
        to = _header(response, "To")
        message = self._request("BYE", uri, user, number).replace(f"To: <sip:{number}@{self.host}>", f"To: {to}")
        self.t.send(message)
        for _ in self._responses(Answer()):
            pass


def _header(message: str, name: str) -> str:
    found = re.search(rf"(?im)^{name}:\s*(.*)$", message)
    return found.group(1).strip() if found else ""


class OptionsResponder:
    """A registered phone that stays alive: it answers Asterisk's qualify OPTIONS with 200 OK."""

    def __init__(self, ua: SipUA):
        self.ua, self.answered = ua, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.ua.t.sock.settimeout(0.2)
        while not self._stop.is_set():
            message = self.ua.t.recv()
            if not message or not message.startswith("OPTIONS "):
                continue
            headers = "\r\n".join(
                f"{h}: {_header(message, h)}" for h in ("Via", "From", "To", "Call-ID", "CSeq") if _header(message, h)
            )
            self.ua.t.send(f"SIP/2.0 200 OK\r\n{headers}\r\nContent-Length: 0\r\n\r\n")
            self.answered += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
