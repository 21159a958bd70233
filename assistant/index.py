"""The index: documents, chunks, FAISS (dense) and BM25 (sparse), plus a manifest.

On disk ``index_dir/CURRENT`` names the live store folder. A build writes a new folder beside it
and only then swaps CURRENT with an atomic rename, so a failed or killed build leaves the previous
index loadable. Work is incremental by content hash: a document whose hash, chunker and model are
unchanged keeps its chunks and vectors, and a chunk any index on the machine embedded before takes its
vector from the shared cache (assistant.embedding.cache).

Opening does no work that a build can do: chunks are memory-mapped columns read on demand
(assistant.chunk_table) and the FAISS file is memory-mapped, so the cost of opening barely grows
with the index."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import bm25s
import faiss
import numpy as np

from .chunk_table import ChunkTable, write_chunks
from .chunking import CHUNKER_VERSION, chunk_document
from .integrity import (IndexDamaged, IndexUnavailable, pointer_problem, seal_store,  # noqa: F401 (re-exported)
                        valid_store_path, verify_store)
from .normalize import NORMALIZER_VERSION, mask_config
from .schema import Chunk, Document
from .terms import Term, build_glossary
from .tokens import add_terms, bm25_tokens

# 2: documents carry author, url, pages and OCR marks; JSON Lines ids are kept
# 3: chunks as memory-mapped columns (chunk_table), not chunks.jsonl; the FAISS file memory-mapped
INDEX_FORMAT = 3
EMBED_BATCH = 256  # texts per embedding call and per cache transaction
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"


@dataclass
class IndexStore:
    manifest: dict
    documents: dict[str, Document]
    chunks: Sequence[Chunk]  # a list while building; a ChunkTable (mapped from disk) once loaded
    dense: faiss.Index
    bm25: bm25s.BM25 | None
    glossary: dict[str, Term] = field(default_factory=dict)
    doc_freq: dict[str, int] = field(default_factory=dict)  # BM25 token → number of chunks holding it
    path: Path | None = None

    @property
    def model_id(self) -> str:
        return self.manifest.get("model_id", "")

    def vectors(self) -> np.ndarray:
        n = self.dense.ntotal
        if n == 0:
            return np.zeros((0, self.dense.d), dtype="float32")
        return self.dense.reconstruct_n(0, n)


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


def build_store(
    documents: list[Document],
    embedder: PassageEmbedder,
    max_chars: int,
    overlap: int,
    previous: IndexStore | None = None,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> IndexStore:
    """Chunk, embed (only what is new) and index ``documents``."""
    config = chunker_config(max_chars, overlap)
    unique: dict[str, Document] = {}
    for d in documents:
        unique.setdefault(d.doc_id, d)
    documents = list(unique.values())

    # chunks are reused per document when the chunker is unchanged; vectors are reused per chunk
    # whenever the same model already embedded the same search text (a content-hash cache)
    same_chunker = previous is not None and previous.manifest.get("chunking") == config
    same_model = previous is not None and previous.manifest.get("model_id") == embedder.model_id
    old_chunks: dict[str, list[Chunk]] = {}
    old_vector_rows: dict[str, int] = {}
    old_vectors = np.zeros((0, embedder.dim), dtype="float32")
    if previous is not None:
        for i, c in enumerate(previous.chunks):
            old_chunks.setdefault(c.doc_id, []).append(c)
            old_vector_rows.setdefault(c.search_text, i)
        if same_model:
            old_vectors = previous.vectors()

    chunks: list[Chunk] = []
    vectors: list[np.ndarray | None] = []
    to_embed: list[int] = []
    for doc in documents:
        old_doc = previous.documents.get(doc.doc_id) if previous is not None else None
        # a JSON Lines id may now hold another text: reuse chunks only for the very same text
        if same_chunker and doc.doc_id in old_chunks and old_doc is not None and old_doc.text == doc.text:
            # metadata (title/date) may change without the text changing
            doc_chunks = [dataclasses.replace(c, title=doc.title, date=doc.date) for c in old_chunks[doc.doc_id]]
        else:
            doc_chunks = chunk_document(doc, max_chars=max_chars, overlap=overlap)
        for c in doc_chunks:
            row = old_vector_rows.get(c.search_text) if same_model else None
            if row is None:
                to_embed.append(len(chunks))
            vectors.append(None if row is None else old_vectors[row])
            chunks.append(c)

    n_embedded = 0
    if to_embed:
        new_vectors, n_embedded = _embed_new(embedder, [chunks[i].search_text for i in to_embed], progress,
                                             on_progress)
        for row, vec in zip(to_embed, new_vectors):
            vectors[row] = vec
    matrix = (
        np.vstack([v for v in vectors]).astype("float32")
        if vectors
        else np.zeros((0, embedder.dim), dtype="float32")
    )
    dense = faiss.IndexFlatIP(embedder.dim)
    if len(matrix):
        dense.add(matrix)

    glossary = build_glossary(documents)
    add_terms(glossary)
    corpus_tokens = [bm25_tokens(c.search_text) for c in chunks]
    bm25 = _build_bm25(corpus_tokens)
    doc_freq = dict(Counter(t for tokens in corpus_tokens for t in set(tokens)))
    manifest = {
        "format": INDEX_FORMAT,
        "model_id": embedder.model_id,
        "dim": embedder.dim,
        "chunking": config,
        "documents": {d.doc_id: {"title": d.title, "source": d.source, "date": d.date} for d in documents},
        "n_chunks": len(chunks),
        "n_embedded": n_embedded,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    return IndexStore(manifest, {d.doc_id: d for d in documents}, chunks, dense, bm25, glossary, doc_freq)


def _embed_new(
    embedder: PassageEmbedder, texts: list[str], progress: bool, on_progress: Callable[[int, int], None] | None
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` and how many were newly embedded. Texts the shared cache already holds
    for this model are taken from it; the rest are embedded once each, shortest first (padding is
    what costs on a CPU), and every batch is stored in the cache as soon as it is done, so a killed
    build loses at most one batch of work."""
    from tqdm import tqdm

    cache = getattr(embedder, "cache", None)
    space = getattr(embedder, "passage_space", embedder.model_id)
    unique = list(dict.fromkeys(texts))
    found = cache.get(space, unique) if cache is not None else {}
    vectors = {unique[i]: v for i, v in found.items()}
    missing = sorted((t for t in unique if t not in vectors), key=len)
    bar = tqdm(total=len(missing), desc="向量化 / embedding", unit="块", disable=not progress or not missing)
    for start in range(0, len(missing), EMBED_BATCH):
        batch = missing[start : start + EMBED_BATCH]
        batch_vectors = embedder.embed_passages(batch)
        if cache is not None:
            cache.put(space, batch, batch_vectors)
        vectors.update(zip(batch, batch_vectors))
        bar.update(len(batch))
        if on_progress:
            on_progress(start + len(batch), len(missing))
    bar.close()
    matrix = np.vstack([vectors[t] for t in texts]) if texts else np.zeros((0, embedder.dim))
    return matrix.astype("float32"), len(missing)


