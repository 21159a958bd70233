"""The index on disk: atomic writes, incremental work by content hash, damage detected."""

from __future__ import annotations

import dataclasses
import shutil
import threading

import numpy as np
import pytest

from assistant.vector_store import faiss_store
from assistant.chunk_table import ChunkTable
from assistant.embedding import VectorCache
from assistant.index import IndexUnavailable, current_store_path, load_store
from assistant.pipeline import Assistant
from assistant.schema import Document, content_hash

pytestmark = pytest.mark.slow

NEW_TEXT = "青山村推行“两找三帮”工作法，即：找问题、找差距，帮思路、帮资金、帮技术。全村建成蓝莓基地三百亩，带动农户一百二十户增收。"


def _new_doc(text: str = NEW_TEXT) -> Document:
    return Document(content_hash(text), "青山村的做法", "test", text, "2023-05-01")


class RenamedEmbedder:
    """The real model under another id: what the index sees when the model setting changes."""

    def __init__(self, inner, model_id: str) -> None:
        self.inner, self.model_id, self.dim = inner, model_id, inner.dim

    def embed_passages(self, texts, progress=False):
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_build_and_load_round_trip(tmp_settings, embedder):
    a = Assistant.open(tmp_settings, embedder=embedder)
    store = load_store(tmp_settings.index_dir)
    assert len(store.chunks) == store.dense.ntotal == len(a.store.chunks) > 10
    assert store.manifest["model_id"] == embedder.model_id
    assert set(store.manifest["chunking"]) >= {"chunker", "normalizer", "max_chars", "overlap"}
    vectors = store.vectors()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    for c in store.chunks:
        assert store.documents[c.doc_id].text[c.start : c.end] == c.text


def test_adding_a_document_embeds_only_the_new_text(tmp_settings, embedder, tmp_path):
    # a fresh shared cache: the user's may already hold NEW_TEXT from an earlier run
    a = Assistant.open(tmp_settings, embedder=embedder.with_cache(VectorCache(tmp_path / "cache")))
    before = len(a.store.chunks)
    report = a.add_documents([_new_doc()])
    new_chunks = len(a.store.chunks) - before
    assert new_chunks >= 1
    assert report.n_embedded == new_chunks
    hits = a.search("两找三帮工作法是什么")
    assert hits and hits[0].chunk.doc_id == _new_doc().doc_id
    # rebuilding the same corpus again embeds nothing
    again = a.add_documents([])
    assert again.n_embedded == 0


