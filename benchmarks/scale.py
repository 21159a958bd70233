"""Figures of one built index at scale: size on disk, opening time and memory, warm ask/search
p50/p95, recall@10 of its dense index against exact search, and evidence@3 / MRR per question set.

    ASSISTANT_VECTOR_STORE=faiss|milvus .venv/bin/python benchmarks/scale.py --index DIR \
        [--questions data/questions/seed-public.jsonl ../shared/eval/news-questions.jsonl] [--rounds 1]

Build the index first (``python -m assistant --index DIR build --corpus …``; see docs/scale.md). The
engine and its search breadth come from the environment, as for every command. Recall@10 is the
share of the exact top-10 (inner product over ``vectors.f32``, FAISS's brute force) that the
engine's own dense search returns, over the questions' query vectors. Prints the load average:
figures taken while other jobs run are slower than idle ones."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.batch import answer_record
from assistant.bench import percentile, time_asks
from assistant.evaluation import evaluate, load_questions
from assistant.pipeline import Assistant
from assistant.settings import Settings

DEFAULT_QUESTIONS = (ROOT / "data" / "questions" / "seed-public.jsonl",
                     ROOT.parent / "shared" / "eval" / "news-questions.jsonl")


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    current = 0.0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def text_of(q: dict) -> str:
    return q.get("question") or q["turns"][-1]


def recall_at(assistant, texts: list[str], k: int) -> float:
    import faiss
    import numpy as np

    store = assistant.store
    queries = np.vstack([assistant.embedder.embed_query(t) for t in texts]).astype("float32")
    vectors = np.ascontiguousarray(store.vectors())
    _, exact = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = store.dense.search(queries, k)
    return float(np.mean([len(set(e) & set(f)) / k for e, f in zip(exact.tolist(), found.tolist())]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--questions", nargs="*", default=[str(p) for p in DEFAULT_QUESTIONS])
    ap.add_argument("--rounds", type=int, default=1, help="timed passes over the questions")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out: dict = {"uptime": subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()}
    t0 = time.perf_counter()
    settings = Settings.from_env(index_dir=Path(args.index))
    assistant = Assistant.open(settings, build_if_missing=False)
    store = assistant.store
    out.update(open_s=round(time.perf_counter() - t0, 2), documents=len(store.documents), chunks=len(store.chunks),
               engine=store.engine, index_mb=round(folder_mb(store.path), 1), rss_open_mb=round(rss_mb()[0]))
    if store.engine.get("store") == "milvus" and not store.engine["uri"].startswith("http"):
        out["milvus_lite_mb"] = round(folder_mb(Path(store.engine["uri"]).parent), 1)
    sets = {Path(p).name: load_questions(Path(p)) for p in args.questions if Path(p).exists()}
    texts = [text_of(q) for qs in sets.values() for q in qs]
    out["recall@10"] = round(recall_at(assistant, texts, 10), 4)
    out["recall@50"] = round(recall_at(assistant, texts, 50), 4)
    ask_ms, search_ms = time_asks(assistant, texts, args.rounds)
    for name, values in (("ask", ask_ms), ("search", search_ms)):
        out[f"{name}_ms"] = {"n": len(values), "p50": round(percentile(values, 0.5)), "p95": round(percentile(values, 0.95)),
                             "mean": round(statistics.fmean(values))}
    for name, questions in sets.items():
        report = evaluate(questions, lambda q: answer_record(assistant, q), k=3)
        figures = report.figures()
        out[name] = {k: round(v, 4) for k, v in figures.items() if isinstance(v, float)} | {"n": len(questions)}
    out["rss_mb"], out["peak_rss_mb"] = (round(x) for x in rss_mb())
    out["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(json.dumps(out, ensure_ascii=False, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
