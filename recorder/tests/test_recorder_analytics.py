"""Analytics on hand-made word lists: every figure is checked against values worked out by hand."""

from __future__ import annotations

import pytest

from recorder import analytics
from recorder.transcribe import Transcript, Word


def say(speaker: str, text: str, start: float, step: float = 0.4) -> list[Word]:
    """Words of `text` one after another from `start`, each lasting `step` - 0.05 s."""
    return [
        Word(speaker, w, round(start + i * step, 3), round(start + (i + 1) * step - 0.05, 3), 1.0)
        for i, w in enumerate(text.split())
    ]


def test_turns_merge_words_closer_than_the_gap():
    words = say("agent", "buenos días", 0.0) + say("agent", "municipio", 2.0)
    assert analytics.turns(words, "agent") == [(0.0, 0.75), (2.0, 2.35)]
    assert analytics.turns(words, "agent", join_gap=2.0) == [(0.0, 2.35)]
    assert analytics.turns(words, "caller") == []


def test_talk_time_shares():
    words = say("agent", "uno dos tres", 0.0, step=1.0) + say("caller", "cuatro", 5.0, step=1.0)
    # agent: 0-2.95 (gaps of 0.05 merge) = 2.95 s; caller 5-5.95 = 0.95 s
    tt = analytics.talk_time(words, duration=10.0)
    assert tt["agent"] == {"seconds": 2.95, "share": round(2.95 / 3.9, 3), "of_call": 0.295}
    assert tt["caller"]["seconds"] == 0.95 and tt["caller"]["share"] == round(0.95 / 3.9, 3)
    assert analytics.talk_time([], 10.0)["agent"] == {"seconds": 0.0, "share": 0.0, "of_call": 0.0}


def test_silences_longer_than_threshold_including_edges():
    words = say("agent", "hola", 4.0, step=1.0) + say("caller", "sí", 5.5, step=1.0) + say("agent", "bien", 12.0, 1.0)
    s = analytics.silences(words, duration=20.0)
    # leading 0-4 (4 s), 6.45-12 (5.55 s), trailing 12.95-20 (7.05 s); 4.95-5.5 is short.
    assert [(g["start"], g["end"]) for g in s["silences"]] == [(0.0, 4.0), (6.45, 12.0), (12.95, 20.0)]
    assert s["count"] == 3 and s["seconds"] == pytest.approx(4 + 5.55 + 7.05)
    assert analytics.silences(words, duration=20.0, min_silence=6.0)["count"] == 1
    assert analytics.silences([], duration=2.0)["count"] == 0
    assert analytics.silences([], duration=5.0)["seconds"] == 5.0


def test_overlapping_speech_is_an_interruption_by_who_started_second():
    agent = say("agent", "su número de cuenta es el siguiente", 0.0)  # 0 - 2.75
    caller = say("caller", "no espere", 1.5)  # starts mid-turn, overlaps 1.5-2.25
    late = say("caller", "gracias", 4.0)  # after the agent finished
    i = analytics.interruptions(agent + caller + late)
    assert i["count"] == 1 and i["by"] == {"caller": 1, "agent": 0}
    assert i["events"] == [{"by": "caller", "at": 1.5, "overlap": 0.75}]
    # The agent talking over the caller counts for the agent.
    i = analytics.interruptions(say("caller", "quiero hacer un reclamo formal", 0.0) + say("agent", "un momento", 1.0))
    assert i["by"] == {"caller": 0, "agent": 1}
    assert analytics.interruptions(say("agent", "hola", 0) + say("caller", "hola", 1))["count"] == 0
    # A short backchannel ("ajá", 0.15 s of overlap) is not an interruption.
    assert analytics.interruptions(agent + say("caller", "ajá", 2.6, step=0.2))["count"] == 0


