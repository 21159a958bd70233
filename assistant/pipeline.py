"""The assistant as one object: open (build what is missing), search, ask, and manage documents.

Readers use an immutable snapshot (store, retriever, composer); writers build a new store aside,
save it atomically and then swap the snapshot, so two users at once never see half an index.

One writer across processes: every write holds the index folder's lock and first re-reads the
store on disk, so the app never overwrites what a CLI ``build`` wrote meanwhile; readers notice a
newer store within ``index_follow_s`` seconds. A damaged store is set aside, never deleted, and is
rebuilt from every source it was built from (:mod:`assistant.sources`) or reported with the one
command that does it (``index_auto_repair``).

It is long because the writer's guarantees (one writer, the disk's store adopted first, sources
recorded) and the readers' snapshot share one lock and one swap: split, they could disagree."""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .answer import EMPTY_QUESTION, AnswerConfig, Composer
from .conversation import Conversation, Resolution
from .examples import example_questions
from .index import IndexStore, IndexUnavailable, chunker_config, load_store, write_lock
from .indexer import BuildInput, build_index, input_from_documents, input_from_paths
from .integrity import IndexDamaged
from .intents import NOT_A_QUESTION_NOTE, NOT_ANSWERED_NOTE, IntentModel, help_answer
from .limits import within_limits
from .loaders import LoaderError, load_paths
from .normalize import configure_masks, normalize
from .question import Query, Vocabulary
from .ranker import AnswerModel
from .recovery import disk_store, repair
from .retrieval import RetrievalConfig, Retriever
from .schema import Answer, Document, Hit
from .settings import Settings, section
from .sources import MANIFEST_KEY, default_sources, record, recorded, with_documents
from .text import clean_input
from .vector_store import EngineConfig

log = logging.getLogger(__name__)


_SAME = object()  # with_settings: keep the LLM as it is


def _warm(vocabulary: Vocabulary) -> None:
    threading.Thread(target=vocabulary.warm, name="warm-tables", daemon=True).start()


