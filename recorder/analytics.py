"""Call analytics from a two-leg transcript, offline and deterministic (pure functions).

Input is the recognizer's words (objects with speaker, word, start, end; e.g. transcribe.Word).
Speech time is measured from word timestamps: a speaker's words closer than `join_gap` seconds
form one stretch of speech (a "turn"), since recognizers leave small gaps between words.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

from recorder import pii
from recorder.text import TermSet, plain

LEXICONS = Path(__file__).parent / "lexicons"
SPEAKERS = ("caller", "agent")
JOIN_GAP = 0.5  # seconds between words still counted as one stretch of speech
NEGATION_REACH = 3  # a negator flips the sentiment of the next words up to this many
INTENSIFY = 1.5


def _read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            term, _, value = line.partition("\t")
            rows.append((term.strip(), value.strip()))
    return rows


@lru_cache
def lexicon(language: str) -> TermSet:
    """Sentiment lexicon of `language` (es, en): values are ints, 'NEG' or 'INT'."""
    path = LEXICONS / f"{language}.tsv"
    if not path.is_file():
        raise ValueError(
            f"no sentiment lexicon for language {language!r} (have: "
            f"{', '.join(sorted(p.stem for p in LEXICONS.glob('??.tsv')))})"
        )
    return TermSet((t, v if v in ("NEG", "INT") else int(v)) for t, v in _read_tsv(path))


@lru_cache
def category_rules(path: Path = LEXICONS / "categories.tsv") -> dict[str, list[tuple[str, ...]]]:
    """{category: [term as a tuple of plain words]} from a rules file (category<TAB>term|term...)."""
    return {
        cat: [tuple(plain(w) for w in term.split()) for term in terms.split("|") if term.strip()]
        for cat, terms in _read_tsv(path)
    }


# --- time ---------------------------------------------------------------------------------------


def turns(words, speaker: str, join_gap: float = JOIN_GAP) -> list[tuple[float, float]]:
    """Merged [start, end] stretches of speech of one speaker."""
    out: list[list[float]] = []
    for w in sorted((w for w in words if w.speaker == speaker), key=lambda w: w.start):
        if out and w.start - out[-1][1] <= join_gap:
            out[-1][1] = max(out[-1][1], w.end)
        else:
            out.append([w.start, w.end])
    return [(a, b) for a, b in out]


def _merge(intervals) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def talk_time(words, duration: float, join_gap: float = JOIN_GAP) -> dict:
    """Seconds each speaker talks, their share of all talk, and of the call."""
    secs = {s: sum(b - a for a, b in turns(words, s, join_gap)) for s in SPEAKERS}
    total = sum(secs.values())
    return {
        s: {
            "seconds": round(secs[s], 2),
            "share": round(secs[s] / total, 3) if total else 0.0,
            "of_call": round(secs[s] / duration, 3) if duration else 0.0,
        }
        for s in SPEAKERS
    }


def silences(words, duration: float, min_silence: float = 3.0, join_gap: float = JOIN_GAP) -> dict:
    """Stretches longer than `min_silence` where nobody talks (start and end of the call included)."""
    speech = _merge(t for s in SPEAKERS for t in turns(words, s, join_gap))
    gaps, cursor = [], 0.0
    for a, b in speech + [(duration, duration)]:
        if a - cursor > min_silence:
            gaps.append({"start": round(cursor, 2), "end": round(a, 2), "seconds": round(a - cursor, 2)})
        cursor = max(cursor, b)
    return {"seconds": round(sum(g["seconds"] for g in gaps), 2), "count": len(gaps), "silences": gaps}


class Interruption(TypedDict):
    by: str  # the speaker who started second
    at: float
    overlap: float


def interruptions(words, min_overlap: float = 0.3, join_gap: float = JOIN_GAP) -> dict:
    """Times one speaker started talking while the other was mid-turn, overlapping ≥ `min_overlap` s.
    The one who starts second is the interrupter; short backchannels ("ajá") below the threshold
    are not counted."""
    by = {s: turns(words, s, join_gap) for s in SPEAKERS}
    events: list[Interruption] = []
    for who, other in (SPEAKERS, SPEAKERS[::-1]):
        for a, b in by[who]:
            for c, d in by[other]:
                overlap = min(b, d) - max(a, c)
                if c < a < d and overlap >= min_overlap:
                    events.append({"by": who, "at": round(a, 2), "overlap": round(overlap, 2)})
    events.sort(key=lambda e: e["at"])
    return {
        "count": len(events),
        "by": {s: sum(e["by"] == s for e in events) for s in SPEAKERS},
        "overlap_seconds": round(sum(e["overlap"] for e in events), 2),
        "events": events,
    }


# --- sentiment ----------------------------------------------------------------------------------


def _word_scores(words, lex: TermSet) -> list[tuple[float, float]]:
    """(time, score) of each sentiment-bearing word of one speaker's words in order."""
    out, negate_left, boost = [], 0, 1.0
    for w in words:
        value = lex.get(plain(w.word))
        if value == "NEG":
            negate_left = NEGATION_REACH
            continue
        if value == "INT":
            boost = INTENSIFY
            continue
        if isinstance(value, int):
            out.append((w.start, value * boost * (-1 if negate_left else 1)))
        negate_left, boost = max(0, negate_left - 1), 1.0
    return out


