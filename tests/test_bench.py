"""The bench's report and its cold-start probe (the full run is `make bench`, not a test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.bench import format_table, percentile
from assistant.settings import PROJECT_ROOT

SAMPLE = {
    "load_avg": [0.5, 0.4, 0.3], "load_avg_end": [0.6, 0.4, 0.3], "cores": 2, "backend": "onnx-int8",
    "elapsed_s": 300.0, "n_docs": 101, "n_texts": 573, "encoder_per_s": 40.0, "torch_encoder_per_s": 15.0,
    "build_per_s": 36.0, "build_vs_encoder": 0.9, "build_vs_encoder_median": 0.88, "backend_speedup": 2.67,
    "quality": {"news_docs": 375, "n_questions": {"seed": 42, "news": 311},
                "default": {"seed": {"evidence@3": 1.0, "mrr": 1.0}, "news": {"evidence@3": 0.98, "mrr": 0.918}},
                "torch": {"seed": {"evidence@3": 1.0, "mrr": 1.0}, "news": {"evidence@3": 0.98, "mrr": 0.915}}},
    "quality_delta_points": 0.3, "cold_ask_s": 1.9,
    "cold_split_s": {"python_start": 0.1, "imports": 0.5, "model": 0.6, "index": 0.6, "answer": 0.05},
    "cold_ask_news_s": 2.1, "chunks": 9272, "warm_ask_p50_ms": 10.0, "warm_ask_p95_ms": 50.0,
    "warm_search_p50_ms": 7.0, "warm_search_p95_ms": 9.0, "peak_rss_mb": 750.0,
}


def test_table_shows_every_figure_beside_its_target():
    table = format_table(SAMPLE)
    assert "load average [0.5, 0.4, 0.3] → [0.6, 0.4, 0.3] on 2 cores" in table
    for cell in ("| 90% (88%) | ≥ 85% |", "| 2.67× | ≥ 2× |", "| 0.30 | ≤ 1 |", "| 1.90 | ≤ 3 (idle) |",
                 "98.0 / 98.0", "91.5 / 91.8", "0.10 / 0.50 / 0.60 / 0.60 / 0.05", "| 10 / 50 |", "| 750 |"):
        assert cell in table, cell


def test_percentiles_pick_observed_values():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 51.0 and percentile(values, 0.95) == 95.0 and percentile([], 0.5) == 0.0


@pytest.mark.slow
def test_cold_probe_times_each_step_of_a_one_off_ask(corpus_assistant):
    env = dict(os.environ, ASSISTANT_INDEX_DIR=str(corpus_assistant.settings.index_dir))
    out = subprocess.run([sys.executable, "-c", "from assistant.bench import cold_probe; cold_probe()"],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    split = json.loads(out.stdout)
    assert set(split) == {"imports", "model", "index", "answer"} and all(v > 0 for v in split.values())
