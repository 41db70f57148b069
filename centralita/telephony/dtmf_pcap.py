"""A caller's whole DTMF sequence as one RFC 4733 pcap for sipp's play_pcap_audio.

sipp's bundled captures (one per digit) all carry the same RTP timestamp, and Asterisk rightly takes a
second event with the timestamp of the one before for a retransmission: only the first digit of a call
would count. Here every digit is its own event (own timestamp, rising sequence numbers), as a phone sends."""

from __future__ import annotations

import struct
from pathlib import Path

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101  # matches a=rtpmap:101 telephone-event/8000 in the scenario's SDP
TONE_MS, GAP_MS, PAUSE_MS, PACKET_MS = 100, 500, 1000, 20


def _udp_frame(payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 40000, 40002, 8 + len(payload), 0) + payload
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
    )
    return b"\x00" * 12 + b"\x08\x00" + ip + udp  # Ethernet: addresses do not matter to sipp


def leading_pause(digits: str) -> tuple[int, str]:
    """(ms, the rest) of the pauses before the first digit: sipp plays a capture from its first packet,
    so a pause before it is not in the capture's timing and must be a scenario pause instead."""
    rest = digits.lstrip(",")
    return PAUSE_MS * (len(digits) - len(rest)), rest


def build(digits: str, ssrc: int = 0x43454E54) -> tuple[bytes, int]:
    """(pcap bytes, duration in ms) for `digits`; ',' is a one-second pause between digits (one before
    the first digit would be lost: see leading_pause)."""
    if digits.startswith(","):
        raise ValueError(f"digits {digits!r}: a leading pause is a scenario pause (leading_pause)")
    packets: list[tuple[int, bytes]] = []
    seq, t_ms = 1, 0
    for ch in digits:
        if ch == ",":
            t_ms += PAUSE_MS
            continue
        event, start_ts = EVENTS[ch], 8 * t_ms
        steps = TONE_MS // PACKET_MS
        for i in range(steps + 3):  # the tone, then the end packet three times (RFC 4733 §2.5.1.4)
            end = i >= steps
            duration = 8 * PACKET_MS * min(i + 1, steps)
            header = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | PAYLOAD_TYPE, seq & 0xFFFF, start_ts, ssrc)
            body = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            packets.append((t_ms + min(i, steps) * PACKET_MS, header + body))
            seq += 1
        t_ms += TONE_MS + GAP_MS
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for at_ms, rtp in packets:
        frame = _udp_frame(rtp)
        out += struct.pack("<IIII", at_ms // 1000, (at_ms % 1000) * 1000, len(frame), len(frame)) + frame
    return bytes(out), t_ms


def write(digits: str, directory: Path) -> tuple[str, int]:
    data, duration = build(digits)
    path = directory / "dtmf.pcap"
    path.write_bytes(data)
    return str(path), duration


def _alaw(sample: int) -> int:
    """One 16-bit sample as G.711 A-law (ITU-T G.711 segment encoding)."""
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(sample if sample >= 0 else -sample - 1, 32635) >> 3  # one's complement, as G.711's reference
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (code | sign) ^ 0x55


def tone(seconds: float, directory: Path, freq: float = 440.0, start_seq: int = 1000) -> str:
    """`seconds` of a sine tone as G.711 A-law RTP (payload 8) in a pcap: what the demo caller says, so
    the caller's leg of the demo recording carries audio. Same SSRC as the digits, later sequence numbers."""
    import math

    samples_per_packet = 8 * PACKET_MS
    packets = []
    for n in range(int(seconds * 1000 / PACKET_MS)):
        ts = n * samples_per_packet
        body = bytes(
            _alaw(int(8000 * math.sin(2 * math.pi * freq * (ts + i) / 8000))) for i in range(samples_per_packet)
        )
        header = struct.pack("!BBHII", 0x80, 8, (start_seq + n) & 0xFFFF, 160000 + ts, 0x43454E54)
        packets.append((n * PACKET_MS, header + body))
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for at_ms, rtp in packets:
        frame = _udp_frame(rtp)
        out += struct.pack("<IIII", at_ms // 1000, (at_ms % 1000) * 1000, len(frame), len(frame)) + frame
    path = directory / "tone.pcap"
    path.write_bytes(bytes(out))
    return str(path)
