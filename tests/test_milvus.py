"""Milvus Lite as the vector store (pymilvus + milvus-lite, embedded, a file per test): the same
retrieval as FAISS + bm25s, a new collection per build with the old one dropped after the swap, an
interrupted upload resumed without a duplicate row, and the seed questions' figures equal to FAISS's
(assistant.vector_store.milvus_store)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.evaluation import evaluate, load_questions
from assistant.index import load_store
from assistant.indexer import build_index, input_from_paths
from assistant.settings import Settings, defaults, section
from assistant.vector_store import EngineConfig, milvus_store

from .conftest import CORPUS, PUBLIC_QUESTIONS
from .fakes import FakeEmbedder
from .test_indexer import _corpus

pytestmark = pytest.mark.slow  # Milvus Lite starts a server per test: ~10 s in all

pytest.importorskip("milvus_lite")


def _milvus(tmp_path, **changes) -> Settings:
    values = {"milvus_uri": str(tmp_path / "milvus" / "assistant.db"), **changes}
    return defaults().replace(index_dir=tmp_path / "index", vector_store="milvus", build_checkpoint_chunks=8,
                              **values)


def _build(settings, corpus, embedder=None):
    build_index(input_from_paths([corpus]), settings.index_dir, embedder or FakeEmbedder(), settings)
    return load_store(settings.index_dir, section(EngineConfig, settings))


def test_milvus_finds_what_faiss_and_bm25s_find(tmp_path):
    corpus = _corpus(tmp_path / "news.jsonl", n=30)
    faiss_store = _build(defaults().replace(index_dir=tmp_path / "faiss"), corpus)
    store = _build(_milvus(tmp_path), corpus)
    assert store.engine["store"] == "milvus" and store.dense.ntotal == len(store.chunks) == len(faiss_store.chunks)
    queries = np.asarray(faiss_store.vectors()[[0, 7, 33]]) * 0.9 + 0.1 / np.sqrt(64)
    sims, rows = store.dense.search(queries.astype("float32"), 5)
    ref_sims, ref_rows = faiss_store.dense.search(queries.astype("float32"), 5)
    np.testing.assert_array_equal(rows[:, :3], ref_rows[:, :3])
    np.testing.assert_allclose(sims, ref_sims, rtol=1e-4)
    for words in (["江口", "茶叶"], ["蓝莓", "农户", "增收"], ["没有的词"]):
        rows, scores = store.bm25.search(words, 10)
        ref_rows, ref_scores = faiss_store.bm25.search(words, 10)
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-4)  # the same BM25 numbers
        assert rows[:3] == ref_rows[:3] or scores[2] == pytest.approx(scores[3])


def test_each_build_is_a_new_collection_and_the_old_one_is_dropped(tmp_path):
    settings = _milvus(tmp_path)
    first = _build(settings, _corpus(tmp_path / "a.jsonl", n=6))
    second = _build(settings, _corpus(tmp_path / "b.jsonl", n=9))
    c = milvus_store.client(second.engine["uri"])
    assert first.engine["collection"] != second.engine["collection"]
    assert c.has_collection(second.engine["collection"]) and not c.has_collection(first.engine["collection"])
    assert len(second.documents) == 9


def test_an_interrupted_upload_resumes_without_a_duplicate_row(tmp_path, monkeypatch):
    settings = _milvus(tmp_path)
    corpus = _corpus(tmp_path / "news.jsonl", n=30)
    real_upsert_batch = milvus_store.UPSERT_BATCH
    monkeypatch.setattr(milvus_store, "UPSERT_BATCH", 10)
    calls = {"n": 0}
    original = milvus_store.write_milvus

    def dying_checkpoint(folder, vectors, bm25, kind, config, key, state, checkpoint, progress):
        def counting(update):
            calls["n"] += 1
            checkpoint(update)
            if calls["n"] == 2:
                raise KeyboardInterrupt("killed during the upload (simulated)")
        return original(folder, vectors, bm25, kind, config, key, state, counting, progress)

    monkeypatch.setattr(milvus_store, "write_milvus", dying_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        _build(settings, corpus)
    [staging] = [p for p in settings.index_dir.iterdir() if p.name.startswith(".build-")]
    assert json.loads((staging / "checkpoint.json").read_text())["milvus_rows"] == 20
    monkeypatch.setattr(milvus_store, "write_milvus", original)
    store = _build(settings, corpus)
    c = milvus_store.client(store.engine["uri"])
    rows = c.query(store.engine["collection"], filter="row >= 0", output_fields=["row"], limit=16384)
    assert sorted(r["row"] for r in rows) == list(range(len(store.chunks)))
    assert real_upsert_batch >= 100


@pytest.mark.slow
def test_seed_questions_score_the_same_on_milvus_and_faiss(embedder, tmp_path):
    from assistant.batch import answer_record
    from assistant.pipeline import Assistant

    questions = load_questions(PUBLIC_QUESTIONS)
    figures = {}
    for name, settings in {
        "faiss": Settings.from_env(index_dir=tmp_path / "faiss", corpus=(CORPUS,), vector_store="faiss"),
        "milvus": Settings.from_env(index_dir=tmp_path / "milvus", corpus=(CORPUS,), vector_store="milvus",
                                    milvus_uri=str(tmp_path / "m" / "assistant.db")),
    }.items():
        assistant = Assistant.open(settings, embedder=embedder)
        assert assistant.store.engine["store"] == name
        report = evaluate(questions, lambda q, a=assistant: answer_record(a, q), k=3)
        figures[name] = report.figures()
    for figure in ("evidence@k", "mrr"):
        assert abs(figures["milvus"][figure] - figures["faiss"][figure]) <= 0.02, figures
    assert figures["milvus"]["evidence@k"] >= 0.95


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_milvus_server_uri_is_all_that_changes(tmp_path):
    """The same build and searches against a Milvus server over gRPC on the loopback (Milvus Lite
    started as a server: the client path a standalone or cluster deployment uses)."""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    server = shutil.which("milvus-lite") or str(Path(sys.executable).parent / "milvus-lite")
    port = _free_port()
    proc = subprocess.Popen([server, "server", "--data-dir", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail("the Milvus Lite server did not start within 60 s")
        corpus = _corpus(tmp_path / "news.jsonl", n=12)
        local = _build(_milvus(tmp_path / "lite"), corpus)
        remote = _build(_milvus(tmp_path, milvus_uri=f"http://127.0.0.1:{port}"), corpus)
        assert remote.engine["uri"] == f"http://127.0.0.1:{port}"
        vectors = np.asarray(local.vectors()[:4])
        np.testing.assert_array_equal(remote.dense.search(vectors, 3)[1], local.dense.search(vectors, 3)[1])
        assert remote.bm25.search(["江口", "茶叶"], 5) == local.bm25.search(["江口", "茶叶"], 5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
