"""Answers about a document itself rather than what it reports: its author, reporter, source, date
or title (read by :mod:`docmeta` from its header and footer lines, or registered with the file), what
it is about (its opening sentences: 这篇文章主要讲了什么) and which documents speak of something
(有没有关于易地搬迁的文章). Every answer quotes the document verbatim, like any other answer."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import docmeta
from .candidates import Candidate, SentenceIndex
from .grounding import ungrounded_numbers
from .index import IndexStore
from .question import Query
from .schema import Answer, Document, Hit

if TYPE_CHECKING:
    from .answer import AnswerConfig

_CLAUSE_ENDS = "，,；;。！？!?"
_CJK = re.compile(r"[\u4e00-\u9fff]")


class DocumentAnswers:
    """``render`` and ``refuse`` are the composer's own (citations, notes, refusal text)."""

    def __init__(self, store: IndexStore, sentences: SentenceIndex, config: AnswerConfig, render: Callable[..., Answer],
                 refuse: Callable[..., Answer]) -> None:
        self.store = store
        self.sentences = sentences
        self.config = config
        self.render = render
        self.refuse = refuse

    def answer(self, question: str, query: Query, hits: list[Hit]) -> Answer:
        """Which documents name something; or, of the document asked about, its opening or its
        author, reporter, source, date or title, quoted from its header or footer line (or from the
        metadata it came with)."""
        wanted = docmeta.asked_field(query.normalized) or "author"
        if wanted == "find":
            return self._mentioning(question, query, hits)
        doc = self.store.documents[self._asked_about(query, hits)]
        if wanted == "gist":
            return self._opening(question, doc, hits)
        found = docmeta.find(docmeta.extract(doc.text, doc_metadata(doc)), wanted)
        label = docmeta.LABELS.get(wanted, wanted)
        if found is None:
            return self.refuse(question, hits, f"资料《{doc.title}》没有注明{label}。")
        lead = (f"标题：《{found.value}》。" if found.name == "title"
                else f"《{doc.title}》的{docmeta.LABELS[found.name]}：{found.value}。")
        if found.start < 0:
            return Answer(question=question, text=lead + "（出自文档登记信息）", notes=("出自随文件登记的元数据，不在正文中。",),
                          retrieved=tuple(hits))
        spans, ends = self.sentences.spans(doc)
        i = min(bisect_right(ends, found.start), len(spans) - 1)
        span = spans[i]
        cand = Candidate(doc.doc_id, span.start, span.end, doc.text[span.start : span.end], "", "", 1, hits[0], i)
        return self.render(question, [cand], hits, [], lead=lead)

    def _opening(self, question: str, doc: Document, hits: list[Hit]) -> Answer:
        """What a document is about, in its own words: its opening sentences (a news report's lead
        states who, what, when and where) as many as fit one answer, from where its source, dateline
        and byline end (:func:`docmeta.header_end`). Said to be the opening, never called a summary:
        every word is quoted. Only a title registered with the file is named: one read from the
        text (原标题：…) may run on into the report."""
        spans, _ = self.sentences.spans(doc)
        report = docmeta.header_end(doc.text)
        opening = [Candidate(doc.doc_id, start, span.end, doc.text[start : span.end], "", "", 1, hits[0], i)
                   for i, span in enumerate(spans) if (start := max(span.start, report)) < span.end]
        opening = opening[: self.config.max_answer_sentences]
        if not opening:
            return self.refuse(question, hits, f"资料《{doc.title}》没有可引用的正文。")
        registered = not doc.text.startswith(doc.title)
        # a lead may bring no number of its own, and a title's are not quoted
        named = registered and not ungrounded_numbers(doc.title, [c.text for c in opening])
        lead = f"《{doc.title}》开头写道：" if named else "该文开头写道："
        return self.render(question, opening, hits, [self.config.opening_note], lead=lead)

    def _mentioning(self, question: str, query: Query, hits: list[Hit]) -> Answer:
        """“有没有关于易地搬迁的文章”: the retrieved documents that hold every content word of what is
        asked about, in retrieval order, each cited by the clause that names it first."""
        topic = docmeta.searched_topic(query.normalized)
        words = [w for w in query.weights if w in topic] or [topic]
        first_hit: dict[str, Hit] = {}
        for h in hits:
            first_hit.setdefault(h.chunk.doc_id, h)
        found: list[Candidate] = []
        for doc_id, hit in first_hit.items():
            doc = self.store.documents[doc_id]
            norm = self.sentences.normalized(doc)
            if all(w in norm for w in words):
                clause = self._naming_clause(doc, norm, words, hit)
                if all(c.text != clause.text for c in found):  # the same report carried by two sites: once
                    found.append(clause)
        if not found:
            return self.refuse(question, hits, f"检索到的资料中没有同时提到“{'”“'.join(words)}”的文章。")
        shown = found[: self.config.max_answer_sentences]
        return self.render(question, shown, hits, [self.config.more_documents_note],
                            lead=f"{'同时' if len(words) > 1 else ''}提到“{'”“'.join(words)}”的资料（按相关程度，每篇引一处）：")

    def _naming_clause(self, doc: Document, norm: str, words: list[str], hit: Hit) -> Candidate:
        """The clause of ``doc`` where its first sentence holding the most of ``words`` names the first
        of them; a sentence of the report before one of its header (a title says it, the report tells it)."""
        spans, _ = self.sentences.spans(doc)
        report = docmeta.header_end(doc.text)
        best = max(spans, key=lambda sp: (sum(w in norm[sp.start : sp.end] for w in words), sp.start >= report, -sp.start))
        at = norm.find(words[0], best.start, best.end)
        at = best.start if at < 0 else at
        start = max([best.start] + [i + 1 for i in range(best.start, at) if doc.text[i] in _CLAUSE_ENDS])
        end = next((i + 1 for i in range(at, best.end) if doc.text[i] in _CLAUSE_ENDS), best.end)
        rest = norm[start:end]
        for w in words:
            rest = rest.replace(w, "")
        if not _CJK.search(rest):  # “乡村振兴，”: a clause that only names it says nothing of it
            start, end = best.start, best.end
        return Candidate(doc.doc_id, start, end, doc.text[start:end], "", "", 1, hit)

    def _asked_about(self, query: Query, hits: list[Hit]) -> str:
        """The document “这篇文章” means. When the question names something to find it by: the hit
        whose title (or publisher) holds most of those words (这篇江口的文章 → 《江口县：…》), else
        the best hit (or a follow-up's: it searched the previous answer's documents). When it names
        nothing: the one document the library holds registered metadata for (a sidecar or the file's
        own author), if there is exactly one such among the hits' documents or in the library."""
        named = docmeta.named_part(query.topic)
        if named:
            ranked_ids = list(dict.fromkeys(h.chunk.doc_id for h in hits))
            docs = [self.store.documents[d] for d in ranked_ids]
            overlap = [docmeta.title_match(named, f"{d.title} {d.publisher}") for d in docs]
            best = max(range(len(docs)), key=lambda i: (overlap[i], -i))
            return ranked_ids[best]
        registered = [d for d in self.store.documents.values() if d.author]
        ranked = [h.chunk.doc_id for h in hits if self.store.documents[h.chunk.doc_id].author]
        if ranked:
            return ranked[0]
        return registered[0].doc_id if len(registered) == 1 else hits[0].chunk.doc_id


def doc_metadata(doc: Document) -> dict[str, str]:
    """Metadata that came with the file (sidecar, JSON Lines fields or the web page's own)."""
    return {k: v for k, v in {"title": doc.title, "author": doc.author, "date": doc.date,
                              "source": doc.publisher}.items() if v}
