"""Milvus as the scale-out engine: each chunk's dense vector and BM25 postings in one collection.

``ASSISTANT_MILVUS_URI`` picks the deployment and nothing else changes: a file path (``…/assistant.db``)
runs Milvus Lite embedded in the process (pymilvus + milvus-lite from PyPI; one process at a time
per file), ``http://host:19530`` talks to Milvus standalone or a distributed cluster
(``ASSISTANT_MILVUS_TOKEN`` = ``user:password`` or an API key). Empty: ``<index dir>/milvus.db``.

Sparse side — our jieba tokens as sparse vectors, not Milvus's BM25 function: each chunk stores its
row of the BM25 score matrix the build computed anyway (:mod:`assistant.bm25_index`; weight =
idf × saturated tf) and a question sends ``{token id: count}``, so the inner product *is* the
chunk's BM25 score — the very numbers the FAISS side ranks by. Milvus's own BM25 function would
tokenise the raw text with its jieba tokenizer, without our normalisation (``*`` masks restored,
traditional → simplified, the corpus's domain terms kept whole) that questions go through, and the
"chinese" analyzer is not in Milvus Lite 3.2 (it offers the ``jieba`` tokenizer only). Cost: idf is
frozen per build, which is the unit of change here anyway.

Atomic swap: every build writes a new collection (named from the build's key, so a resumed build
upserts into the same one by primary key — no row twice), and only the store folder that names it
becomes CURRENT (:mod:`assistant.index`); the old store's collection is dropped after the swap. A
reader holding the old store keeps searching the old collection until it reloads."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import FLAT, HNSW, IVF, MILVUS, EngineConfig

log = logging.getLogger(__name__)

UPSERT_BATCH = 500  # rows per upsert call (≈ 1 MB of vectors) and per checkpoint
_clients: dict[tuple[str, str], object] = {}
_lock = threading.Lock()


class MilvusUnavailable(RuntimeError):
    """Milvus cannot be reached or lacks the collection. Message: Chinese first, with what to do."""


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://", "unix:"))


def resolve_uri(uri: str, index_dir: Path) -> str:
    """A server URI as given; a Milvus Lite file as an absolute path (default: in the index dir)."""
    if not uri:
        return str((Path(index_dir) / "milvus.db").resolve())
    return uri if is_server_uri(uri) else str(Path(uri).expanduser().resolve())


def client(uri: str, token: str = ""):
    """One MilvusClient per (URI, token) and process (Milvus Lite allows one opener per file)."""
    with _lock:
        found = _clients.get((uri, token))
        if found is None:
            from pymilvus import MilvusClient

            if not is_server_uri(uri):
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                found = MilvusClient(uri, token=token) if token else MilvusClient(uri)
            except Exception as exc:
                raise MilvusUnavailable(
                    f"无法连接 Milvus（{uri}：{type(exc).__name__}: {exc}）。请检查 ASSISTANT_MILVUS_URI / "
                    "ASSISTANT_MILVUS_TOKEN，或服务是否已启动。") from exc
            _clients[(uri, token)] = found
        return found


def _index_params(c, kind: str, n: int, config: EngineConfig):
    params = c.prepare_index_params()
    if kind == HNSW:
        params.add_index("dense", index_type="HNSW", metric_type="IP",
                         params={"M": config.hnsw_m, "efConstruction": config.hnsw_ef_construction})
    elif kind == IVF:
        params.add_index("dense", index_type="IVF_FLAT", metric_type="IP",
                         params={"nlist": max(1, min(4 * int(n ** 0.5), max(1, n // 39)))})
    elif kind == FLAT:
        params.add_index("dense", index_type="FLAT", metric_type="IP")
    else:
        raise ValueError(f"ASSISTANT_VECTOR_INDEX={kind!r} 无法识别：可选 auto / flat / hnsw / ivf。")
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    return params


def write_milvus(folder: Path, vectors: np.ndarray, bm25, kind: str, config: EngineConfig, build_key: str,
                 state: dict, checkpoint: Callable[[dict], None], progress: bool) -> dict:
    from pymilvus import DataType
    from tqdm import tqdm

    from ..bm25_index import bm25_postings

    uri = resolve_uri(config.milvus_uri, folder.parent)
    c = client(uri, config.milvus_token)
    name = f"assistant_{build_key[:24]}"
    n, dim = vectors.shape
    done = int(state.get("milvus_rows", 0))
    if done == 0 and c.has_collection(name):
        c.drop_collection(name)  # a build that never checkpointed a row: start clean
    if not c.has_collection(name):
        schema = c.create_schema(auto_id=False, description="案例知识助手 chunks")
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        c.create_collection(name, schema=schema, index_params=_index_params(c, kind, n, config))
    postings = bm25_postings(bm25) if bm25 is not None else iter(())
    bar = tqdm(total=n, initial=done, desc="写入 Milvus / upserting", unit="块", disable=not progress)
    batch: list[dict] = []
    for row, weights in postings:
        if row < done:
            continue
        batch.append({"row": row, "dense": vectors[row].tolist(), "sparse": weights})
        if len(batch) >= UPSERT_BATCH or row == n - 1:
            c.upsert(name, batch)
            done = row + 1
            bar.update(len(batch))
            batch = []
            checkpoint({"milvus_rows": done})
    bar.close()
    c.flush(name)
    c.load_collection(name)
    return {"store": MILVUS, "kind": kind, "collection": name, "uri": uri, "rows": n, "dim": dim}


class MilvusDense:
    """Dense search in the store's collection (the DenseSearch interface)."""

    def __init__(self, c, name: str, ntotal: int, dim: int, kind: str, config: EngineConfig) -> None:
        self._c, self._name, self.ntotal, self.d = c, name, ntotal, dim
        self._params: dict = {"metric_type": "IP"}
        if kind == HNSW:
            self._params["params"] = {"ef": config.hnsw_ef_search}
        elif kind == IVF:
            self._params["params"] = {"nprobe": config.ivf_nprobe}

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        params = dict(self._params)
        if "ef" in params.get("params", {}):
            params["params"] = {"ef": max(k, params["params"]["ef"])}
        found = self._c.search(self._name, data=[q.tolist() for q in np.asarray(queries, dtype="float32")],
                               anns_field="dense", limit=k, search_params=params, output_fields=["row"])
        sims = np.full((len(found), k), -np.inf, dtype="float32")
        rows = np.full((len(found), k), -1, dtype="int64")
        for q, hits in enumerate(found):
            for j, hit in enumerate(hits[:k]):
                rows[q, j], sims[q, j] = int(hit.get("row", hit.get("id"))), float(hit["distance"])
        return sims, rows