def _build_bm25(corpus_tokens: list[list[str]]) -> bm25s.BM25 | None:
    if not corpus_tokens:
        return None
    retriever = bm25s.BM25()
    retriever.index([t or [""] for t in corpus_tokens], show_progress=False)
    return retriever


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


def save_store(store: IndexStore, index_dir: Path) -> Path:
    """Write ``store`` into a new folder, then point CURRENT at it atomically."""
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"store-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        with open(tmp / "documents.jsonl", "w", encoding="utf-8") as fh:
            for d in store.documents.values():
                fh.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
        write_chunks(tmp, store.chunks)
        faiss.write_index(store.dense, str(tmp / "dense.faiss"))
        if store.bm25 is not None:
            store.bm25.save(str(tmp / "bm25"))
        with open(tmp / "glossary.json", "w", encoding="utf-8") as fh:
            json.dump([t.to_dict() for t in store.glossary.values()], fh, ensure_ascii=False)
        with open(tmp / "doc_freq.json", "w", encoding="utf-8") as fh:
            json.dump(store.doc_freq, fh, ensure_ascii=False)
        manifest = dict(store.manifest, files=sorted(p.name for p in tmp.iterdir()), sealed=True)
        with open(tmp / "manifest.json", "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1)
        seal_store(tmp)  # checksums of every file, checked when the store is opened (assistant.integrity)
        _fsync_dir(tmp)
        final = index_dir / name
        os.rename(tmp, final)
        pointer = index_dir / f".{CURRENT_FILE}.{uuid.uuid4().hex[:6]}"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, index_dir / CURRENT_FILE)
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    store.path = final
    store.manifest = manifest
    _remove_old_stores(index_dir, keep=name)
    return final


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_old_stores(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.is_dir() and p.name != keep and (p.name.startswith("store-") or p.name.startswith(".tmp-store-")):
            shutil.rmtree(p, ignore_errors=True)


def current_store_path(index_dir: Path) -> Path | None:
    """The live store folder, when CURRENT names one inside ``index_dir`` (never ``../``)."""
    return valid_store_path(index_dir)


def index_exists(index_dir: Path) -> bool:
    return current_store_path(index_dir) is not None


def load_store(index_dir: Path) -> IndexStore:
    path = current_store_path(index_dir)
    if path is None:
        raise pointer_problem(index_dir)  # nothing built yet, or a missing/dangling/foreign CURRENT
    verify_store(path)  # sizes and checksums of every file, as sealed
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != INDEX_FORMAT:
            raise ValueError(f"format {manifest.get('format')}")
        documents = {}
        with open(path / "documents.jsonl", encoding="utf-8") as fh:
            for line in fh:
                d = Document(**json.loads(line))
                documents[d.doc_id] = d
        chunks = ChunkTable(path, documents)
        dense = faiss.read_index(str(path / "dense.faiss"), faiss.IO_FLAG_MMAP)
        bm25 = bm25s.BM25.load(str(path / "bm25")) if (path / "bm25").exists() else None
        glossary_list = json.loads((path / "glossary.json").read_text(encoding="utf-8"))
        glossary = {t["term"]: Term.from_dict(t) for t in glossary_list}
        doc_freq = json.loads((path / "doc_freq.json").read_text(encoding="utf-8"))
    except Exception as exc:  # any damage: say so plainly
        raise IndexDamaged(f"{path.name} 无法读取（{type(exc).__name__}: {str(exc)[:200]}）", path) from exc
    if dense.ntotal != len(chunks) or manifest.get("n_chunks") != len(chunks):
        raise IndexDamaged(f"{path.name} 的向量数 {dense.ntotal} 与文本块数 {len(chunks)} 不一致", path)
    if chunks and bm25 is None:
        raise IndexDamaged(f"{path.name} 缺少 BM25 部分", path)
    add_terms(glossary)
    return IndexStore(manifest, documents, chunks, dense, bm25, glossary, doc_freq, path)
