"""Offline transcription of a call with Vosk: one transcript per leg, words with times and confidence.

Each leg gets its own recognizer (so agent and caller are known without diarization); all
recognizers of a process share the one model `vosk_models.load_model` keeps. Audio is fed in
short chunks, as a live stream would be; segments are Vosk's utterances, split at pauses.
"""

from __future__ import annotations

import json
import queue
from dataclasses import asdict, dataclass, field
from pathlib import Path

from centralita.settings import Settings, get_settings
from recorder import audio, vosk_models

CHUNK_SECONDS = 0.5
SEGMENT_GAP = 1.0  # seconds of pause that end a segment


@dataclass(frozen=True)
class Word:
    speaker: str  # "caller" | "agent"
    word: str
    start: float  # seconds from the start of the call
    end: float
    conf: float


@dataclass
class Transcript:
    duration: float
    model: str
    sample_rate: int  # the rate the legs were resampled to (the model's)
    source_rate: int
    words: list[Word] = field(default_factory=list)  # both legs, ordered by start time
    segments: list[dict] = field(default_factory=list)  # {speaker, start, end, text} per utterance

    def text(self, speaker: str) -> str:
        return " ".join(w.word for w in self.words if w.speaker == speaker)

    def to_dict(self) -> dict:
        doc = asdict(self)
        doc["text"] = {leg: self.text(leg) for leg in audio.LEGS}
        return doc

    @classmethod
    def from_dict(cls, doc: dict) -> Transcript:
        words = [Word(**w) for w in doc.get("words", [])]
        return cls(
            doc["duration"], doc["model"], doc["sample_rate"], doc["source_rate"], words, list(doc.get("segments", []))
        )


class Transcriber:
    """Holds the process's model; `transcribe` may be called for many calls (and from threads)."""

    def __init__(self, settings: Settings | None = None, model_path: Path | None = None):
        settings = settings or get_settings()
        self.model_path = Path(model_path) if model_path else vosk_models.model_path(settings)
        self.rate = vosk_models.model_rate(self.model_path)
        self.model = vosk_models.load_model(self.model_path)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()  # warm recognizers, one per concurrent leg

    def _recognizer(self, phrases: list[str] | None) -> list:
        """[recognizer, seconds it has already been fed] on the shared model. Free-vocabulary ones are
        reused (after Reset): a fresh recognizer spends ~2 CPU seconds building its decoding-graph
        caches before it gets fast, more than decoding a minute of audio with a warm one. The price:
        a warm recognizer's words depend a little on what it decoded before (Reset() keeps some of
        Vosk's state) — measured 0.78-0.98 word agreement between repeated runs of one 55 s call."""
        import vosk

        if not phrases:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                rec = vosk.KaldiRecognizer(self.model, self.rate)
        else:
            rec = vosk.KaldiRecognizer(self.model, self.rate, json.dumps([*phrases, "[unk]"], ensure_ascii=False))
        rec.SetWords(True)
        return [rec, 0.0]

    def recognize(self, pcm: bytes, speaker: str, phrases: list[str] | None = None) -> tuple[list[Word], list[dict]]:
        """Words and segments of one mono 16-bit leg at the model's rate. `phrases` restricts the
        vocabulary (Vosk grammar), for known prompts or keyword spotting."""
        slot = self._recognizer(phrases)
        rec, offset = slot  # Reset() does not rewind Vosk's clock: its times go on from `offset`
        try:
            step = int(self.rate * CHUNK_SECONDS) * 2
            results = []
            for i in range(0, len(pcm), step):
                if rec.AcceptWaveform(pcm[i : i + step]):
                    results.append(json.loads(rec.Result()))
            results.append(json.loads(rec.FinalResult()))
        finally:
            if not phrases:
                rec.Reset()
                slot[1] = offset + len(pcm) / 2 / self.rate
                self._idle.put(slot)
        words, segments = [], []
        for res in results:
            found = [
                Word(
                    speaker,
                    w["word"],
                    round(w["start"] - offset, 3),
                    round(w["end"] - offset, 3),
                    round(w.get("conf", 1.0), 3),
                )
                for w in res.get("result", [])
                if w.get("word") and w["word"] != "[unk]"
            ]
            words.extend(found)
            segments.extend(_segments(found))
        return words, segments

    def transcribe(
        self, caller: str | Path, agent: str | Path | None = None, phrases: list[str] | None = None
    ) -> Transcript:
        """A stereo WAV (left caller, right agent) or two mono WAVs -> one Transcript."""
        return self.transcribe_legs(audio.load_legs(caller, agent, rate=self.rate), phrases)

    def transcribe_legs(self, legs: audio.Legs, phrases: list[str] | None = None) -> Transcript:
        """The same from legs already decoded at the model's rate."""
        if legs.rate != self.rate:
            raise ValueError(f"legs are at {legs.rate} Hz; the model needs {self.rate} Hz")
        out = Transcript(
            round(legs.duration, 3),
            self.model_path.name if self.model_path.name != "model" else self.model_path.parent.name,
            self.rate,
            legs.source_rate,
        )
        for speaker, pcm in legs.items():
            words, segments = self.recognize(pcm, speaker, phrases)
            out.words.extend(words)
            out.segments.extend(segments)
        out.words.sort(key=lambda w: (w.start, w.speaker))
        out.segments.sort(key=lambda s: (s["start"], s["speaker"]))
        return out


def _segments(words: list[Word]) -> list[dict]:
    """One Vosk result split where the speaker paused: Vosk's endpointer does not cut on the digital
    silence a recording has on one leg while the other talks, so one result can span several turns."""
    out: list[list[Word]] = []
    for w in words:
        if out and w.start - out[-1][-1].end <= SEGMENT_GAP:
            out[-1].append(w)
        else:
            out.append([w])
    return [
        {"speaker": ws[0].speaker, "start": ws[0].start, "end": ws[-1].end, "text": " ".join(w.word for w in ws)}
        for ws in out
    ]


def word_accuracy(reference: str, hypothesis: str) -> float:
    """1 - WER: word-level Levenshtein distance against the reference, floored at 0."""
    ref, hyp = reference.split(), hypothesis.split()
    if not ref:
        return 1.0 if not hyp else 0.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return max(0.0, 1.0 - prev[-1] / len(ref))
