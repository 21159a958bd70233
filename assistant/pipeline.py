"""The assistant as one object: open (build what is missing), search, ask, and manage documents.

Readers use an immutable snapshot (store, retriever, composer); writers build a new store aside,
save it atomically and then swap the snapshot, so two users at once never see half an index."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .answer import EMPTY_QUESTION, AnswerConfig, Composer
from .conversation import Conversation, Resolution
from .examples import example_questions
from .index import IndexStore, IndexUnavailable, chunker_config, index_exists, load_store, write_lock
from .indexer import BuildInput, build_index, input_from_documents, input_from_paths
from .intents import help_answer
from .loaders import LoaderError, load_paths
from .normalize import configure_masks, normalize
from .question import Query
from .ranker import AnswerModel
from .retrieval import RetrievalConfig, Retriever
from .schema import Answer, Document, Hit
from .settings import Settings, section
from .vector_store import EngineConfig

log = logging.getLogger(__name__)


_SAME = object()  # with_settings: keep the LLM as it is


class QuestionError(ValueError):
    """A question that cannot be asked as given (empty, too long)."""


@dataclass(frozen=True)
class Snapshot:
    """One consistent index for a whole task (an outline, a search page): callers outside the
    assistant read through these methods, never through ``retriever`` itself."""

    store: IndexStore
    retriever: Retriever
    composer: Composer

    def parse(self, text: str) -> Query:
        """What ``text`` asks: its content words (``.words``, e.g. to highlight), terms and kind."""
        return self.retriever.parse(text)

    def search(self, query: Query, k: int, doc_ids: set[str] | None = None) -> list[Hit]:
        """The ``k`` best passages for a parsed query, only from ``doc_ids`` when given."""
        return self.retriever.search_query(query, k=k, doc_ids=doc_ids)

    def coverage(self, query: Query, normalized_text: str) -> float:
        """Weighted share of the query's content words found in ``normalized_text`` (0–1)."""
        return self.retriever.coverage(query, normalized_text)


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    source: str
    date: str
    n_chunks: int
    n_chars: int


@dataclass(frozen=True)
class BuildReport:
    n_documents: int
    n_chunks: int
    n_embedded: int
    errors: tuple[str, ...]
    resumed_at: int = 0  # input documents a killed build of the same input had already done


