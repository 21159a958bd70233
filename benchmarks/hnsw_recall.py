"""Recall@10 of the HNSW index the automatic rule picks above 100,000 chunks, on real e5 vectors:
every vector in the shared embedding cache (real chunk texts: the news corpora embedded so far),
200 of them as queries, against exact inner-product search.

    .venv/bin/python benchmarks/hnsw_recall.py [--queries 200]

Real vectors matter: on uniform random vectors (e.g. benchmarks/build_plumbing.py's hash vectors) a
graph index has no neighbourhood structure to follow and recall says nothing about text."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def cached_vectors() -> np.ndarray:
    from assistant.settings import Settings

    path = Settings.from_env().cache_dir / "embeddings.sqlite3"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    space = db.execute("SELECT space FROM vectors GROUP BY space ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    rows = db.execute("SELECT vec FROM vectors WHERE space = ?", (space,)).fetchall()
    x = np.stack([np.frombuffer(blob, dtype="<f4") for (blob,) in rows]).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main() -> int:
    import faiss

    from assistant.settings import Settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    s = Settings.from_env()
    x = cached_vectors()
    order = np.random.default_rng(0).permutation(len(x))
    queries, base = x[order[: args.queries]], x[order[args.queries :]]
    index = faiss.IndexHNSWFlat(base.shape[1], s.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = s.hnsw_ef_construction
    t0 = time.perf_counter()
    index.add(base)
    built = time.perf_counter() - t0
    index.hnsw.efSearch = s.hnsw_ef_search
    _, found = index.search(queries, 10)
    exact = np.argsort(-(base @ queries.T), axis=0)[:10].T
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, found)]))
    print(json.dumps({"vectors": len(base), "queries": len(queries), "hnsw_build_s": round(built, 1),
                      "efSearch": s.hnsw_ef_search, "recall@10": round(recall, 4)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
