"""Where the chunk vectors (and, with Milvus, the BM25 postings) are searched: one small interface,
a few backends, chosen by settings.

``ASSISTANT_VECTOR_STORE=faiss`` (default) keeps a FAISS file in the store folder, memory-mapped;
``milvus`` puts dense and sparse (BM25) vectors in a Milvus collection — Milvus Lite when
``ASSISTANT_MILVUS_URI`` is a file path, a Milvus server or cluster when it is ``http://host:19530``.
The kind of dense index is chosen by size (:func:`choose_kind`): exact (flat) search up to
``vector_index_flat_max`` chunks, HNSW above (the same rule txtai follows: exact while it is cheap,
an approximate graph when it is not); ``ASSISTANT_VECTOR_INDEX`` forces one.

Retrieval sees only :class:`DenseSearch` and :class:`SparseSearch`; it never knows which engine
answers. The build (:mod:`assistant.indexer`) calls :func:`write_engine` once the store's
``vectors.f32`` and BM25 files are complete, and :func:`open_engine` reads what the manifest
recorded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

FAISS, MILVUS = "faiss", "milvus"
FLAT, HNSW, IVF, AUTO = "flat", "hnsw", "ivf", "auto"


class DenseSearch(Protocol):
    """Inner-product search over the chunk vectors (rows = chunk numbers); faiss.Index is one."""

    ntotal: int
    d: int

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, rows), each (n queries, k); a row of -1 is no hit."""
        ...


class SparseSearch(Protocol):
    """BM25 over the chunks' word tokens."""

    def search(self, words: Sequence[str], k: int) -> tuple[list[int], list[float]]:
        """Rows and scores of the best ``k`` chunks (score > 0), best first."""
        ...


@dataclass(frozen=True)
class EngineConfig:  # defaults and meanings: the vector store block of Settings
    vector_store: str
    vector_index: str
    vector_index_flat_max: int
    hnsw_m: int
    hnsw_ef_construction: int
    hnsw_ef_search: int
    ivf_nprobe: int
    milvus_uri: str
    milvus_token: str


def choose_kind(n: int, config: EngineConfig) -> str:
    """flat / hnsw / ivf for ``n`` vectors: the setting, or by size when it is ``auto``."""
    if config.vector_index != AUTO:
        return config.vector_index
    return FLAT if n <= config.vector_index_flat_max else HNSW


def write_engine(folder: Path, vectors: np.ndarray, bm25, config: EngineConfig, build_key: str,
                 state: dict, checkpoint: Callable[[dict], None], progress: bool) -> dict:
    """Index ``vectors`` (and, for Milvus, ``bm25``'s postings) for the store in ``folder``; returns
    what the manifest records under ``engine``. ``state``/``checkpoint`` make a long upload resumable."""
    kind = choose_kind(len(vectors), config)
    if config.vector_store == MILVUS:
        from .milvus_store import write_milvus

        return write_milvus(folder, vectors, bm25, kind, config, build_key, state, checkpoint, progress)
    from .faiss_store import write_faiss

    return write_faiss(folder, vectors, kind, config, progress)


def open_engine(folder: Path, engine: dict, bm25, config: EngineConfig) -> tuple[DenseSearch, SparseSearch | None]:
    """The dense and sparse search of a saved store, as its manifest's ``engine`` describes."""
    from ..bm25_index import LocalBm25

    if engine.get("store") == MILVUS:
        from .milvus_store import open_milvus

        return open_milvus(engine, bm25, config)
    from .faiss_store import open_faiss

    return open_faiss(folder, engine, config), (LocalBm25(bm25) if bm25 is not None else None)


def drop_engine(engine: dict, config: EngineConfig) -> None:
    """Free what a replaced store held outside its folder (a Milvus collection); FAISS has nothing."""
    if engine.get("store") == MILVUS:
        from .milvus_store import drop_collection

        drop_collection(engine, config)
