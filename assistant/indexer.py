"""The index build: streamed, batched, checkpointed, resumable, in bounded memory.

Documents arrive one at a time (:func:`assistant.loaders.iter_documents`; a 55k-article
``.jsonl.gz`` is never held whole) and go, a batch of ``build_checkpoint_chunks`` chunks at a time,
into append-only files of a staging folder ``<index>/.build-<key>`` (:mod:`assistant.staging`):
documents, chunk columns, vectors. Vectors come from the previous store (same model, same text),
else the shared cache, else the model — shortest first, each embedding batch stored in the cache as
soon as it is done. After each batch the files are fsynced and a checkpoint records how far the
input was read. Then, from the files alone: the glossary (terms defined anywhere in the corpus teach
the tokenizer), BM25 postings chunk by chunk (also checkpointed), bm25s's score matrix, and the
vector engine (FAISS flat/HNSW/IVF or Milvus; :mod:`assistant.vector_store`).

Killed at any point and started again on the same input (the key: the input files' paths, sizes
and times, the chunker, the model and the engine settings), the build cuts the files back to the
last checkpoint, skips the input it had read, and goes on: no chunk is lost or written twice. A
different input starts a new staging folder and removes the stale one. The finished folder is
published by :func:`assistant.index.publish_store` (rename, then an atomic swap of CURRENT).

Peak memory is the model, jieba, the BM25 vocabulary and one batch — not the corpus: at the news
corpus's 300k chunks the build stays well under 4 GB (figures in docs/scale.md)."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bm25_index import Bm25Writer, drop_staged_postings, finish_bm25, load_bm25, staged_postings_ok
from .chunk_table import ChunkTable, ChunkWriter
from .chunking import chunk_document
from .doc_table import DocumentTable, DocumentWriter, map_array
from .embedding.cache import text_key
from .index import (
    INDEX_FORMAT,
    VECTORS_FILE,
    IndexStore,
    PassageEmbedder,
    chunker_config,
    publish_store,
    remove_stale_builds,
)
from .integrity import SEALED_KEY
from .limits import too_many_chunks
from .loaders import LoaderError, iter_documents, iter_supported_files
from .schema import Chunk, Document
from .settings import Settings, section
from .staging import Staging
from .terms import build_glossary
from .tokens import add_terms, bm25_tokens
from .vector_store import EngineConfig, write_engine

EMBED_BATCH = 256  # texts per embedding call and per cache transaction
BUILD_PREFIX = ".build-"


@dataclass(frozen=True)
class BuildInput:
    """What to index: ``items()`` gives a fresh iterator over the same sequence of documents and
    errors each time; ``key`` names the input (None: not resumable); ``total`` is for the progress bar."""

    items: Callable[[], Iterator[Document | LoaderError]]
    key: str | None
    total: int | None


@dataclass(frozen=True)
class BuildResult:
    path: Path
    n_documents: int
    n_chunks: int
    n_embedded: int
    errors: tuple[str, ...]
    resumed_at: int  # input items skipped because a killed build had done them (0: a fresh build)


def _files_of(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            with contextlib.suppress(OSError):
                files.extend(iter_supported_files(p))
        elif p.exists():
            files.append(p)
    return files


def _count_items(path: Path) -> int:
    """Documents a file will give: its non-blank lines for JSON Lines (streamed), else one."""
    name = path.name.lower()
    if not name.endswith((".jsonl", ".jsonl.gz")):
        return 1
    opener = gzip.open if name.endswith(".gz") else open
    with contextlib.suppress(OSError, EOFError), opener(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())
    return 1


def input_from_paths(paths: Iterable[Path], settings: Settings | None = None) -> BuildInput:
    paths = [Path(p) for p in paths]
    files = _files_of(paths)
    described = []
    for f in files:
        with contextlib.suppress(OSError):
            st = f.stat()
            described.append([str(f.resolve()), st.st_size, st.st_mtime_ns])
    key = hashlib.sha256(json.dumps([[str(p) for p in paths], described]).encode()).hexdigest()
    return BuildInput(lambda: iter_documents(paths, settings), key, sum(_count_items(f) for f in files))


def input_from_documents(documents: Callable[[], Iterable[Document]], total: int | None = None) -> BuildInput:
    """Documents already in memory or in a store (uploads, deletions): not resumable."""
    return BuildInput(lambda: iter(documents()), None, total)


class _Vectors:
    """Vectors for chunk texts: the previous store's, the shared cache's, or newly embedded."""

    def __init__(self, embedder: PassageEmbedder, previous: IndexStore | None, call_size: int,
                 on_embedded: Callable[[int], None] | None = None) -> None:
        self.embedder = embedder
        self.call_size = max(1, call_size)  # texts per embedding call: how often on_embedded hears
        self.on_embedded = on_embedded  # told after each embedding call (the progress bar, a cancel)
        self.cache = getattr(embedder, "cache", None)
        self.space = getattr(embedder, "passage_space", embedder.model_id)
        self.rows: dict[bytes, int] = {}
        self.old = None
        if previous is not None and previous.model_id == embedder.model_id and len(previous.chunks):
            chunks = previous.chunks
            string = getattr(chunks, "string", None)
            for i in range(len(chunks)):
                text = string("search_text", i) if string else chunks[i].search_text
                self.rows.setdefault(text_key(text), i)
            self.old = previous.vectors()

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, int]:
        out = np.zeros((len(texts), self.embedder.dim), dtype="float32")
        need: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            row = self.rows.get(text_key(t)) if self.old is not None else None
            if row is not None:
                out[i] = self.old[row]
            else:
                need.setdefault(t, []).append(i)
        unique = list(need)
        found = self.cache.get(self.space, unique) if self.cache is not None and unique else {}
        for j, vec in found.items():
            out[need[unique[j]]] = vec
        missing = sorted((t for j, t in enumerate(unique) if j not in found), key=len)
        for start in range(0, len(missing), EMBED_BATCH):
            batch = missing[start : start + EMBED_BATCH]
            vectors = np.zeros((len(batch), self.embedder.dim), dtype="float32")
            for at in range(0, len(batch), self.call_size):
                part = batch[at : at + self.call_size]
                vectors[at : at + len(part)] = self.embedder.embed_passages(part)
                if self.on_embedded:
                    self.on_embedded(len(part))
            if self.cache is not None:
                self.cache.put(self.space, batch, vectors)
            for t, v in zip(batch, vectors):
                out[need[t]] = v
        return out, len(missing)


def build_key(source: BuildInput, settings: Settings, model_id: str) -> str:
    if source.key is None:
        return "once-" + uuid.uuid4().hex
    engine = dataclasses.asdict(section(EngineConfig, settings))
    engine.pop("milvus_token")
    config = [source.key, chunker_config(settings.chunk_max_chars, settings.chunk_overlap_sentences), model_id,
              engine, INDEX_FORMAT]
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def build_index(source: BuildInput, index_dir: Path, embedder: PassageEmbedder, settings: Settings,
                previous: IndexStore | None = None, progress: bool = False,
                on_progress: Callable[[int, int], None] | None = None,
                manifest_extra: dict | None = None,
                on_embedded: Callable[[int], None] | None = None) -> BuildResult:
    """Build the store for ``source`` into ``index_dir`` (resuming a killed build of the same input)
    and publish it; ``manifest_extra`` joins its manifest (e.g. the sources it was built from). An
    input that gives no document at all but errors publishes nothing: the index stays as it was.
    ``on_embedded(n)`` hears after each embedding call (``embed_batch_size`` texts); raising from
    it stops the build as a crash would, so a cancel waits for one call, not a whole batch.
    The caller holds :func:`assistant.index.write_lock`."""
    from tqdm import tqdm

    index_dir = Path(index_dir)
    key = build_key(source, settings, embedder.model_id)
    folder = index_dir / f"{BUILD_PREFIX}{key[:16]}"
    remove_stale_builds(index_dir, keep=folder.name)
    staging = Staging(folder)
    state = staging.state()
    if state is not None and state.get("key") == key:
        try:
            staging.restore(state)
        except (OSError, ValueError):  # the staged files do not match their checkpoint: start afresh
            state = None
    if state is None or state.get("key") != key:
        staging.close()
        shutil.rmtree(folder, ignore_errors=True)
        staging = Staging(folder)
        state = {"key": key, "phase": "docs", "items": 0, "n_chunks": 0, "n_embedded": 0, "bm25": 0}
    resumed_at = int(state["items"])
    try:
        errors = _read_documents(source, staging, state, embedder, previous, settings, progress, on_progress, tqdm,
                                 on_embedded)
        if state["phase"] == "docs":
            state["phase"] = "bm25"
            staging.checkpoint(state)
        documents = DocumentTable(folder)
        if not len(documents) and errors:
            reasons = "；".join(errors[:5]) + (f"……（共 {len(errors)} 个）" if len(errors) > 5 else "")
            raise LoaderError(f"没有读到任何文档，索引保持不变。原因：{reasons}。请检查资料后重试。")
        glossary = build_glossary(documents.values())  # type: ignore[arg-type]  # any iterable of Documents
        add_terms(glossary)
        (folder / "glossary.json").write_text(json.dumps([t.to_dict() for t in glossary.values()],
                                                         ensure_ascii=False), encoding="utf-8")
        if state["phase"] == "bm25":
            _write_bm25(staging, state, ChunkTable(folder, documents), settings, progress, tqdm)
        staging.close()
        vectors = map_array(folder / VECTORS_FILE, "<f4", width=embedder.dim).reshape(-1, embedder.dim)
        engine = write_engine(folder, vectors, load_bm25(folder), section(EngineConfig, settings), key, state,
                              lambda update: staging.checkpoint(state | update), progress)
        del vectors
        manifest = {
            "format": INDEX_FORMAT,
            "model_id": embedder.model_id,
            "dim": embedder.dim,
            "chunking": chunker_config(settings.chunk_max_chars, settings.chunk_overlap_sentences),
            "n_documents": len(documents),
            "n_chunks": int(state["n_chunks"]),
            "n_embedded": int(state["n_embedded"]),
            "engine": engine,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **(manifest_extra or {}),
            SEALED_KEY: True,  # publish_store writes its checksums (assistant.integrity)
        }
        staging.finish()
        manifest["files"] = sorted(p.name for p in folder.iterdir())
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        path = publish_store(folder, index_dir, settings)
    except BaseException:
        staging.close()
        if source.key is None:  # not resumable: leave no debris
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return BuildResult(path, len(documents), int(state["n_chunks"]), int(state["n_embedded"]), tuple(errors),
                       resumed_at)


def _read_documents(source, staging: Staging, state: dict, embedder, previous, settings: Settings, progress: bool,
                    on_progress, tqdm, on_embedded=None) -> list[str]:
    """Phase 1: stream the input into documents, chunk columns and vectors, checkpointing each batch.
    Returns the input's errors (all of them, also on a resumed run: skipped input is still read)."""
    errors: list[str] = []
    done = int(state["items"])
    finished = state["phase"] != "docs"
    docs, chunks = DocumentWriter(staging), ChunkWriter(staging)
    vectors_fh = staging.open(VECTORS_FILE)
    batch: list[tuple[Document, list[Chunk]]] = []
    batch_ids: set[str] = set()
    n_batch = 0
    bar = tqdm(total=source.total, desc="建索引 / indexing", unit="篇", disable=not progress or finished,
               smoothing=0.05, mininterval=1.0)
    embedded = [int(state["n_embedded"])]

    def show(n: int) -> None:  # embedding a batch takes minutes: keep the bar alive meanwhile
        embedded[0] += n
        bar.set_postfix_str(f"{state['n_chunks']} 块, 新向量化 {embedded[0]}")
        if on_embedded:
            on_embedded(n)

    vectors = None if finished else _Vectors(embedder, previous, settings.embed_batch_size, show)

    def flush(items_done: int) -> None:
        nonlocal batch, n_batch
        texts = [c.search_text for _, cs in batch for c in cs]
        matrix, n_new = vectors(texts) if texts else (np.zeros((0, embedder.dim), "float32"), 0)
        for doc, cs in batch:
            row = docs.add(doc)
            for c in cs:
                chunks.add(row, c)
        vectors_fh.write(np.ascontiguousarray(matrix, dtype="<f4").tobytes())
        state.update(items=items_done, n_chunks=state["n_chunks"] + len(texts),
                     n_embedded=state["n_embedded"] + n_new)
        staging.checkpoint(state)
        embedded[0] = int(state["n_embedded"])
        bar.set_postfix_str(f"{state['n_chunks']} 块, 新向量化 {state['n_embedded']}", refresh=False)
        batch, n_batch = [], 0
        batch_ids.clear()
        if on_progress:
            on_progress(items_done, source.total or items_done)

    position = 0
    for position, item in enumerate(source.items(), start=1):
        if isinstance(item, LoaderError):
            errors.append(str(item))
        if position <= done or finished:
            bar.update(1)
            continue
        bar.update(1)
        if isinstance(item, LoaderError) or item.doc_id in docs.row_of or item.doc_id in batch_ids:
            continue
        cs = chunk_document(item, max_chars=settings.chunk_max_chars, overlap=settings.chunk_overlap_sentences)
        if len(cs) > settings.max_document_chunks:  # each chunk is embedded and searched: refuse, go on
            errors.append(str(too_many_chunks(item, len(cs), settings.max_document_chunks)))
            continue
        batch.append((item, cs))
        batch_ids.add(item.doc_id)
        n_batch += len(cs)
        if n_batch >= settings.build_checkpoint_chunks:
            flush(position)
    if not finished and (batch or position > done):
        flush(position)
    bar.close()
    return errors


