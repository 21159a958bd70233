"""Warm latency of `ask` and `search` on the evaluation index (corpus + 1,677 news articles).

    .venv/bin/python benchmarks/latency.py [--index .cache/index-news] [--rounds 3]

Prints p50/p95 in milliseconds and the process's peak memory. Build the index first with
`make eval` (or any run of the slow tests)."""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation import load_questions  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default=str(ROOT / ".cache" / "index-news"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    assistant = Assistant.open(Settings.from_env(index_dir=Path(args.index)), build_if_missing=False)
    print(f"open: {time.perf_counter() - t0:.1f} s, {len(assistant.store.documents)} documents, "
          f"{len(assistant.store.chunks)} chunks")
    questions = []
    for name in ("public", "dev", "heldout"):
        for q in load_questions(ROOT / "tests" / f"questions_{name}.jsonl"):
            questions.append(q.get("question") or q["turns"][0])
    assistant.ask(questions[0])  # warm
    ask_ms, search_ms = [], []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            assistant.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assistant.search(q)
            search_ms.append((time.perf_counter() - t) * 1000)
    for name, values in (("ask", ask_ms), ("search", search_ms)):
        print(f"{name:>6}: n={len(values)}  p50={percentile(values, 0.5):.0f} ms  p95={percentile(values, 0.95):.0f} ms"
              f"  mean={statistics.fmean(values):.0f} ms")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
