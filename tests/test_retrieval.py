"""Hybrid retrieval over a few made-up documents with a fake embedder: fusion of dense and BM25
ranks, the coverage re-score, document filters, and questions in another language."""

from __future__ import annotations

import pytest

from assistant.index import load_store
from assistant.indexer import build_index, input_from_documents
from assistant.retrieval import RetrievalConfig, Retriever
from assistant.schema import Document
from assistant.settings import defaults, section

from .fakes import FakeEmbedder

DOCS = [
    Document("a", "江口", "t", "江口县县长杨云到省政府常务会上作脱贫经验交流发言。江口县有80个贫困村。"),
    Document("b", "坝梅村", "t", "坝梅村推行“一学二访三会四评”群众工作法，逐组召开群众会。"),
    Document("c", "茶叶", "t", "凯德街道的主导产业是生态茶、冷水鱼和猕猴桃。"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("index")
    build_index(input_from_documents(lambda: DOCS), folder, FakeEmbedder(), defaults())
    return load_store(folder)


def _retriever(store, **changes) -> Retriever:
    return Retriever(store, FakeEmbedder(), section(RetrievalConfig, defaults().replace(**changes)))


def test_the_passage_that_answers_ranks_first_with_both_retrievers(store):
    hits = _retriever(store).search("江口县县长是谁？", k=3)
    assert hits[0].chunk.doc_id == "a"
    assert set(hits[0].ranks) == {"dense", "bm25"} and hits[0].scores["coverage"] > 0.5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_each_retriever_alone_still_finds_it(store):
    assert _retriever(store, dense_weight=0.0).search("主导产业有哪些", k=1)[0].chunk.doc_id == "c"
    assert _retriever(store, bm25_weight=0.0).search("一学二访三会四评群众工作法", k=1)[0].chunk.doc_id == "b"


def test_document_filter(store):
    hits = _retriever(store).search("县长", k=5, doc_ids={"b", "c"})
    assert hits and {h.chunk.doc_id for h in hits} <= {"b", "c"}


def test_a_question_in_another_language_uses_the_dense_ranks_only(store):
    hits = _retriever(store).search("Who is the county head?", k=3)
    assert hits and all("bm25" not in h.ranks for h in hits)


def test_an_empty_question_finds_nothing(store):
    assert _retriever(store).search("   ", k=3) == []


def test_another_language_is_not_rescored_by_its_english_words(store):
    """English words match only English-looking chunks (style sheets, e-mail lines): coverage of
    them would push such junk up, so a question in another language keeps its dense order."""
    hits = _retriever(store).search("Who is the county head of this place?", k=3)
    assert all(h.scores["coverage"] == 0.0 for h in hits)


def test_a_name_spelled_in_pinyin_finds_its_passage_in_the_chinese_text(store):
    hits = _retriever(store).search("Who is the county head of Jiangkou?", k=3)
    assert hits[0].chunk.doc_id == "a" and "bm25" in hits[0].ranks and hits[0].scores["coverage"] > 0
    assert all(h.scores["coverage"] == 0.0 for h in hits[1:])