def test_sentiment_per_speaker_with_negation_and_intensifiers():
    words = (
        say("caller", "el servicio es pésimo y estoy muy molesto", 0.0)
        + say("agent", "gracias por su paciencia lo resolvemos", 5.0)
        + say("caller", "no está mal muchas gracias", 10.0)
    )
    s = analytics.sentiment(words, duration=12.0, language="es")
    assert s["caller"]["hits"] == 4  # pésimo, molesto (×1.5), mal (negated), gracias
    # -3 + -2*1.5 + 2 (no … mal → +2) + 2 = -2
    assert s["caller"]["score"] == pytest.approx(-2 / (4 + 15) ** 0.5, abs=1e-3)
    assert s["caller"]["label"] == "negative"
    # Over the call: angry at the start, satisfied at the end.
    assert s["caller"]["timeline"][0] < 0 < s["caller"]["timeline"][2] and s["caller"]["trend"] > 0
    assert s["agent"]["label"] == "positive" and s["agent"]["hits"] == 1


def test_sentiment_english_and_accents_and_neutral():
    s = analytics.sentiment(say("caller", "this is not good I am really angry", 0.0), 5.0, "en")
    assert s["caller"]["label"] == "negative" and s["caller"]["hits"] == 2
    # Recognizers drop accents: "atencion" and "atención" weigh the same.
    a = analytics.sentiment(say("agent", "excelente atención", 0), 2.0)
    b = analytics.sentiment(say("agent", "EXCELENTE atencion", 0), 2.0)
    assert a == b and a["agent"]["label"] == "positive"
    assert analytics.sentiment([], 1.0)["caller"] == {
        "score": 0.0,
        "label": "neutral",
        "hits": 0,
        "timeline": [0.0, 0.0, 0.0],
        "trend": 0.0,
    }
    with pytest.raises(ValueError, match="no sentiment lexicon for language 'ko'"):
        analytics.sentiment([], 1.0, "ko")


def test_categories_from_keyword_rules():
    words = (
        say("caller", "quiero poner una queja y cancelar el servicio", 0.0)
        + say("caller", "también un reclamo por la factura", 5.0)
        + say("agent", "le paso con mi supervisor", 9.0)
    )
    c = analytics.categories(words)
    assert set(c) == {"queja", "cancelacion", "reclamo", "pago", "escalamiento"}
    assert c["queja"] == {"speakers": ["caller"], "terms": ["queja"], "count": 1}
    assert c["escalamiento"]["speakers"] == ["agent"]
    # Multi-word terms and prefixes; custom rules.
    c = analytics.categories(say("caller", "quiero darme de baja me quejé ayer", 0.0))
    assert c["cancelacion"]["terms"] == ["darme de baja"] and c["queja"]["terms"] == ["queje"]
    rules = {"fuga": [("fuga",), ("se", "sale", "el", "agua")]}
    assert analytics.categories(say("caller", "se sale el agua", 0), rules)["fuga"]["count"] == 1
    assert analytics.categories(say("caller", "buenos días", 0)) == {}


def test_analyse_redacts_before_storing_and_counts_everything():
    card = "cuatro uno one uno uno uno uno uno uno uno uno uno uno uno uno uno uno".replace("one", "uno")
    words = say("agent", "buenos días en qué le puedo ayudar", 0.0) + say(
        "caller", f"quiero pagar con la tarjeta {card} gracias", 4.0, step=0.3
    )
    t = Transcript(
        duration=20.0,
        model="test",
        sample_rate=16000,
        source_rate=8000,
        words=words,
        segments=[{"speaker": "caller", "start": 4.0, "end": 12.0, "text": "..."}],
    )
    stored, doc = analytics.analyse(t, "es")
    assert "cuatro" not in stored.text("caller") and "[TARJETA]" in stored.text("caller")
    assert "uno" not in stored.segments[0]["text"] and "[TARJETA]" in stored.segments[0]["text"]
    assert "cuatro" in t.text("caller")  # the input is left as it was (pure function)
    assert doc["redactions"][0]["kind"] == "[TARJETA]" and doc["redactions"][0]["speaker"] == "caller"
    assert set(doc) == {"language", "talk_time", "silence", "interruptions", "sentiment", "categories", "redactions"}
    assert "pago" in doc["categories"] and doc["silence"]["count"] == 1  # the end of the call
