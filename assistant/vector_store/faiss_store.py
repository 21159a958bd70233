"""FAISS backends: exact (flat), HNSW and IVF, all inner product on L2-normalised vectors, all
read memory-mapped (``IO_FLAG_MMAP``) so that opening costs little at any size.

HNSW (M links a node, efConstruction at build, efSearch at query) needs no training and keeps
recall@10 ≥ 0.95 against exact search at the news corpus's 300k chunks (measured by
``benchmarks/scale.py``); IVF (k-means cells, ``nprobe`` visited) is there for larger or
memory-bound indexes. The kind and its parameters are recorded in the manifest."""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from . import FAISS, FLAT, HNSW, IVF, EngineConfig

DENSE_FILE = "dense.faiss"
_ADD_BATCH = 20_000  # vectors handed to FAISS at a time (bounded copies from the mapped file)


def _factory(kind: str, n: int, config: EngineConfig) -> tuple[str, dict]:
    if kind == FLAT:
        return "Flat", {}
    if kind == HNSW:
        return f"HNSW{config.hnsw_m},Flat", {"M": config.hnsw_m, "efConstruction": config.hnsw_ef_construction}
    if kind == IVF:
        nlist = max(1, min(4 * int(math.sqrt(max(n, 1))), max(1, n // 39)))  # FAISS wants ≥ 39 points a cell
        return f"IVF{nlist},Flat", {"nlist": nlist}
    raise ValueError(f"ASSISTANT_VECTOR_INDEX={kind!r} 无法识别：可选 auto / flat / hnsw / ivf。")


def write_faiss(folder: Path, vectors: np.ndarray, kind: str, config: EngineConfig, progress: bool) -> dict:
    from tqdm import tqdm

    n, dim = vectors.shape
    spec, params = _factory(kind, n, config)
    index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
    if kind == HNSW:
        index.hnsw.efConstruction = config.hnsw_ef_construction
    if kind == IVF and n:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(n, size=min(n, 64 * params["nlist"]), replace=False))
        index.train(np.ascontiguousarray(vectors[sample]))
    bar = tqdm(total=n, desc=f"向量索引 / {spec}", unit="块", disable=not progress or n < _ADD_BATCH)
    for start in range(0, n, _ADD_BATCH):
        part = np.ascontiguousarray(vectors[start : start + _ADD_BATCH], dtype="float32")
        index.add(part)
        bar.update(len(part))
    bar.close()
    faiss.write_index(index, str(folder / DENSE_FILE))
    return {"store": FAISS, "kind": kind, "factory": spec, **params}


def open_faiss(folder: Path, engine: dict, config: EngineConfig) -> faiss.Index:
    index = faiss.read_index(str(folder / DENSE_FILE), faiss.IO_FLAG_MMAP)
    kind = engine.get("kind", FLAT)
    if kind == HNSW:
        faiss.ParameterSpace().set_index_parameter(index, "efSearch", config.hnsw_ef_search)
    elif kind == IVF:
        faiss.ParameterSpace().set_index_parameter(index, "nprobe", config.ivf_nprobe)
    return index