def _compound(total: float) -> float:
    # VADER's normalization: maps any sum into (-1, 1), saturating slowly.
    return round(total / math.sqrt(total * total + 15), 3) if total else 0.0


def _label(score: float) -> str:
    return "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"


def sentiment(words, duration: float, language: str = "es", parts: int = 3) -> dict:
    """Per speaker: overall score in [-1, 1] with a label, hits, and the score in each of `parts`
    equal parts of the call (start → end), so a caller who ends angrier than they began shows."""
    lex = lexicon(language)
    out = {}
    for s in SPEAKERS:
        scores = _word_scores(sorted((w for w in words if w.speaker == s), key=lambda w: w.start), lex)
        total = sum(v for _, v in scores)
        span = duration / parts if duration else 1.0
        timeline = [_compound(sum(v for t, v in scores if min(int(t // span), parts - 1) == i)) for i in range(parts)]
        score = _compound(total)
        out[s] = {
            "score": score,
            "label": _label(score),
            "hits": len(scores),
            "timeline": timeline,
            "trend": round(timeline[-1] - timeline[0], 3),
        }
    return out


# --- categories ---------------------------------------------------------------------------------


def categories(words, rules: dict[str, list[tuple[str, ...]]] | None = None) -> dict:
    """{category: {"speakers": [...], "terms": [...], "count": n}} for every rule that matched."""
    rules = category_rules() if rules is None else rules
    compiled = {cat: [(term[:-1], TermSet([(term[-1], True)])) for term in terms] for cat, terms in rules.items()}
    found: dict[str, dict] = {}
    for s in SPEAKERS:
        toks = [plain(w.word) for w in sorted((w for w in words if w.speaker == s), key=lambda w: w.start)]
        for cat, terms in compiled.items():
            for head, last in terms:
                n = len(head)
                for i in range(n, len(toks)):
                    if tuple(toks[i - n : i]) == head and last.get(toks[i]):
                        hit = found.setdefault(cat, {"speakers": [], "terms": [], "count": 0})
                        hit["count"] += 1
                        if s not in hit["speakers"]:
                            hit["speakers"].append(s)
                        term = " ".join(toks[i - n : i + 1])
                        if term not in hit["terms"]:
                            hit["terms"].append(term)
    return found


# --- all of it ----------------------------------------------------------------------------------


def analyse(transcript, language: str = "es", min_silence: float = 3.0) -> tuple:
    """(the transcript with PII redacted — the only one to store —, every figure above computed from
    the redacted words). The transcript given is not changed."""
    words, spans = pii.redact_words(transcript.words, language)
    redacted = replace(transcript, words=words, segments=_resegment(transcript.segments, words))
    duration = transcript.duration
    return redacted, {
        "language": language,
        "talk_time": talk_time(words, duration),
        "silence": silences(words, duration, min_silence),
        "interruptions": interruptions(words),
        "sentiment": sentiment(words, duration, language),
        "categories": categories(words),
        "redactions": [{"kind": s.kind, "speaker": s.speaker, "start": s.start, "end": s.end} for s in spans],
    }


def _resegment(segments: list[dict], words) -> list[dict]:
    """Segments' text rebuilt from the (redacted) words inside each segment's span."""
    out = []
    for seg in segments:
        inside = [
            w.word for w in words if w.speaker == seg["speaker"] and seg["start"] <= w.start and w.end <= seg["end"]
        ]
        out.append({**seg, "text": " ".join(inside)})
    return out