class MilvusSparse:
    """BM25 in the store's collection: the question's tokens as a sparse vector (SparseSearch)."""

    def __init__(self, c, name: str, vocab: dict[str, int]) -> None:
        self._c, self._name, self._vocab = c, name, vocab

    def search(self, words: Sequence[str], k: int) -> tuple[list[int], list[float]]:
        query = Counter(self._vocab[w] for w in words if w in self._vocab)
        if not query or k <= 0:
            return [], []
        found = self._c.search(self._name, data=[{int(t): float(n) for t, n in query.items()}],
                               anns_field="sparse", limit=k,
                               search_params={"metric_type": "IP", "params": {"drop_ratio_search": 0.0}},
                               output_fields=["row"])
        hits = [(int(h.get("row", h.get("id"))), float(h["distance"])) for h in found[0]]
        hits = [(r, s) for r, s in hits if s > 0]
        return [r for r, _ in hits], [s for _, s in hits]


def open_milvus(engine: dict, bm25, config: EngineConfig) -> tuple[MilvusDense, MilvusSparse | None]:
    uri = config.milvus_uri or engine["uri"]
    if config.milvus_uri and not is_server_uri(uri):
        uri = str(Path(uri).expanduser().resolve())
    c = client(uri, config.milvus_token)
    name = engine["collection"]
    if not c.has_collection(name):
        raise MilvusUnavailable(f"Milvus（{uri}）中没有本索引的集合 {name}。请运行 `python -m assistant build` 重建索引。")
    c.load_collection(name)
    dim = int(engine["dim"])
    dense = MilvusDense(c, name, int(engine["rows"]), dim, engine.get("kind", FLAT), config)
    sparse = MilvusSparse(c, name, bm25.vocab_dict) if bm25 is not None else None
    return dense, sparse


def drop_collection(engine: dict, config: EngineConfig) -> None:
    try:
        uri = config.milvus_uri or engine["uri"]
        if config.milvus_uri and not is_server_uri(uri):
            uri = str(Path(uri).expanduser().resolve())
        c = client(uri, config.milvus_token)
        if c.has_collection(engine["collection"]):
            c.drop_collection(engine["collection"])
    except Exception as exc:  # noqa: BLE001 - a leftover collection is worth a warning, not a failed build
        log.warning("未能删除旧的 Milvus 集合 %s：%s", engine.get("collection"), exc)
