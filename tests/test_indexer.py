"""The streamed index build: resumable after a kill (nothing lost or doubled), BM25 equal to
bm25s's own, the automatic choice of the dense index, .jsonl.gz read as a stream, documents read
lazily (assistant.indexer, staging, doc_table, bm25_index, vector_store)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap

import bm25s
import numpy as np
import pytest

from assistant.bm25_index import LocalBm25
from assistant.doc_table import DocumentTable
from assistant.index import current_store_path, load_store
from assistant.indexer import build_index, input_from_documents, input_from_paths
from assistant.loaders import load_paths
from assistant.settings import PROJECT_ROOT, defaults
from assistant.tokens import bm25_tokens

from .fakes import FakeEmbedder

TOWNS = ["江口", "铜仁", "凯德", "坝梅", "云舍", "太平", "德旺", "官和"]
CROPS = ["茶叶", "蓝莓", "冷水鱼", "猕猴桃", "食用菌", "中药材"]


def _article(i: int) -> dict:
    town, crop = TOWNS[i % len(TOWNS)], CROPS[i % len(CROPS)]
    text = "".join(f"{town}第{i}号村发展{crop}产业，第{j}年带动{10 + i + j}户农户增收。" for j in range(12))
    return {"id": f"n{i:03d}", "text": text, "date": "2023-05-01"}


def _corpus(path, n: int = 24, gz: bool = False):
    lines = "".join(json.dumps(_article(i), ensure_ascii=False) + "\n" for i in range(n))
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(lines)
    else:
        path.write_text(lines, encoding="utf-8")
    return path


def _settings(tmp_path, **changes):
    return defaults().replace(**{"index_dir": tmp_path / "index", "build_checkpoint_chunks": 8, **changes})


def _rows(store) -> list[tuple[str, str]]:
    return [(store.chunks[i].chunk_id, store.chunks[i].text) for i in range(len(store.chunks))]


class CountingEmbedder(FakeEmbedder):
    """Counts the texts it embeds; raises KeyboardInterrupt (a kill) after ``fail_after`` calls."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls, self.texts, self.fail_after = 0, 0, fail_after

    def embed_passages(self, texts, progress: bool = False):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("killed (simulated)")
        self.calls += 1
        self.texts += len(texts)
        return super().embed_passages(texts)


def test_a_killed_build_resumes_where_it_stopped_without_losing_or_doubling_a_chunk(tmp_path):
    corpus = _corpus(tmp_path / "news.jsonl")
    reference_settings = _settings(tmp_path / "ref")
    build_index(input_from_paths([corpus]), reference_settings.index_dir, FakeEmbedder(), reference_settings)
    reference = load_store(reference_settings.index_dir)

    settings = _settings(tmp_path)
    killed = CountingEmbedder(fail_after=3)
    with pytest.raises(KeyboardInterrupt):
        build_index(input_from_paths([corpus]), settings.index_dir, killed, settings)
    assert current_store_path(settings.index_dir) is None  # nothing published
    [staging] = [p for p in settings.index_dir.iterdir() if p.name.startswith(".build-")]
    checkpoint = json.loads((staging / "checkpoint.json").read_text())
    assert 0 < checkpoint["items"] < 24
    # bytes a killed process appended after its last checkpoint are cut off on resume
    with open(staging / "chunk_text.bin", "ab") as fh:
        fh.write("半个文本块".encode())

    again = CountingEmbedder()
    result = build_index(input_from_paths([corpus]), settings.index_dir, again, settings)
    assert result.resumed_at == checkpoint["items"]
    store = load_store(settings.index_dir)
    assert _rows(store) == _rows(reference)
    assert len({cid for cid, _ in _rows(store)}) == len(store.chunks)
    np.testing.assert_array_equal(store.vectors(), reference.vectors())
    assert again.texts == len(store.chunks) - checkpoint["n_chunks"]  # only what was left (no cache here)
    assert result.n_embedded == len(store.chunks)
    assert not [p for p in settings.index_dir.iterdir() if p.name.startswith(".build-")]


def test_a_build_killed_by_sigkill_resumes(tmp_path):
    """A real abrupt death (os._exit inside embedding: no cleanup runs), then a normal build."""
    corpus = _corpus(tmp_path / "news.jsonl")
    index = tmp_path / "index"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path[:0] = [{str(PROJECT_ROOT)!r}, {str(PROJECT_ROOT / 'tests')!r}]
        from fakes import FakeEmbedder
        from assistant.indexer import build_index, input_from_paths
        from assistant.settings import defaults
        class Dying(FakeEmbedder):
            calls = 0
            def embed_passages(self, texts, progress=False):
                Dying.calls += 1
                if Dying.calls > 2:
                    os._exit(9)
                return super().embed_passages(texts)
        s = defaults().replace(index_dir={str(index)!r}, build_checkpoint_chunks=8)
        build_index(input_from_paths([{str(corpus)!r}]), s.index_dir, Dying(), s)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 9, proc.stderr
    settings = _settings(tmp_path)
    result = build_index(input_from_paths([corpus]), settings.index_dir, FakeEmbedder(), settings)
    assert result.resumed_at > 0
    store = load_store(settings.index_dir)
    docs, _ = load_paths([corpus])
    assert list(store.documents) == [d.doc_id for d in docs]
    assert len({c.chunk_id for c in store.chunks}) == len(store.chunks)


class Stop(Exception):
    pass


