"""Everything of a full-corpus build except the model: streaming, chunking, the staging files, BM25
over every chunk, the HNSW/flat index, publishing, and opening the result — timed, with peak memory.

    .venv/bin/python benchmarks/build_plumbing.py --index /tmp/plumbing \
        --corpus corpus ../shared/corpus-news/news.jsonl.gz [--kill-after-s 120]

Vectors come from a hash of each chunk's text (384 dimensions, like the real model) instead of the
model, so the run takes minutes instead of hours and says nothing about retrieval quality or recall
(the real build and benchmarks/scale.py do). What it shows: the build's own cost and that its memory
stays bounded at 300k chunks. ``--kill-after-s`` SIGKILLs the first attempt after that many seconds
and runs the build again, which must resume."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 384


class HashEmbedder:
    """A text's vector from its BLAKE2b digest (deterministic, L2-normalised); no model, no cache."""

    model_id = f"hash-{DIM}"
    dim = DIM

    def embed_passages(self, texts, progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


def build(index: Path, corpus: list[str]) -> dict:
    from assistant.indexer import build_index, input_from_paths
    from assistant.settings import Settings

    settings = Settings.from_env(index_dir=index)
    t0 = time.perf_counter()
    result = build_index(input_from_paths([Path(p) for p in corpus], settings), index, HashEmbedder(), settings,
                         progress=True)
    return {"build_s": round(time.perf_counter() - t0, 1), "documents": result.n_documents,
            "chunks": result.n_chunks, "resumed_at": result.resumed_at,
            "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def open_and_search(index: Path) -> dict:
    from assistant.index import load_store
    from assistant.retrieval import Retriever

    t0 = time.perf_counter()
    store = load_store(index)
    opened = time.perf_counter() - t0
    retriever = Retriever(store, HashEmbedder())
    questions = [json.loads(line)["question"] for line in open(ROOT.parent / "shared" / "eval" / "news-questions.jsonl",
                                                                 encoding="utf-8") if "question" in line][:100]
    times = []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    size = sum(p.stat().st_size for p in store.path.rglob("*") if p.is_file()) / 2**20
    return {"open_s": round(opened, 2), "engine": store.engine, "index_mb": round(size),
            "search_p50_ms": round(times[len(times) // 2]), "search_p95_ms": round(times[int(len(times) * 0.95)]),
            "open_search_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--corpus", nargs="+", required=True)
    ap.add_argument("--kill-after-s", type=float, default=0)
    ap.add_argument("--step", choices=["build", "open"], default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    index = Path(args.index)
    if args.step == "build":
        print(json.dumps(build(index, args.corpus)))
        return 0
    if args.step == "open":
        print(json.dumps(open_and_search(index)))
        return 0
    out = {"uptime": subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()}
    cmd = [sys.executable, __file__, "--index", str(index), "--corpus", *args.corpus]
    if args.kill_after_s:
        first = subprocess.Popen(cmd + ["--step", "build"], stdout=subprocess.PIPE)
        time.sleep(args.kill_after_s)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        out["killed_after_s"] = args.kill_after_s
    built = subprocess.run(cmd + ["--step", "build"], stdout=subprocess.PIPE, text=True, check=True)
    out.update(json.loads(built.stdout.strip().splitlines()[-1]))
    opened = subprocess.run(cmd + ["--step", "open"], stdout=subprocess.PIPE, text=True, check=True)
    out.update(json.loads(opened.stdout.strip().splitlines()[-1]))
    out["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