def test_a_failed_build_leaves_the_previous_index_loadable(tmp_settings, embedder, monkeypatch):
    a = Assistant.open(tmp_settings, embedder=embedder)
    path_before = current_store_path(tmp_settings.index_dir)
    n_before = len(load_store(tmp_settings.index_dir).chunks)

    def broken_write_index(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(faiss_store.faiss, "write_index", broken_write_index)
    with pytest.raises(OSError):
        a.add_documents([_new_doc()])
    monkeypatch.undo()
    assert current_store_path(tmp_settings.index_dir) == path_before
    assert len(load_store(tmp_settings.index_dir).chunks) == n_before
    # an upload is not resumable: its staging folder goes too
    assert not [p for p in tmp_settings.index_dir.iterdir() if p.name.startswith((".tmp-", ".build-"))]


def test_a_killed_build_leaves_debris_that_is_ignored(tmp_settings, embedder):
    Assistant.open(tmp_settings, embedder=embedder)
    debris = tmp_settings.index_dir / ".tmp-store-killed"
    debris.mkdir()
    (debris / "dense.faiss").write_bytes(b"half a file")
    store = load_store(tmp_settings.index_dir)
    assert store.dense.ntotal == len(store.chunks)


def test_a_damaged_index_is_reported_and_rebuilt(tmp_settings, embedder):
    Assistant.open(tmp_settings, embedder=embedder)
    path = current_store_path(tmp_settings.index_dir)
    (path / "dense.faiss").write_bytes(b"\x00garbage")
    with pytest.raises(IndexUnavailable, match="索引已损坏"):
        load_store(tmp_settings.index_dir)
    a = Assistant.open(tmp_settings, embedder=embedder)  # opening rebuilds from the corpus
    assert a.search("四拼四争")


def test_missing_index_message_says_what_to_do(tmp_path):
    with pytest.raises(IndexUnavailable, match="python -m assistant build"):
        load_store(tmp_path / "nothing")


def test_a_changed_model_or_chunker_rebuilds(tmp_settings, embedder):
    a = Assistant.open(tmp_settings, embedder=embedder)
    n = len(a.store.chunks)
    other = Assistant.open(tmp_settings, embedder=RenamedEmbedder(embedder, "other-model"))
    assert other.store.model_id == "other-model"
    assert other.store.manifest["n_embedded"] == n  # everything re-embedded

    resized = tmp_settings.replace(chunk_max_chars=300)
    b = Assistant.open(resized, embedder=RenamedEmbedder(embedder, "other-model"))  # detects the new chunking
    assert b.store.manifest["chunking"]["max_chars"] == 300
    assert len(b.store.chunks) < n and all(len(c.text) <= 300 for c in b.store.chunks)
    # only chunks whose text is new are embedded again
    assert 0 < b.store.manifest["n_embedded"] <= len(b.store.chunks)


def test_deleting_a_document_removes_it_from_both_indexes(tmp_settings, embedder):
    a = Assistant.open(tmp_settings, embedder=embedder)
    a.add_documents([_new_doc()])
    assert any(h.chunk.doc_id == _new_doc().doc_id for h in a.search("蓝莓基地"))
    assert a.delete_document(_new_doc().doc_id)
    assert all(h.chunk.doc_id != _new_doc().doc_id for h in a.search("蓝莓基地"))
    store = load_store(tmp_settings.index_dir)
    assert _new_doc().doc_id not in store.documents
    assert store.dense.ntotal == len(store.chunks)
    assert not a.delete_document("no-such-id")


def test_index_copies_keep_working_after_move(tmp_settings, embedder, tmp_path):
    Assistant.open(tmp_settings, embedder=embedder)
    moved = tmp_path / "moved"
    shutil.copytree(tmp_settings.index_dir, moved)
    assert load_store(moved).chunks


def test_loaded_chunks_are_the_built_ones(tmp_settings, embedder):
    a = Assistant.open(tmp_settings, embedder=embedder)
    built = list(a.store.chunks)
    loaded = load_store(tmp_settings.index_dir).chunks
    assert isinstance(loaded, ChunkTable)  # mapped from disk, read on demand
    assert len(loaded) == len(built) and list(loaded) == built
    assert loaded[-1] == built[-1] and loaded[2:5] == built[2:5]
    with pytest.raises(IndexError):
        loaded[len(built)]


def test_a_truncated_chunk_column_is_reported(tmp_settings, embedder):
    Assistant.open(tmp_settings, embedder=embedder)
    path = current_store_path(tmp_settings.index_dir)
    blob = path / "chunk_search_text.bin"
    blob.write_bytes(blob.read_bytes()[:-10])
    with pytest.raises(IndexUnavailable, match="索引已损坏"):
        load_store(tmp_settings.index_dir)


def test_a_kept_id_with_a_new_text_is_chunked_again(tmp_path, embedder):
    """JSON Lines ids are kept, so an id no longer implies its text: a corrected article under the same
    id must not keep the old article's chunks, and its pages and OCR marks are saved with it."""
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = corpus / "news.jsonl"
    settings = Settings.from_env(index_dir=tmp_path / "index", corpus=(corpus,))
    lines.write_text('{"id": "n1", "text": "青山村种了三百亩蓝莓。"}\n', encoding="utf-8")
    a = Assistant(settings, embedder=embedder)
    a.build()
    lines.write_text('{"id": "n1", "text": "青山村种了五百亩茶叶。"}\n', encoding="utf-8")
    a.build()
    [chunk] = load_store(settings.index_dir).chunks
    assert chunk.doc_id == "n1" and chunk.text == "青山村种了五百亩茶叶。"
    paged = dataclasses.replace(_new_doc(), page_starts=(0, 10), ocr_pages=(2,), low_confidence=((12, 15),))
    a.add_documents([paged])
    assert load_store(settings.index_dir).documents[paged.doc_id] == paged


def _join_warm_threads() -> None:
    for t in threading.enumerate():
        if t.name == "warm-tables":
            t.join(timeout=120)


def test_the_app_builds_each_served_index_english_tables_in_the_background(tmp_settings, embedder):
    a = Assistant.open(tmp_settings, embedder=embedder)
    assert "glossed_words" not in vars(a.snapshot.retriever.vocabulary)  # lazy until asked
    a.warm_in_background()
    _join_warm_threads()
    assert {"pinyin_names", "glossed_words"} <= set(vars(a.snapshot.retriever.vocabulary))
    a.add_documents([_new_doc()])  # a new index after an upload is warmed too
    _join_warm_threads()
    assert {"pinyin_names", "glossed_words"} <= set(vars(a.snapshot.retriever.vocabulary))
    assert a.ask("What is the Liangzhao Sanbang method?").text  # answers (or refuses) as before