class QuestionError(ValueError):
    """A question that cannot be asked as given (empty, too long, not text)."""


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
        self._writing = False  # this assistant holds the cross-process index lock
        self._follow_lock = threading.Lock()
        self._followed_at = 0.0
        self._snapshot: Snapshot | None = None
        self.llm = llm  # the optional LLM answerer (llm.LLMAnswerer), given at construction
        self.notices: list[str] = []  # what opening had to do (a damaged index set aside and rebuilt)
        self._warm_tables = False  # build each new index's lazy tables in the background (the app)

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
        except IndexDamaged as exc:  # set aside, then rebuilt from all its sources or reported
            sources, notice = repair(settings, exc, rebuild_allowed=build_if_missing)
            assistant.notices.append(notice)
            assistant.build(sources, progress=progress)
            return assistant
        except IndexUnavailable:  # nothing built here yet
            if not build_if_missing:
                raise
            assistant.build(None, progress=progress)
            return assistant
        stale = assistant._stale(store)
        if stale:
            if not build_if_missing:
                raise IndexUnavailable(f"{stale}：请运行 `python -m assistant build` 重建索引。")
            log.warning("%s，按建索引时的来源重建索引。", stale)
            assistant.build(recorded(settings.index_dir, store.manifest), progress=progress)
        else:
            assistant._set_store(store)
        return assistant

    def _stale(self, store: IndexStore) -> str:
        """Why ``store`` cannot serve these settings (another vector store, model or chunker), or ``""``."""
        if store.engine.get("store", "faiss") != self.settings.vector_store:
            return f"索引的向量库（{store.engine.get('store')}）与当前设置（{self.settings.vector_store}）不同"
        if store.model_id != self.embedder.model_id:
            return "索引所用模型与当前设置不同"
        if store.manifest.get("chunking") != chunker_config(self.settings.chunk_max_chars,
                                                           self.settings.chunk_overlap_sentences):
            return "索引的分块设置与当前设置不同"
        return ""

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
        if self._warm_tables:
            _warm(retriever.vocabulary)

    def warm_in_background(self) -> None:
        """From now on, build the tables an English question needs as soon as an index is served (this
        one and each one after an upload), so no user waits for them."""
        self._warm_tables = True
        snap = self._snapshot
        if snap is not None:
            _warm(snap.retriever.vocabulary)

    @property
    def answer_model(self) -> AnswerModel:
        """The trained answer model (the untrained prior while training one: ``load_answer_model=False``)."""
        if self._answer_model is None:
            self._answer_model = (AnswerModel.load(self.settings.answer_model) if self._load_answer_model
                                  else AnswerModel.prior())
        return self._answer_model

    @property
    def snapshot(self) -> Snapshot:
        self._follow()
        if self._snapshot is None:
            raise IndexUnavailable("索引尚未加载。请先运行 `python -m assistant build`。")
        return self._snapshot

    def _follow(self) -> None:
        """Readers: serve a newer store that another process (a CLI build) published, checking at
        most every ``index_follow_s`` seconds; a store that does not open is not followed."""
        snap = self._snapshot
        now = time.monotonic()
        if snap is None or snap.store.path is None or self._writing or \
                now - self._followed_at < self.settings.index_follow_s:
            return
        self._followed_at = now
        if not self._follow_lock.acquire(blocking=False):
            return  # another request is loading it
        try:
            store = disk_store(self.settings.index_dir, snap.store.path)
            if store is not None and not self._stale(store):
                self._set_store(store)
                log.info("已切换到磁盘上更新的索引 %s。", store.path.name if store.path else "")
        finally:
            self._follow_lock.release()

    @property
    def store(self) -> IndexStore:
        return self.snapshot.store

    # ------------------------------------------------------------------ building
    def build(self, paths: Iterable[Path] | None = None, rebuild: bool = False, progress: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Index exactly the documents under ``paths`` (default: the corpus and the uploads folder),
        streamed, re-embedding only what changed; a killed build of the same input resumes where it
        stopped. When every file fails, the index is left as it was."""
        paths = [Path(p) for p in paths] if paths else default_sources(self.settings)
        source = input_from_paths(paths, self.settings)
        return self._write(source, rebuild=rebuild, progress=progress, on_progress=on_progress,
                           sources=with_documents(paths, ()))

    def add_documents(self, documents: list[Document], progress: bool = False,
                      on_progress: Callable[[int, int], None] | None = None,
                      on_embedded: Callable[[int], None] | None = None) -> BuildReport:
        with self._exclusive():  # the current store is the one on disk now, not the one we opened
            current = self._snapshot.store.documents if self._snapshot else {}
            documents, over = within_limits(documents, current, self.settings)
            if over and not documents:
                raise over[0]
            source = input_from_documents(lambda: itertools.chain(current.values(), documents),
                                          len(current) + len(documents))
            report = self._write(source, progress=progress, on_progress=on_progress, on_embedded=on_embedded,
                                 sources=with_documents(self.sources(), documents))
            return BuildReport(report.n_documents, report.n_chunks, report.n_embedded,
                               (*report.errors, *(str(e) for e in over)), report.resumed_at)

    def add_files(self, paths: Iterable[Path], **kw) -> BuildReport:
        documents, errors = load_paths(list(paths), self.settings)
        if not documents and errors:
            raise LoaderError("；".join(str(e) for e in errors))
        report = self.add_documents(documents, **kw)
        return BuildReport(report.n_documents, report.n_chunks, report.n_embedded,
                           (*report.errors, *(str(e) for e in errors)))

    def delete_document(self, doc_id: str) -> bool:
        with self._exclusive():
            docs = self.store.documents
            if doc_id not in docs:
                return False
            self._write(input_from_documents(lambda: (d for d in docs.values() if d.doc_id != doc_id), len(docs) - 1),
                        sources=self.sources())
            return True

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """The one writer: this thread, this process, and no other process, on the store that is on
        disk now (a store another process published meanwhile becomes ours first)."""
        with self._write_lock:
            if self._writing:  # re-entered (add_documents → _write)
                yield
                return
            with write_lock(self.settings.index_dir):
                self._writing = True
                try:
                    self._adopt_disk_store()
                    yield
                finally:
                    self._writing = False

    def _adopt_disk_store(self) -> None:
        current = self._snapshot.store.path if self._snapshot else None
        store = disk_store(self.settings.index_dir, current, keep_damage=True,
                           config=section(EngineConfig, self.settings))
        if store is not None and not self._stale(store):
            self._set_store(store)

    def sources(self) -> list[str]:
        """What the current index was built from (the default sources when it does not say)."""
        manifest = self._snapshot.store.manifest if self._snapshot else None
        known = recorded(self.settings.index_dir, manifest)
        return [str(p) for p in (known if known is not None else default_sources(self.settings))]

    def _write(self, source: BuildInput, rebuild: bool = False, progress: bool = False,
               on_progress: Callable[[int, int], None] | None = None, sources: list[str] | None = None,
               on_embedded: Callable[[int], None] | None = None) -> BuildReport:
        with self._exclusive():
            previous = None if rebuild or self._snapshot is None else self._snapshot.store  # the disk's, adopted
            sources = list(sources) if sources is not None else self.sources()
            result = build_index(source, self.settings.index_dir, self.embedder, self.settings, previous=previous,
                                 progress=progress, on_progress=on_progress, manifest_extra={MANIFEST_KEY: sources},
                                 on_embedded=on_embedded)
            record(self.settings.index_dir, result.path.name, sources)
            store = load_store(self.settings.index_dir, section(EngineConfig, self.settings))
            self._set_store(store)
            return BuildReport(result.n_documents, result.n_chunks, result.n_embedded, result.errors,
                               result.resumed_at)

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
        """The question as it will be asked (control characters dropped, trimmed), or QuestionError
        with a Chinese message: not text, empty, too long."""
        if question is None:
            question = ""
        if not isinstance(question, str):
            raise QuestionError(f"问题必须是一段文字，收到的是 {type(question).__name__} 类型的值。请输入一句话再问。")
        q = clean_input(question).strip()
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
        query = snap.retriever.parse(resolution.searched)
        if query.kind == "meta":
            return []  # questions about the document itself are answered from its metadata, not by the model
        scoped = self._scoped_hits(query, resolution)
        hits = scoped or snap.retriever.search_query(query, k=self.settings.top_k)
        return snap.composer.candidates(query, hits)

    def _non_question(self, question: str) -> tuple[float, IntentModel | None]:
        """The classifier's probability that ``question`` is no question about the documents, and the classifier."""
        intent = self.answer_model.intent(getattr(self.embedder, "dim", 0))
        if intent is None:
            return 0.0, None
        normalized = normalize(question)
        return intent.probability(self.snapshot.retriever.query_vector(normalized), normalized), intent

    def _help(self, question: str, store: IndexStore, note: str = NOT_A_QUESTION_NOTE) -> Answer:
        """The help message, with example questions from ``store``'s corpus."""
        examples = example_questions(store, self.settings.example_questions)
        return help_answer(question, self.settings.domain, examples, note)

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
        non_question, intent = self._non_question(q)
        if intent is not None and non_question >= intent.threshold:  # a greeting is not a follow-up: kept as said
            answer = self._help(q, snap.store)
            if conversation is not None:
                conversation.add(q, q, answer)
            yield _with_question(answer, q, q)
            return
        resolution = conversation.resolution(q) if conversation else Resolution(q, False)
        resolved = resolution.text
        query = snap.retriever.parse(resolution.searched)
        answer = None
        scoped = self._scoped_hits(query, resolution)
        if scoped:  # a follow-up is first answered where the conversation was
            answer = snap.composer.compose(resolved, scoped, query)
            hits = scoped
        if answer is None or answer.refused:
            hits = snap.retriever.search_query(query, k=self.settings.top_k)
            answer = snap.composer.compose(resolved, hits, query)
        if answer.refused and intent is not None and non_question >= intent.refused_threshold and query.kind != "meta":
            # nothing answers it and it reads like chit-chat: the help message says what can be asked
            answer = self._help(q, snap.store, NOT_ANSWERED_NOTE)
        # a fact about the document, or its opening, is quoted exactly: the LLM would be handed the
        # passages retrieved for the words “这篇文章”, not that document
        if use_llm and self.llm is not None and query.kind != "meta" and answer.mode != "help":
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
