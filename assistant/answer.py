"""Hit → Answer without any LLM: verbatim sentences of the best passages, each cited, or a plain
refusal when the corpus does not answer.

What kind of answer a question wants (a person, a date, a number with its unit, a definition, a
list) decides which sentence is quoted; a domain term named in the question brings its own
definition (and, for a formula made of formulas, its parts)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import jieba
import jieba.posseg as pseg

from .chunking import split_sentences
from .grounding import missing_number_before, ungrounded_numbers
from .index import IndexStore
from .normalize import normalize
from .retrieval import Query, Retriever
from .schema import Answer, Citation, Hit
from .settings import defaults, section
from .terms import Term

REFUSAL_TEXT = "资料中没有相关内容：现有资料没有回答这个问题。"
EMPTY_QUESTION = "问题为空：请输入一个问题。"

QUESTION_KINDS: list[tuple[str, re.Pattern]] = [
    ("who", re.compile(r"谁|什么人|哪位|哪对|哪些人|名字|叫什么|姓什么")),
    ("when", re.compile(r"什么时候|何时|哪一?年|哪个?月|哪一?天|几月|几号|几日|什么时间|日期")),
    ("how_many", re.compile(r"多少|几[个名户人家年次项条天]|多长|多久|多大|多高|多远|多重|比例|率是|百分之")),
    ("where", re.compile(r"哪里|在哪|什么地方|何处|哪儿|何地")),
    ("why", re.compile(r"为什么|为何|原因|怎么会|为啥")),
    ("definition", re.compile(r"什么是|是什么|指什么|是指|含义|意思|内容|包括|哪些|有什么|哪几")),
    ("how", re.compile(r"怎样|怎么|如何|什么方法|方法|措施|做法|办法")),
]
_DIGIT = re.compile(r"\d")
_DATE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|[一二三四五六七八九十]+月|上世纪|年代")
_YEAR = re.compile(r"\d{4}\s*年|年代")
_ASKS_YEAR = re.compile(r"哪一?年|几几年|年份")
_QUANTITY = re.compile(
    r"\d+(?:\.\d+)?\s*(?:多|余)?\s*(?:%|[万亿千百]|[个名户人家位座幢所处项条元岁年月天次批倍幢]|小时|公里|平方|亩)")
_DEF_MARK = re.compile(r"[:：]|即|就是|是指|包括|分别是")
CONTEXT_BEFORE = 300  # characters of the document before a sentence that still count as its context
CONTEXT_AFTER = 60
SHORT_SENTENCE = 16
NEIGHBOURHOOD = 400  # characters: sentences this close to the best one may join the answer
TIE_MARGIN = 0.08  # a sentence scoring this close to the best one answers as well: quote both
_ASK_UNIT = re.compile(r"多少(公里|平方米|万平方米|亩|[名个户人家位座幢所处项条])([\u4e00-\u9fff]{2,8})")
# what a quantity must be measured in when the question says how (多远 → a distance)
_ASKED_UNITS = [
    (re.compile(r"多远|多长的路|距离"), re.compile(r"\d+(?:\.\d+)?\s*(?:多|余)?\s*(?:公里|千米|米|里)")),
    (re.compile(r"多少钱|价格|票价|多少元"), re.compile(r"\d+(?:\.\d+)?\s*(?:多|余)?\s*(?:[万亿]?元|块)")),
    (re.compile(r"多高|海拔"), re.compile(r"\d+(?:\.\d+)?\s*(?:多|余)?\s*(?:米|公里)")),
    (re.compile(r"多久|多长时间|几天|几年"),
     re.compile(r"\d+(?:\.\d+)?\s*(?:多|余)?\s*(?:个)?\s*(?:小时|分钟|天|日|周|个月|月|年)")),
]


@dataclass(frozen=True)
class AnswerConfig:  # defaults and meanings: the answering block of Settings
    max_answer_chars: int
    sentences_from_hits: int
    refusal_min_coverage: float
    refusal_min_focus_coverage: float
    max_answer_sentences: int


@dataclass
class Candidate:
    doc_id: str
    start: int
    end: int
    text: str
    normalized: str
    hit_rank: int
    hit: Hit
    score: float = 0.0
    coverage: float = 0.0
    context_coverage: float = 0.0
    kind_ok: bool = False


_ASKING = re.compile(r"叫什么名字|什么名字|多少|多长|多久|多大|多高|多远|几(?=[个名户人家年次项条天所])|是谁|叫什么|哪一?年|哪一?天|什么时候|何时|"
                     r"在哪|哪里|哪儿|哪对|哪位|哪个")
_NOUNISH = ("n", "vn", "eng", "j", "nz", "nr", "ns", "nt", "l")
_MEASURE = set("个名户人家位座幢所处项条元岁年月天次批倍")


def focus_words(question: str) -> list[str]:
    """The things a factual question asks about: the noun before the asking words (县长 in
    县长是谁, GDP in GDP是多少) and the noun they measure (中学 in 多少所中学). The quoted
    sentence must name them, or it answers a different question."""
    text = normalize(question)
    m = _ASKING.search(text)
    if m is None:
        return []
    tokens, pos = [], 0
    for p in pseg.lcut(text):
        tokens.append((p.word, p.flag, pos))
        pos += len(p.word)
    before = [(w, f) for w, f, at in tokens if at + len(w) <= m.start()]
    after = [(w, f) for w, f, at in tokens if at >= m.end()]
    found = []
    for w, flag in reversed(before):
        if flag.startswith(_NOUNISH) and len(w) > 1:
            found.append(w)
            break
    j = 0
    if after and after[0][0] in _MEASURE:
        j = 1
    while j < len(after) and not re.search(r"[\w\u4e00-\u9fff]", after[j][0]):
        j += 1
    if j < len(after) and after[j][1].startswith(_NOUNISH):
        found.append(after[j][0])
    return found


def names_focus(text: str, focus: list[str]) -> bool:
    """Every focus word appears; a long one may appear as its dictionary pieces (扶贫干部 ~
    扶贫站…驻村干部), never as loose characters (产量 is not 生产…质量)."""
    return all(f in text or (len(f) > 2 and all(piece in text for piece in _pieces(f))) for f in focus)


def _pieces(word: str) -> list[str]:
    """Dictionary words inside ``word`` (扶贫干部 → 扶贫, 干部; 粮食产量 → 粮食, 产量)."""
    pieces = [p for p in jieba.lcut(word, HMM=False) if len(p) > 1]
    return pieces if pieces and sum(map(len, pieces)) >= len(word) - 1 else [word]


def question_kind(question: str) -> str:
    for kind, pattern in QUESTION_KINDS:
        if pattern.search(question):
            return kind
    return "other"


def _kind_satisfied(kind: str, text: str, question: str = "") -> bool:
    if kind == "who":  # a person named in the sentence who is not already named in the question
        asked = normalize(question)
        return any(flag.startswith("nr") and len(word) >= 2 and normalize(word) not in asked
                   for word, flag in pseg.lcut(text))
    if kind == "when":
        return bool((_YEAR if _ASKS_YEAR.search(question) else _DATE).search(text))
    if kind == "how_many":
        for asked, measured in _ASKED_UNITS:
            if asked.search(question):
                return bool(measured.search(text))
        return bool(_QUANTITY.search(text))
    if kind == "where":
        return any(flag == "ns" for _, flag in pseg.lcut(text))
    if kind == "definition":
        return bool(_DEF_MARK.search(text))
    return True


class Composer:
    def __init__(self, store: IndexStore, retriever: Retriever, config: AnswerConfig | None = None) -> None:
        self.store = store
        self.retriever = retriever
        self.config = config or section(AnswerConfig, defaults())
        self._norm_cache: dict[str, str] = {}

    def _normalized(self, doc_id: str, text: str) -> str:
        """The document's normalised text (same length, same offsets), cached."""
        norm = self._norm_cache.get(doc_id)
        if norm is None:
            if len(self._norm_cache) > 2000:
                self._norm_cache.clear()
            norm = self._norm_cache[doc_id] = normalize(text)
        return norm

    # ------------------------------------------------------------------ main entry
    def compose(self, question: str, hits: list[Hit], query: Query | None = None) -> Answer:
        query = query or self.retriever.parse(question)
        kind = question_kind(question)
        if not hits or not query.words:
            return self._refuse(question, hits, "资料中找不到与问题相关的内容。")

        unknown = [e for e in query.entities if not any(e in h.chunk.search_text for h in hits)]
        if unknown:  # a person or place the retrieved passages never name: the corpus cannot answer
            return self._refuse(question, hits, f"资料中没有提到“{'、'.join(unknown)}”。")

        term_answer = self._term_answer(question, query, kind, hits)
        if term_answer is not None:
            return term_answer

        candidates = self._candidates(query, kind, hits)
        if not candidates:
            return self._refuse(question, hits)
        best = candidates[0]
        notes: list[str] = []

        # numbers the source lost: say so instead of guessing
        missing = self._missing_number(question, kind, candidates)
        if missing is not None:
            best = missing
            notes.append("原文此处缺少具体数字（资料在抓取时丢失了数字），资料未给出该数量。")
        elif not self._answers(best, kind, focus_words(question)):
            return self._refuse(question, hits)

        chosen = self._select(best, candidates, query, kind)
        answer = self._render(question, chosen, hits, notes)
        if missing is not None:
            answer = replace(answer, text="原文未给出具体数字。" + answer.text)
        return answer

    # ------------------------------------------------------------------ candidates
    def _candidates(self, query: Query, kind: str, hits: list[Hit]) -> list[Candidate]:
        out: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(hits[: self.config.sentences_from_hits], start=1):
            doc = self.store.documents.get(hit.chunk.doc_id)
            if doc is None:
                continue
            for start, end in _sentences_around(doc.text, hit.chunk.start, hit.chunk.end):
                key = (doc.doc_id, start)
                if key in seen:
                    continue
                seen.add(key)
                text = doc.text[start:end]
                doc_norm = self._normalized(doc.doc_id, doc.text)
                norm = doc_norm[start:end]
                context = doc_norm[max(0, start - CONTEXT_BEFORE) : end + CONTEXT_AFTER]
                c = Candidate(doc.doc_id, start, end, text, norm, rank, hit)
                c.coverage = self.retriever.coverage(query, norm)
                c.context_coverage = self.retriever.coverage(query, context)
                c.kind_ok = _kind_satisfied(kind, text, query.text)
                c.score = c.coverage + 0.35 * c.context_coverage + 0.12 / rank + (0.25 if c.kind_ok else 0.0)
                out.append(c)
        out.sort(key=lambda c: -c.score)
        return out

    def _answers(self, best: Candidate, kind: str, focus: list[str]) -> bool:
        cfg = self.config
        if best.context_coverage < cfg.refusal_min_coverage or best.coverage < cfg.refusal_min_focus_coverage:
            return False
        if kind in ("when", "how_many") and not best.kind_ok:
            return False
        if kind in ("who", "when", "how_many", "where") and not names_focus(best.normalized, focus):
            return False
        return True

    def _select(self, best: Candidate, candidates: list[Candidate], query: Query, kind: str) -> list[Candidate]:
        """The best sentence, plus neighbours that add uncovered question content."""
        chosen = [best]
        covered = {w for w in query.words if w in best.normalized}
        total = len(best.text)
        for c in candidates[1:]:
            if len(chosen) >= self.config.max_answer_sentences:
                break
            new = {w for w in query.words if w in c.normalized} - covered
            same_place = c.doc_id == best.doc_id and abs(c.start - best.end) < NEIGHBOURHOOD
            near_tie = c.score >= best.score - TIE_MARGIN
            if not (new or near_tie) or not same_place or c.coverage < self.config.refusal_min_focus_coverage:
                continue
            if total + len(c.text) > self.config.max_answer_chars:
                continue
            chosen.append(c)
            covered |= new
            total += len(c.text)
        chosen.sort(key=lambda c: (c.doc_id != best.doc_id, c.start))
        return chosen

    def _missing_number(self, question: str, kind: str, candidates: list[Candidate]) -> Candidate | None:
        if kind != "how_many":
            return None
        m = _ASK_UNIT.search(normalize(question))
        if not m:
            return None
        noun = m.group(2)
        for c in candidates[:5]:
            for size in range(len(noun), 1, -1):
                if missing_number_before(c.normalized, noun[:size]):
                    return c
        return None

    # ------------------------------------------------------------------ domain terms
    def _term_answer(self, question: str, query: Query, kind: str, hits: list[Hit]) -> Answer | None:
        if kind not in ("definition", "other", "how") or not query.terms:
            return None
        glossary = {normalize(t): v for t, v in self.store.glossary.items()}
        term = glossary.get(query.terms[0])
        if term is None:
            return None
        ranked_docs = [h.chunk.doc_id for h in hits]
        if term.parts:
            parts = [glossary.get(normalize(p)) for p in term.parts]
            parts = [p for p in parts if p is not None and p.definitions]
            if len(parts) >= 2:
                return self._composite(question, term, parts, ranked_docs, hits)
        if not term.definitions:
            return None
        span = min(term.definitions, key=lambda s: ranked_docs.index(s.doc_id) if s.doc_id in ranked_docs else 99)
        doc = self.store.documents[span.doc_id]
        sentence = Candidate(span.doc_id, span.start, span.end, doc.text[span.start : span.end], "", 0, hits[0])
        return self._render(question, [sentence], hits, [])

    def _composite(self, question: str, term: Term, parts: list[Term], ranked_docs: list[str], hits: list[Hit]) -> Answer:
        """“三个四”包括“四个下沉”“四个结合”“四个覆盖”, each part quoted from its definition."""
        chosen = []
        for p in parts:
            span = p.definitions[0]
            doc = self.store.documents[span.doc_id]
            first = split_sentences(doc.text, span.start, span.end, semicolons=False)[0]
            chosen.append(Candidate(span.doc_id, first.start, first.end, doc.text[first.start : first.end], "", 0, hits[0]))
        names = "、".join(f"“{p.term}”" for p in parts)
        lead = f"“{term.term}”包括{names}。"
        return self._render(question, chosen, hits, [], lead=lead)

    # ------------------------------------------------------------------ output
    def _render(self, question: str, chosen: list[Candidate], hits: list[Hit], notes: list[str], lead: str = "") -> Answer:
        citations: list[Citation] = []
        pieces: list[str] = []
        budget = self.config.max_answer_chars - len(lead)
        for c in chosen:
            text = c.text
            if len(text) > budget - 4:
                if pieces:
                    break
                text = _clip(text, budget - 4)
            doc = self.store.documents[c.doc_id]
            n = len(citations) + 1
            citations.append(
                Citation(n=n, doc_id=c.doc_id, title=doc.title, text=doc.text[c.start : c.start + len(text)],
                         start=c.start, end=c.start + len(text), score=round(c.hit.score, 6),
                         chunk_id=c.hit.chunk.chunk_id)
            )
            shown = text if len(text) == c.end - c.start else text + "……"
            pieces.append(f"{shown}[{n}]")
            budget -= len(shown) + 3
        body = lead + "".join(pieces)
        bad = ungrounded_numbers(lead, [c.text for c in citations])
        if bad:  # a composed lead may never bring its own numbers
            body = "".join(pieces)
        return Answer(question=question, text=body, citations=tuple(citations), notes=tuple(notes),
                      retrieved=tuple(hits))

    def _refuse(self, question: str, hits: list[Hit], reason: str = "") -> Answer:
        related = tuple(hits[:3])
        notes = (reason,) if reason else ()
        return Answer(question=question, text=REFUSAL_TEXT, refused=True, notes=notes, related=related,
                      retrieved=tuple(hits))


def _sentences_around(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Whole sentences (；-joined lists kept together) of the paragraphs a chunk touches; a short
    title-like sentence is joined to the one after it (the scrape glued titles to text)."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    spans = split_sentences(text, lo, hi, semicolons=False)
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        s, e = spans[i].start, spans[i].end
        if e - s < SHORT_SENTENCE and i + 1 < len(spans) and "\n" not in text[e : spans[i + 1].start]:
            e = spans[i + 1].end
            i += 1
        out.append((s, e))
        i += 1
    return out


def _clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at the last soft break."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    cut = max(window.rfind(p) for p in "，,；;、")
    return window[: cut + 1] if cut > limit // 2 else window