def _write_bm25(staging: Staging, state: dict, chunks: ChunkTable, settings: Settings, progress: bool, tqdm) -> None:
    """Phase 2: BM25 postings of every chunk's search text, checkpointed; then bm25s's files."""
    n, start = len(chunks), int(state["bm25"])
    if start and not staged_postings_ok(staging.folder, start):
        start = state["bm25"] = 0  # never trust postings that do not add up: tokenise again
    if start == 0:  # postings a killed run appended before this phase's first checkpoint: no
        drop_staged_postings(staging.folder)  # checkpoint lists them, so nothing would cut them back
    writer = Bm25Writer(staging)
    bar = tqdm(total=n, initial=start, desc="BM25 分词 / tokenising", unit="块", disable=not progress or n == start)
    step = max(1, settings.build_checkpoint_chunks) * 4
    for i in range(start, n):
        writer.add(bm25_tokens(chunks.string("search_text", i)))
        if (i + 1) % step == 0 or i + 1 == n:
            state["bm25"] = i + 1
            staging.checkpoint(state)
            bar.update(i + 1 - bar.n)
    bar.close()
    staging.close()
    finish_bm25(staging.folder, writer.vocab)
    state["phase"] = "engine"
    staging.checkpoint(state)
    drop_staged_postings(staging.folder)
