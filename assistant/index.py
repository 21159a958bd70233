"""The index on disk: what a store folder holds, how one is opened, and how a finished one is
published.

``index_dir/CURRENT`` names the live store folder. A build (:mod:`assistant.indexer`, streamed and
resumable) writes a new folder beside it and only then swaps CURRENT with an atomic rename, so a
failed or killed build leaves the previous index loadable. Work is incremental by content hash: a
chunk whose text the previous store or any index on the machine embedded before takes that vector
(the shared cache, assistant.embedding.cache).

Opening does no work that a build can do: documents (:mod:`assistant.doc_table`) and chunks
(:mod:`assistant.chunk_table`) are memory-mapped and parsed one at a time, BM25 is bm25s's matrix
memory-mapped (:mod:`assistant.bm25_index`) and the vector engine is a memory-mapped FAISS file or
a Milvus collection (:mod:`assistant.vector_store`), so the cost of opening barely grows with the
index."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from .bm25_index import DocFreq, load_bm25
from .chunk_table import ChunkTable
from .chunking import CHUNKER_VERSION
from .doc_table import DocumentTable, map_array
from .integrity import IndexDamaged, IndexUnavailable, pointer_problem, seal_store, valid_store_path, verify_store  # noqa: F401 (re-exported)
from .normalize import NORMALIZER_VERSION, mask_config
from .schema import Chunk, Document
from .settings import defaults, section
from .storage import fsync_dir
from .terms import Term
from .tokens import add_terms
from .vector_store import DenseSearch, EngineConfig, SparseSearch, drop_engine, open_engine

# 2: documents carry author, url, pages and OCR marks; JSON Lines ids are kept
# 3: chunks as memory-mapped columns (chunk_table), not chunks.jsonl; the FAISS file memory-mapped
# 4: streamed build: documents mapped (doc_table), raw appendable columns, vectors.f32, BM25 built from
#    postings (bm25_index), the vector engine recorded in the manifest (vector_store)
INDEX_FORMAT = 4
VECTORS_FILE = "vectors.f32"
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
STORE_PREFIX = "store-"


@dataclass
class IndexStore:
    manifest: dict
    documents: Mapping[str, Document]  # a DocumentTable, read from disk on demand
    chunks: Sequence[Chunk]  # a ChunkTable, mapped from disk
    dense: DenseSearch  # FAISS index or Milvus collection (assistant.vector_store)
    bm25: SparseSearch | None
    glossary: dict[str, Term] = field(default_factory=dict)
    doc_freq: Mapping[str, int] = field(default_factory=dict)  # BM25 token → number of chunks holding it
    path: Path | None = None

    @property
    def model_id(self) -> str:
        return self.manifest.get("model_id", "")

    @property
    def engine(self) -> dict:
        return self.manifest.get("engine", {})

    def vectors(self) -> np.ndarray:
        """All chunk vectors, (n, dim) float32, memory-mapped."""
        dim = int(self.manifest.get("dim") or self.dense.d)
        if self.path is None:
            return np.zeros((0, dim), dtype="float32")
        return map_array(self.path / VECTORS_FILE, "<f4", width=dim).reshape(-1, dim)


class PassageEmbedder(Protocol):
    """What the index needs of an embedding model (assistant.embedding.Embedder is one)."""

    model_id: str
    dim: int

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def chunker_config(max_chars: int, overlap: int) -> dict:
    return {
        "chunker": CHUNKER_VERSION,
        "normalizer": NORMALIZER_VERSION,
        "masks": mask_config(),
        "max_chars": max_chars,
        "overlap": overlap,
    }


# ----------------------------------------------------------------------------- disk


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time across processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def publish_store(folder: Path, index_dir: Path, settings=None) -> Path:
    """Make the finished store ``folder`` the live one: rename it to ``store-…``, point CURRENT at it
    atomically, then remove the replaced stores (and their Milvus collections). The folder is sealed
    first: checksums of every file, checked when the store is opened (assistant.integrity)."""
    seal_store(folder)
    fsync_dir(folder)
    name = f"{STORE_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    final = index_dir / name
    os.rename(folder, final)
    pointer = index_dir / f".{CURRENT_FILE}.{uuid.uuid4().hex[:6]}"
    pointer.write_text(name, encoding="utf-8")
    os.replace(pointer, index_dir / CURRENT_FILE)
    fsync_dir(index_dir)
    _remove_old_stores(index_dir, keep=name, settings=settings)
    return final


def _remove_old_stores(index_dir: Path, keep: str, settings=None) -> None:
    config = section(EngineConfig, settings or defaults())
    for p in index_dir.iterdir():
        if not p.is_dir() or p.name == keep:
            continue
        if p.name.startswith(STORE_PREFIX):
            with contextlib.suppress(OSError, ValueError):
                drop_engine(json.loads((p / "manifest.json").read_text(encoding="utf-8")).get("engine", {}), config)
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(".tmp-store-"):  # debris of format 3's builds
            shutil.rmtree(p, ignore_errors=True)


def remove_stale_builds(index_dir: Path, keep: str) -> None:
    """Staging folders of builds of another input: they can never be resumed."""
    index_dir.mkdir(parents=True, exist_ok=True)
    for p in index_dir.iterdir():
        if p.is_dir() and p.name.startswith(".build-") and p.name != keep:
            shutil.rmtree(p, ignore_errors=True)


def current_store_path(index_dir: Path) -> Path | None:
    """The live store folder, when CURRENT names one inside ``index_dir`` (never ``../``)."""
    return valid_store_path(index_dir)


def index_exists(index_dir: Path) -> bool:
    return current_store_path(index_dir) is not None


def load_store(index_dir: Path, config: EngineConfig | None = None) -> IndexStore:
    """Open the live store. ``config``: the engine settings (Milvus URI and token, search breadth);
    by default the built-in ones."""
    path = current_store_path(index_dir)
    if path is None:
        raise pointer_problem(index_dir)  # nothing built yet, or a missing/dangling/foreign CURRENT
    verify_store(path)  # sizes and checksums of every file, as sealed
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != INDEX_FORMAT:
            raise ValueError(f"format {manifest.get('format')}")
        documents = DocumentTable(path)
        chunks = ChunkTable(path, documents)
        bm25 = load_bm25(path)
        dense, sparse = open_engine(path, manifest.get("engine", {}), bm25,
                                    config or section(EngineConfig, defaults()))
        glossary_list = json.loads((path / "glossary.json").read_text(encoding="utf-8"))
        glossary = {t["term"]: Term.from_dict(t) for t in glossary_list}
        doc_freq = DocFreq.open(path, bm25)
    except Exception as exc:  # any damage: say so plainly
        raise IndexDamaged(f"{path.name} 无法读取（{type(exc).__name__}: {str(exc)[:200]}）", path) from exc
    n_vectors = (path / VECTORS_FILE).stat().st_size // (4 * max(1, int(manifest.get("dim") or 1)))
    if dense.ntotal != len(chunks) or manifest.get("n_chunks") != len(chunks) or n_vectors != len(chunks):
        raise IndexDamaged(f"{path.name} 的向量数 {dense.ntotal} 与文本块数 {len(chunks)} 不一致", path)
    if len(chunks) and sparse is None:
        raise IndexDamaged(f"{path.name} 缺少 BM25 部分", path)
    add_terms(glossary)
    return IndexStore(manifest, documents, chunks, dense, sparse, glossary, doc_freq, path)
