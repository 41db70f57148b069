"""`centralita bench transcribe` end to end on a tiny load: the JSON the issue names, computed from
real runs (raw Vosk and the real pipeline both finished every call)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def test_bench_transcribe_prints_the_figures(tmp_path):
    env = {**os.environ, "CENTRALITA_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "centralita.cli",
            "bench",
            "transcribe",
            "--json",
            "--calls",
            "2",
            "--turns",
            "2",
            "--rounds",
            "1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    for key in (
        "raw_rtf",
        "pipeline_rtf",
        "overhead_pct",
        "speedup_2_workers",
        "peak_rss_mb_per_worker",
        "archive_ratio",
        "encode_x_realtime",
    ):
        assert isinstance(doc[key], (int, float)), key
    assert doc["raw_rtf"] > 0 and doc["pipeline_rtf"] > 0
    # Derived figures agree with the two rates they come from.
    assert doc["overhead_pct"] == pytest.approx((doc["raw_rtf"] / doc["pipeline_rtf"] - 1) * 100, abs=1.5)
    assert doc["archive_ratio"] > 1 and doc["peak_rss_mb_per_worker"] > 50
    assert doc["context"]["calls"] == 2 and doc["context"]["rounds"] == 1