def test_on_embedded_hears_after_every_embedding_call_so_a_cancel_waits_for_one_call(tmp_path):
    """An upload's cancel raises from ``on_embedded``: it must come after each call of
    ``embed_batch_size`` texts, not after a whole cache batch of 256 (tens of seconds on a CPU)."""
    corpus = _corpus(tmp_path / "news.jsonl", n=150)
    settings = _settings(tmp_path, build_checkpoint_chunks=10_000, embed_batch_size=16)
    embedder, heard = CountingEmbedder(), []

    def cancel_after_two(n: int) -> None:
        heard.append(n)
        if len(heard) == 2:
            raise Stop

    with pytest.raises(Stop):
        build_index(input_from_paths([corpus]), settings.index_dir, embedder, settings, on_embedded=cancel_after_two)
    assert heard == [16, 16] and embedder.texts == 32
    assert current_store_path(settings.index_dir) is None  # nothing published

    heard.clear()
    result = build_index(input_from_paths([corpus]), settings.index_dir, CountingEmbedder(), settings,
                         on_embedded=heard.append)
    assert sum(heard) == result.n_embedded > 256 and max(heard) == 16


def test_another_input_starts_afresh(tmp_path):
    settings = _settings(tmp_path)
    a = _corpus(tmp_path / "a.jsonl", n=10)
    with pytest.raises(KeyboardInterrupt):
        build_index(input_from_paths([a]), settings.index_dir, CountingEmbedder(fail_after=1), settings)
    b = _corpus(tmp_path / "b.jsonl", n=6)
    result = build_index(input_from_paths([b]), settings.index_dir, FakeEmbedder(), settings)
    assert result.resumed_at == 0 and result.n_documents == 6


def test_bm25_equals_bm25s_own_index(tmp_path):
    corpus = _corpus(tmp_path / "news.jsonl", n=30)
    settings = _settings(tmp_path)
    build_index(input_from_paths([corpus]), settings.index_dir, FakeEmbedder(), settings)
    store = load_store(settings.index_dir)
    tokens = [bm25_tokens(c.search_text) for c in store.chunks]
    reference = bm25s.BM25()
    reference.index(tokens, show_progress=False)
    for query in (["江口", "茶叶"], ["蓝莓", "农户", "增收"], ["第7号村"], ["没有的词"]):
        rows, scores = store.bm25.search(query, 10)
        ref_rows, ref_scores = LocalBm25(reference).search(query, 10)
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-5)
        assert set(rows) == set(ref_rows) or scores[-1] == pytest.approx(scores[-2])  # ties may swap
    for word in ("江口", "茶叶", "农户"):
        assert store.doc_freq[word] == sum(word in t for t in tokens)
    assert "没有的词" not in store.doc_freq


@pytest.mark.parametrize("flat_max, kind", [(10_000, "flat"), (10, "hnsw")])
def test_the_dense_index_is_chosen_by_size(tmp_path, flat_max, kind):
    corpus = _corpus(tmp_path / "news.jsonl")
    settings = _settings(tmp_path, vector_index_flat_max=flat_max)
    build_index(input_from_paths([corpus]), settings.index_dir, FakeEmbedder(), settings)
    store = load_store(settings.index_dir)
    assert store.engine["kind"] == kind
    vectors = np.asarray(store.vectors())
    _, rows = store.dense.search(vectors[:5], 3)
    assert list(rows[:, 0]) == [0, 1, 2, 3, 4]  # each vector finds itself


def test_ivf_can_be_forced(tmp_path):
    corpus = _corpus(tmp_path / "news.jsonl", n=40)
    settings = _settings(tmp_path, vector_index="ivf", ivf_nprobe=64)
    build_index(input_from_paths([corpus]), settings.index_dir, FakeEmbedder(), settings)
    store = load_store(settings.index_dir, None)
    assert store.engine["factory"].startswith("IVF")


def test_a_jsonl_gz_is_read_like_its_jsonl(tmp_path):
    plain = load_paths([_corpus(tmp_path / "news.jsonl")])
    packed = load_paths([_corpus(tmp_path / "news.jsonl.gz", gz=True)])
    assert [(d.doc_id, d.text, d.title) for d in plain[0]] == [(d.doc_id, d.text, d.title) for d in packed[0]]
    assert not plain[1] and not packed[1]
    folder = tmp_path / "dir"
    folder.mkdir()
    _corpus(folder / "x.jsonl.gz", n=3, gz=True)
    assert len(load_paths([folder])[0]) == 3  # found in a folder too


def test_documents_are_read_on_demand(tmp_path):
    docs = [d for d, _ in zip(load_paths([_corpus(tmp_path / "news.jsonl", n=5)])[0], range(5))]
    settings = _settings(tmp_path)
    build_index(input_from_documents(lambda: docs), settings.index_dir, FakeEmbedder(), settings)
    store = load_store(settings.index_dir)
    assert isinstance(store.documents, DocumentTable)
    assert list(store.documents) == [d.doc_id for d in docs] and len(store.documents) == 5
    assert store.documents["n003"] == docs[3] and "n009" not in store.documents
    assert [d.doc_id for d in store.documents.values()] == [d.doc_id for d in docs]
    assert store.chunks.chunk_counts() == {d.doc_id: sum(c.doc_id == d.doc_id for c in store.chunks) for d in docs}


def test_an_empty_corpus_builds_an_empty_index(tmp_path):
    settings = _settings(tmp_path)
    build_index(input_from_documents(list), settings.index_dir, FakeEmbedder(), settings)
    store = load_store(settings.index_dir)
    assert len(store.chunks) == 0 and store.bm25 is None and store.dense.ntotal == 0
    assert os.path.exists(store.path / "manifest.json")