class Assistant:
    def __init__(self, settings: Settings, embedder=None, load_answer_model: bool = True, llm=None) -> None:
        self.settings = settings
        configure_masks(settings.mask_chars, settings.mask_fills)
        self._embedder = embedder
        self._load_answer_model = load_answer_model
        self._answer_model: AnswerModel | None = None
        self._write_lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self.llm = llm  # the optional LLM answerer (llm.LLMAnswerer), given at construction

    # ------------------------------------------------------------------ lifecycle
    @property
    def embedder(self):
        if self._embedder is None:
            from .embedding import Embedder

            self._embedder = Embedder(self.settings)
        return self._embedder

    @classmethod
    def open(cls, settings: Settings, embedder=None, build_if_missing: bool = True, progress: bool = False,
             load_answer_model: bool = True, llm=None) -> Assistant:
        """Load the index; build it from ``settings.corpus`` when missing, damaged or stale. ``llm``
        is an LLM answerer, or ``"auto"``: the one the settings configure (none when they do not)."""
        if llm == "auto":
            llm = None
            if settings.llm_enabled:
                from .llm import make_llm

                llm = make_llm(settings)
        assistant = cls(settings, embedder, load_answer_model=load_answer_model, llm=llm)
        try:
            store = load_store(settings.index_dir, section(EngineConfig, settings))
            if store.engine.get("store", "faiss") != settings.vector_store:
                log.warning("索引的向量库（%s）与当前设置（%s）不同，重建索引。", store.engine.get("store"),
                            settings.vector_store)
                raise IndexUnavailable("vector store changed")
            if store.model_id != assistant.embedder.model_id:
                log.warning("索引所用模型与当前设置不同，重建索引。")
                raise IndexUnavailable("model changed")
            if store.manifest.get("chunking") != chunker_config(settings.chunk_max_chars,
                                                              settings.chunk_overlap_sentences):
                log.warning("索引的分块设置与当前设置不同，重建索引。")
                raise IndexUnavailable("chunking changed")
            assistant._set_store(store)
        except IndexUnavailable:
            if not build_if_missing:
                raise
            assistant.build(settings.corpus, progress=progress)
        return assistant

    def with_settings(self, answer_model: AnswerModel | None = None, llm=_SAME, **changes) -> Assistant:
        """The same index and embedder answering under other settings, another answer model or
        another LLM (``llm=None``: none) — for comparisons and cross-validated evaluation."""
        other = Assistant(self.settings.replace(**changes), embedder=self.embedder,
                          load_answer_model=self._load_answer_model, llm=self.llm if llm is _SAME else llm)
        other._answer_model = answer_model or self._answer_model
        other._set_store(self.store)
        return other

    def _set_store(self, store: IndexStore) -> None:
        s = self.settings
        retriever = Retriever(store, self.embedder, section(RetrievalConfig, s))
        composer = Composer(store, retriever, section(AnswerConfig, s), self.answer_model)
        self._snapshot = Snapshot(store, retriever, composer)

    @property
    def answer_model(self) -> AnswerModel:
        """The trained answer model (the untrained prior while training one: ``load_answer_model=False``)."""
        if self._answer_model is None:
            self._answer_model = (AnswerModel.load(self.settings.answer_model) if self._load_answer_model
                                  else AnswerModel.prior())
        return self._answer_model

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise IndexUnavailable("索引尚未加载。请先运行 `python -m assistant build`。")
        return self._snapshot

    @property
    def store(self) -> IndexStore:
        return self.snapshot.store

    # ------------------------------------------------------------------ building
    def build(self, paths: Iterable[Path] | None = None, rebuild: bool = False, progress: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Index exactly the documents under ``paths``, streamed (re-embedding only what changed; a
        killed build of the same input resumes where it stopped)."""
        source = input_from_paths(list(paths or self.settings.corpus), self.settings)
        return self._write(source, rebuild=rebuild, progress=progress, on_progress=on_progress)

    def add_documents(self, documents: list[Document], progress: bool = False,
                      on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
        with self._write_lock:
            current = self._snapshot.store.documents if self._snapshot else {}
            source = input_from_documents(lambda: itertools.chain(current.values(), documents),
                                          len(current) + len(documents))
            return self._write(source, progress=progress, on_progress=on_progress)

    def add_files(self, paths: Iterable[Path], **kw) -> BuildReport:
        documents, errors = load_paths(list(paths), self.settings)
        if not documents and errors:
            raise LoaderError("；".join(str(e) for e in errors))
        report = self.add_documents(documents, **kw)
        return BuildReport(report.n_documents, report.n_chunks, report.n_embedded, tuple(str(e) for e in errors))

    def delete_document(self, doc_id: str) -> bool:
        with self._write_lock:
            docs = self.store.documents
            if doc_id not in docs:
                return False
            self._write(input_from_documents(lambda: (d for d in docs.values() if d.doc_id != doc_id), len(docs) - 1))
            return True

    def _write(self, source: BuildInput, rebuild: bool = False, progress: bool = False,
               on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
        with self._write_lock, write_lock(self.settings.index_dir):
            previous = None if rebuild else self._previous_store()
            result = build_index(source, self.settings.index_dir, self.embedder, self.settings, previous=previous,
                                 progress=progress, on_progress=on_progress)
            store = load_store(self.settings.index_dir, section(EngineConfig, self.settings))
            self._set_store(store)
            return BuildReport(result.n_documents, result.n_chunks, result.n_embedded, result.errors,
                               result.resumed_at)

    def _previous_store(self) -> IndexStore | None:
        if self._snapshot is not None:
            return self._snapshot.store
        if index_exists(self.settings.index_dir):
            try:
                return load_store(self.settings.index_dir, section(EngineConfig, self.settings))
            except IndexUnavailable:
                return None
        return None

    # ------------------------------------------------------------------ reading
    def documents(self) -> list[DocumentInfo]:
        store = self.store
        counts = getattr(store.chunks, "chunk_counts", None)
        if counts is not None:
            counts = counts()
        else:
            counts = {}
            for c in store.chunks:
                counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        return [DocumentInfo(d.doc_id, d.title, d.source, d.date, counts.get(d.doc_id, 0), len(d.text))
                for d in store.documents.values()]

    def document(self, doc_id: str) -> Document | None:
        return self.store.documents.get(doc_id)

    def check_question(self, question: str) -> str:
        q = (question or "").strip()
        if not q:
            raise QuestionError(EMPTY_QUESTION)
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(
                f"问题过长（{len(q)} 字）：请缩短到 {self.settings.max_question_chars} 字以内再问。"
            )
        return q

    def search(self, query: str, k: int | None = None, doc_ids: set[str] | None = None) -> list[Hit]:
        q = self.check_question(query)
        return self.snapshot.retriever.search(q, k=k or self.settings.top_k, doc_ids=doc_ids)

    def candidates_for(self, turns: list[str]):
        """The last turn's candidate sentences with their features, earlier turns asked first (for
        training the answer model on conversations exactly as they are answered)."""
        conversation = Conversation()
        for turn in turns[:-1]:
            self.ask(turn, conversation, use_llm=False)
        resolution = conversation.resolution(self.check_question(turns[-1]))
        snap = self.snapshot
        query = snap.retriever.parse(resolution.text)
        if query.kind == "meta":
            return []  # questions about the document itself are answered from its metadata, not by the model
        scoped = self._scoped_hits(query, resolution)
        hits = scoped or snap.retriever.search_query(query, k=self.settings.top_k)
        return snap.composer.candidates(query, hits)

    def _is_non_question(self, question: str) -> bool:
        intent = self.answer_model.intent(getattr(self.embedder, "dim", 0))
        if intent is None:
            return False
        return intent.is_non_question(self.snapshot.retriever.query_vector(normalize(question)))

    def _scoped_hits(self, query: Query, resolution: Resolution) -> list[Hit]:
        """For a follow-up: passages of the documents the previous answer cited."""
        if not (resolution.follow_up and resolution.scope):
            return []
        return self.snapshot.retriever.search_query(query, k=self.settings.top_k, doc_ids=set(resolution.scope))

    def _sentence_scores(self, query: Query, hits: list[Hit]):
        """The answer model's scores of the candidate sentences of ``hits``: an LLM sentence must rest
        on sentences that would join an extractive answer (llm/relevance.py)."""
        from .llm import SentenceScores

        ratio = self.settings.verify_relevance_ratio
        return SentenceScores.of(self.snapshot.composer.candidates(query, hits),
                                 ratio if ratio >= 0 else self.answer_model.extra_ratio)

    def ask(self, question: str, conversation: Conversation | None = None, use_llm: bool = True) -> Answer:
        """Answer ``question`` (resolving follow-ups against ``conversation``, which is updated)."""
        answer = None
        for item in self.ask_stream(question, conversation, use_llm=use_llm):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(self, question: str, conversation: Conversation | None = None,
                   use_llm: bool = True) -> Iterator[str | Answer]:
        """Text deltas from the LLM (when one is configured), then the final, verified Answer."""
        q = self.check_question(question)
        snap = self.snapshot
        if self._is_non_question(q):  # a greeting is not a follow-up: it is kept as said
            answer = help_answer(q, self.settings.domain, example_questions(snap.store, self.settings.example_questions))
            if conversation is not None:
                conversation.add(q, q, answer)
            yield _with_question(answer, q, q)
            return
        resolution = conversation.resolution(q) if conversation else Resolution(q, False)
        resolved = resolution.text
        query = snap.retriever.parse(resolved)
        answer = None
        scoped = self._scoped_hits(query, resolution)
        if scoped:  # a follow-up is first answered where the conversation was
            answer = snap.composer.compose(resolved, scoped, query)
            hits = scoped
        if answer is None or answer.refused:
            hits = snap.retriever.search_query(query, k=self.settings.top_k)
            answer = snap.composer.compose(resolved, hits, query)
        if use_llm and self.llm is not None:
            scores = None if answer.refused else self._sentence_scores(query, hits)
            for item in self.llm.stream(resolved, hits, answer, conversation, scores=scores):
                if isinstance(item, Answer):
                    answer = item
                elif item:
                    yield item
        answer = _with_question(answer, q, resolved).with_pages(snap.store.documents)
        if conversation is not None:
            conversation.add(q, resolved, answer)
        yield answer


def _with_question(answer: Answer, question: str, resolved: str) -> Answer:
    from dataclasses import replace

    return replace(answer, question=question, resolved_question=resolved)
