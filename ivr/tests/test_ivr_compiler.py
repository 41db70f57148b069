"""Compiling a flow version to dialplan (pure: no database, no Asterisk)."""

from __future__ import annotations

from ivr.compiler import Compiler
from ivr.flowdef import FlowDefinition
from ivr.prompts import PromptResolver
from ivr.tests.flows import sample_flow


def compile_flow(**options) -> dict[str, str]:
    flow = FlowDefinition.model_validate(sample_flow("http://127.0.0.1:8000/t/{digits}"))
    contexts = Compiler("t", 4, flow, PromptResolver(set()), "atencion", **options).compile()
    return {c.name: "\n".join(c.lines) for c in contexts}


def test_every_node_gets_its_own_versioned_context():
    contexts = compile_flow()
    assert set(contexts) == {"ivr-t-v4", "ivr-t-v4-hours", "ivr-t-v4-closed", "ivr-t-v4-main", "ivr-t-v4-debt"}
    entry = contexts["ivr-t-v4"]
    assert "flow:t/v4" in entry and "Goto(ivr-t-v4-hours,s,1)" in entry
    # If the hours step cannot run, the caller is treated as within hours (a person, not "closed").
    assert 'SUCCESS" & "${IVR_RESULT}" != ""]?${IVR_RESULT}:open)' in contexts["ivr-t-v4-hours"]
    assert "exten => 2,1,Set(CDR(path)=${CDR(path)}>main:2)" in contexts["ivr-t-v4-main"]
    assert "Set(CENTRALITA_QUEUE=ventas)" in contexts["ivr-t-v4-main"]


def test_benchmark_modes_compile_the_same_lookup_differently():
    process = compile_flow(lookup_mode="process", process_script="/srv/x/bench_agi")["ivr-t-v4-debt"]
    assert "AGI(/srv/x/bench_agi,${STRFTIME(,,%s%3q)},http://127.0.0.1:8000/t/%s,debt," in process
    assert "Set(CDR(userfield)=agi_ms=${IVR_LOOKUP_MS})" in process
    dialplan = compile_flow(lookup_mode="dialplan")["ivr-t-v4-debt"]
    assert "AGI(" not in dialplan and "CURL(http://127.0.0.1:8000/t/${DIGITS})" in dialplan
    assert "SayNumber(${JSON_DECODE(ANSWER,debt)})" in dialplan
    assert "agi_ms" not in compile_flow()["ivr-t-v4-debt"]  # production flows do not touch the userfield
