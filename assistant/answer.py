"""Hit → Answer without any LLM: verbatim sentences of the corpus, each cited, or a plain refusal.

Which sentence answers, and whether any does, is the answer model's decision (ranker.py, trained
by training.py): every candidate sentence of the top passages gets a probability of answering;
the best one is quoted when it reaches the calibrated threshold, with nearby sentences of the same
document that score close to it (lists run over several sentences); otherwise the question is
refused. Two structural cases stay outside the model: a formula made of formulas (“三个四”) is
answered by its parts' definitions, and a number the scrape lost (“名机关干部”) is reported as
missing rather than refused, when the sentence would have answered had the number been there."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .candidates import Candidate, SentenceIndex, candidates_from_hits
from .chunking import split_sentences
from .document_answers import DocumentAnswers
from .features import QuestionContext, add_relative, candidate_features, question_features
from .grounding import lost_amounts, lost_number, lost_quoted_text, ungrounded_numbers
from .index import IndexStore
from .normalize import normalize
from .question import Query
from .ranker import AnswerModel
from .retrieval import Retriever
from .schema import Answer, Citation, Hit
from .settings import defaults, section
from .terms import Term

log = logging.getLogger(__name__)

REFUSAL_TEXT = "资料中没有相关内容：现有资料没有回答这个问题。"
LOST_NUMBER_LEAD = "原文未给出具体数字。"
EMPTY_QUESTION = "问题为空：请输入一个问题。"
# refusing a question in another language: the data says its quotes are more often wrong than right
OTHER_LANGUAGE_NOTE = ("资料是中文的，用其他语言提问时无法可靠地确定答案句；下面列出最相关的原文段落，建议改用中文提问。"
                       "The documents are in Chinese and an answer to a question in another language cannot be "
                       "pinned down reliably; the closest passages are listed below. Please ask in Chinese.")
NEIGHBOURHOOD = 400  # characters: sentences this close to the best one may join the answer
# the reading of a sentence whose number was lost: as if it stated the asked quantity
_NUMBER_RESTORED = {"type_ok": 1.0, "unit_match": 1.0, "new_number": 1.0}


@dataclass(frozen=True)
class AnswerConfig:  # defaults and meanings: the answering block of Settings
    max_answer_chars: int
    sentences_from_hits: int
    max_answer_sentences: int
    refusal_threshold: float  # < 0: the calibrated threshold stored with the answer model
    lost_number_note: str
    lost_text_note: str
    lost_amount_note: str
    opening_note: str
    more_documents_note: str


def select(positions: list[tuple[str, int, int]], probs: list[float], threshold: float, extra_ratio: float,
           max_sentences: int) -> tuple[int, ...]:
    """Indexes of the sentences to quote, best first; () when the best is below ``threshold``.

    A further sentence joins when it is in the best one's document, within NEIGHBOURHOOD
    characters, and scores at least ``extra_ratio`` of the best probability."""
    if not probs:
        return ()
    order = sorted(range(len(probs)), key=lambda i: -probs[i])
    best = order[0]
    if probs[best] < threshold:
        return ()
    chosen = [best]
    doc, start, end = positions[best]
    for i in order[1:]:
        if len(chosen) >= max_sentences or probs[i] < extra_ratio * probs[best]:
            break
        d, s, e = positions[i]
        if d == doc and (abs(s - end) < NEIGHBOURHOOD or abs(start - e) < NEIGHBOURHOOD):
            chosen.append(i)
    return tuple(chosen)


T = TypeVar("T")
MARKER_CHARS = 3  # the citation mark “[n]” after each quoted sentence


def room(left: int) -> int:
    """The longest sentence that still fits, with its citation mark, in ``left`` characters."""
    return left - MARKER_CHARS - 1


def fitting(lengths: list[int], budget: int) -> list[int]:
    """Which of the sentences to quote (their lengths, best first) fit in ``budget`` characters with
    their citation marks: the best always (cut to fit when it alone is too long), then each further
    one that still fits. Filled in document order instead, a long lesser sentence standing before
    the best one pushed the best one out of the answer. They are shown in :func:`shown_order`."""
    kept: list[int] = []
    left = budget
    for i, n in enumerate(lengths):
        if kept and n > room(left):
            continue
        kept.append(i)
        left -= n + MARKER_CHARS
    return kept


def shown_order(best_first: list[T], start: Callable[[T], int]) -> list[T]:
    """The best sentence first, as [1] (the one a reader quotes), then the others in document order."""
    return best_first[:1] + sorted(best_first[1:], key=start)


class Composer:
    def __init__(self, store: IndexStore, retriever: Retriever, config: AnswerConfig | None = None,
                 model: AnswerModel | None = None) -> None:
        self.store = store
        self.retriever = retriever
        self.config = config or section(AnswerConfig, defaults())
        self.model = model
        self.sentences = SentenceIndex(normalize)
        self.documents = DocumentAnswers(store, self.sentences, self.config, self._render, self._refuse)
        self._glossary = {normalize(t): v for t, v in store.glossary.items()}

    def threshold(self, query: Query) -> float:
        if self.config.refusal_threshold >= 0 or self.model is None:
            return max(0.0, self.config.refusal_threshold)
        return self.model.threshold_for(query.language)

    # ------------------------------------------------------------------ candidates
    def candidates(self, query: Query, hits: list[Hit]) -> list[Candidate]:
        """Candidate sentences with their features (and probabilities when a model is loaded)."""
        cands = candidates_from_hits(hits, self.store.documents, self.sentences, self.config.sentences_from_hits)
        ctx = QuestionContext.of(query, hits)
        definitions = self._definition_spans(query)
        for c in cands:
            doc = self.store.documents[c.doc_id]
            defined = any(d == c.doc_id and s < c.end and c.start < e for d, s, e in definitions)
            c.features = candidate_features(query, c, ctx, self.sentences.normalized(doc), defined, doc.date)
        add_relative([c.features for c in cands])
        if self.model is not None:
            for c, p in zip(cands, self.model.probabilities([c.features for c in cands])):
                c.probability = p
        return cands

    def _definition_spans(self, query: Query) -> list[tuple[str, int, int]]:
        out = []
        for name in query.terms:
            term = self._glossary.get(name)
            if term is not None:
                out += [(s.doc_id, s.start, s.end) for s in term.definitions]
        return out

    # ------------------------------------------------------------------ main entry
    def compose(self, question: str, hits: list[Hit], query: Query | None = None) -> Answer:
        query = query or self.retriever.parse(question)
        if not hits or not (query.words or query.language != "zh"):
            return self._refuse(question, hits, "资料中找不到与问题相关的内容。")
        if query.kind == "meta":
            return self.documents.answer(question, query, hits)
        composite = self._composite_term(question, query, hits)
        if composite is not None:
            return composite
        cands = self.candidates(query, hits)
        if self.model is None:
            raise RuntimeError("答案模型未加载。请运行 `python -m assistant train` 生成 assistant/answer_model.json。")
        probs = [c.probability for c in cands]
        hits = rerank(hits, cands)
        answered = self.model.answered(question_features([c.features for c in cands], probs))
        chosen = () if answered < self.threshold(query) else select(
            [(c.doc_id, c.start, c.end) for c in cands], probs, 0.0, self.model.extra_ratio,
            self.config.max_answer_sentences)
        if chosen:
            best_first = [cands[i] for i in chosen]
            kept = [best_first[i] for i in fitting([len(c.text) for c in best_first], self.config.max_answer_chars)]
            quoted = shown_order(kept, lambda c: c.start)
            if query.kind in self.model.follow_kinds:
                quoted += self._next_sentence(max(quoted, key=lambda c: c.start), quoted)
            quoted += other_sides(query, quoted, cands, self.model.extra_ratio, self.config.max_answer_chars)
            if _count_unstated(query, quoted) and lost_number(quoted[0].normalized, query.unit):
                # the answer is a sentence whose number the scrape lost (名干部结对帮扶户贫困户): quoted
                # without saying so, it reads as if the number were there
                return self._render_lost(question, quoted, hits)
            return self._render(question, quoted, hits, [])
        lost = self._lost_number(query, cands)
        if lost is not None:
            return self._render_lost(question, [lost], hits)
        log.debug("refused %r: answer probability %.3f < %.3f", question, answered, self.threshold(query))
        if query.language != "zh":
            return self._refuse(question, hits, OTHER_LANGUAGE_NOTE)
        unknown = [e for e in query.entities if not any(e in h.chunk.search_text for h in hits)]
        return self._refuse(question, hits, f"资料中没有提到“{'、'.join(unknown)}”。" if unknown else "")

    def _next_sentence(self, last: Candidate, quoted: list[Candidate]) -> list[Candidate]:
        """The sentence after ``last`` in its paragraph (the effect, the reason, what came next)."""
        if not last.after_text:
            return []
        doc = self.store.documents[last.doc_id]
        spans, _ = self.sentences.spans(doc)
        if last.index + 1 >= len(spans):
            return []
        span = spans[last.index + 1]
        if any(q.doc_id == last.doc_id and q.start == span.start for q in quoted):
            return []
        norm = self.sentences.normalized(doc)[span.start : span.end]
        return [Candidate(last.doc_id, span.start, span.end, doc.text[span.start : span.end], norm, "", last.hit_rank,
                          last.hit, last.index + 1)]

    def _render_lost(self, question: str, quoted: list[Candidate], hits: list[Hit]) -> Answer:
        return self._render(question, quoted, hits, [self.config.lost_number_note], lead=LOST_NUMBER_LEAD)

    def _lost_number(self, query: Query, cands: list[Candidate]) -> Candidate | None:
        """A sentence that would answer a “how many” question had the scrape not lost its number —
        only when, with that number restored, it reads better than every candidate that states a
        number in the asked unit (a look-alike elsewhere stating one does not hide the lost one)."""
        if self.model is None or query.kind != "number" or not query.unit:
            return None
        lost = [lost_number(c.normalized, query.unit) for c in cands]
        if not any(lost):
            return None
        restored = [{**c.features, **_NUMBER_RESTORED} if was_lost else c.features for c, was_lost in zip(cands, lost)]
        probs = self.model.probabilities(restored)
        best = max(range(len(cands)), key=lambda i: probs[i])
        if not lost[best]:
            return None  # the best reading is not a sentence that lost its number
        return cands[best] if self.model.answered(question_features(restored, probs)) >= self.threshold(query) else None

    # ------------------------------------------------------------------ domain terms
    def _composite_term(self, question: str, query: Query, hits: list[Hit]) -> Answer | None:
        """“三个四”包括“四个下沉”“四个结合”“四个覆盖”: a formula made of formulas, each part quoted
        from its definition."""
        if query.kind not in ("definition", "list", "other", "how") or not query.terms:
            return None
        term = self._glossary.get(query.terms[0])
        if term is None or len(term.parts) < 2:
            return None
        parts = [self._glossary.get(normalize(p)) for p in term.parts]
        parts = [p for p in parts if p is not None and p.definitions]
        if len(parts) < 2:
            return None
        return self._render_parts(question, term, parts, hits)

    def _render_parts(self, question: str, term: Term, parts: list[Term], hits: list[Hit]) -> Answer:
        chosen = []
        for p in parts:
            span = p.definitions[0]
            doc = self.store.documents[span.doc_id]
            first = split_sentences(doc.text, span.start, span.end, semicolons=False)[0]
            chosen.append(Candidate(span.doc_id, first.start, first.end, doc.text[first.start : first.end], "", "", 0,
                                    hits[0]))
        lead = f"“{term.term}”包括{'、'.join(f'“{p.term}”' for p in parts)}。"
        return self._render(question, chosen, hits, [], lead=lead)

    # ------------------------------------------------------------------ output
    def _render(self, question: str, chosen: list[Candidate], hits: list[Hit], notes: list[str],
                lead: str = "") -> Answer:
        citations: list[Citation] = []
        pieces: list[str] = []
        budget = self.config.max_answer_chars - len(lead)
        for c in chosen:
            text = c.text
            if len(text) > room(budget):
                if pieces:
                    break
                text = _clip(text, room(budget))
            doc = self.store.documents[c.doc_id]
            n = len(citations) + 1
            citations.append(Citation(n=n, doc_id=c.doc_id, title=doc.title, text=doc.text[c.start : c.start + len(text)],
                                      start=c.start, end=c.start + len(text), score=round(c.hit.score, 6),
                                      chunk_id=c.hit.chunk.chunk_id))
            shown = text if len(text) == c.end - c.start else text + "……"
            pieces.append(f"{shown}[{n}]")
            budget -= len(shown) + MARKER_CHARS
        body = lead + "".join(pieces)
        if any(lost_quoted_text(c.text) for c in citations):
            notes = [*notes, self.config.lost_text_note]
        amounts = list(dict.fromkeys(a for c in citations for a in lost_amounts(c.text)))
        if amounts and self.config.lost_number_note not in notes:
            notes = [*notes, self.config.lost_amount_note.replace("{amounts}", "”“".join(amounts))]
        if ungrounded_numbers(lead, [c.text for c in citations]):  # a composed lead may never bring its own numbers
            body = "".join(pieces)
        return Answer(question=question, text=body, citations=tuple(citations), notes=tuple(notes),
                      retrieved=tuple(hits))

    def _refuse(self, question: str, hits: list[Hit], reason: str = "") -> Answer:
        return Answer(question=question, text=REFUSAL_TEXT, refused=True, notes=(reason,) if reason else (),
                      related=tuple(hits[:3]), retrieved=tuple(hits))


# a question that sets things side by side: 凯德街道和坝梅村的贫困发生率分别是多少, “四个下沉”和“四个结合”有什么不同
_SIDE_BY_SIDE = re.compile(r"(?=.*(?:和|与|跟|同|及|、|还是))(?=.*(?:分别|各是|各为|各自|各有|哪个更|哪一个更|谁更|相比|比较|对比|区别|不同|差别"
                           r"|不一样|还是))")
MAX_SIDES = 3


def other_sides(query: Query, quoted: list[Candidate], cands: list[Candidate], extra_ratio: float,
                budget: int) -> list[Candidate]:
    """For a question that sets things side by side, the best sentence about each thing the quoted ones
    leave out (a question word of two or more characters none of them holds, heaviest first) that scores
    at least ``extra_ratio`` of the best and fits in what is left of ``budget`` characters: a comparison
    answered for one side only (坝梅村 2.13%, not 凯德街道 2.38%) reads as if the other had no figure."""
    if not quoted or not _SIDE_BY_SIDE.search(query.normalized):
        return []
    floor = extra_ratio * max(c.probability for c in quoted)
    left = budget - sum(len(c.text) + MARKER_CHARS for c in quoted)
    taken = {(c.doc_id, c.start) for c in quoted}
    added: list[Candidate] = []
    for word in sorted(query.weights, key=lambda w: -query.weights[w]):
        if len(added) >= MAX_SIDES:
            break
        if len(word) < 2 or any(word in c.normalized for c in quoted + added):
            continue
        about = [c for c in cands if word in c.normalized and c.probability >= floor and len(c.text) <= room(left)
                 and (c.doc_id, c.start) not in taken]
        if about:
            side = max(about, key=lambda c: c.probability)
            added.append(side)
            taken.add((side.doc_id, side.start))
            left -= len(side.text) + MARKER_CHARS
    return added


def _count_unstated(query: Query, cands: list[Candidate]) -> bool:
    """A “how many” question with a unit that none of ``cands`` (the quoted sentences) states a
    number in: the only case in which an answer may say 原文未给出具体数字."""
    return query.kind == "number" and bool(query.unit) and not any(
        c.features.get("unit_match", 0.0) >= 1.0 for c in cands)


def rerank(hits: list[Hit], cands: list[Candidate]) -> list[Hit]:
    """The passages the candidates came from, best answer sentence first (the answer model reads
    them more closely than retrieval did: on the public news questions, out of fold, the passage
    holding the answer comes first for 98% of them this way, 92% in retrieval order); the rest keep
    their order."""
    best: dict[str, float] = {}
    for c in cands:
        key = c.hit.chunk.chunk_id
        best[key] = max(best.get(key, 0.0), c.probability)
    read = [h for h in hits if h.chunk.chunk_id in best]
    read.sort(key=lambda h: -best[h.chunk.chunk_id])  # stable: ties keep the retrieval order
    return read + [h for h in hits if h.chunk.chunk_id not in best]


def _clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at the last soft break."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    cut = max(window.rfind(p) for p in "，,；;、")
    return window[: cut + 1] if cut > limit // 2 else window
