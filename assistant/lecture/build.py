"""Building an outline for a topic from the indexed corpus only, in three steps over one index
snapshot:

1. **formulas** the topic names (三个四, 四拼四争 …): the glossary's definition, or — for a formula
   made of formulas — one point per part;
2. **key points**: the sentences that best cover the topic, one point per paragraph (two
   sentences at most), skipping the narrative ones;
3. **stories**: narrative sentences near the topic (:mod:`.stories`), one per person.

Quotes never overlap, and each is numbered by its source in order of first use."""

from __future__ import annotations

from dataclasses import dataclass

from ..chunking import split_sentences
from ..normalize import normalize
from ..schema import Document, Hit
from ..settings import section
from ..text import CLAUSE_END, clip_span, paragraph_bounds, paragraph_number
from .outline import KeyPoint, LectureConfig, Outline, Quote, Source, Story
from .stories import extend_story, is_story

HEADING_CHARS = 22  # a heading taken from a quote is cut at this length
CONTEXT_WEIGHT = 0.35  # a sentence's score: its coverage, plus this × its paragraph's …
RANK_WEIGHT = 0.12  # … plus this / the rank of the passage it came from
SENTENCES_PER_POINT = 2


def position_label(text: str, start: int, end: int) -> str:
    return f"第 {start + 1}–{end} 字（约第 {paragraph_number(text, start)} 段）"


def first_clause(text: str, limit: int = HEADING_CHARS) -> str:
    """The first clause of ``text`` as a short label (verbatim, cut at ``limit`` characters)."""
    text = text.strip().lstrip("”’」》)）,，。;；:：、 ")
    m = CLAUSE_END.search(text)
    clause = (text[: m.start()] if m else text).strip()
    if len(clause) < 4 and m:  # “仅10个月时间” is fine; “贫困,” is not a heading
        rest = CLAUSE_END.search(text, m.end())
        clause = text[: rest.start() if rest else len(text)].strip()
    if clause.count("“") == 1 and clause.startswith("“") and "”" not in clause:
        clause = clause[1:]  # an opening mark whose closing one is cut off
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"


class _Quotes:
    """The quotes taken so far: numbers sources 1..n in order of first use (the same span keeps
    its number) and tells whether a span overlaps one already quoted."""

    def __init__(self) -> None:
        self.sources: dict[tuple[str, int, int], Source] = {}
        self.used: list[tuple[str, int, int]] = []

    def overlaps(self, doc_id: str, start: int, end: int) -> bool:
        return any(doc_id == d and start < e and s < end for d, s, e in self.used)

    def take(self, doc: Document, start: int, end: int) -> Quote:
        key = (doc.doc_id, start, end)
        self.used.append(key)
        src = self.sources.get(key)
        if src is None:
            src = Source(len(self.sources) + 1, doc.doc_id, doc.title, start, end,
                         position_label(doc.text, start, end), doc.date)
            self.sources[key] = src
        return Quote(src.n, doc.doc_id, doc.title, doc.text[start:end], start, end)


@dataclass
class _Candidate:
    doc: Document
    start: int
    end: int
    coverage: float  # of the topic by the sentence
    context: float  # … by its paragraph
    score: float


# ---------------------------------------------------------------------------------------------- the steps
def _formula_points(snap, query, quotes: _Quotes, cfg: LectureConfig) -> list[KeyPoint]:
    store = snap.store
    glossary = {normalize(name): term for name, term in store.glossary.items()}
    points = []
    for form in query.terms:
        term = glossary.get(form)
        if term is None:
            continue
        parts = [glossary.get(normalize(p)) for p in term.parts]
        parts = [p for p in parts if p is not None and p.definitions]
        names = tuple(p.term for p in parts)
        entries = []
        if term.definitions:
            entries.append((term, term.definitions[0], names))
        elif parts and term.mentions:  # no definition of its own: introduce it where it is named
            entries.append((term, term.mentions[0], names))
        entries += [(p, p.definitions[0], ()) for p in parts]
        for t, span, sub in entries:
            if len(points) >= cfg.lecture_max_points:
                return points
            doc = store.documents.get(span.doc_id)
            if doc is None or quotes.overlaps(span.doc_id, span.start, span.end):
                continue
            start, end = clip_span(doc.text, span.start, span.end, cfg.lecture_max_quote_chars)
            points.append(KeyPoint(f"“{t.term}”", (quotes.take(doc, start, end),), term=t.term, parts=sub))
    return points


def _candidates(snap, query, hits: list[Hit]) -> list[_Candidate]:
    """Every sentence of the paragraphs the hits lie in, scored by how well it (and its
    paragraph) covers the topic; best first."""
    out: list[_Candidate] = []
    seen: set[tuple[str, int]] = set()
    normalized: dict[str, str] = {}  # each document normalised once, however many hits it has
    for rank, hit in enumerate(hits, start=1):
        doc = snap.store.documents.get(hit.chunk.doc_id)
        if doc is None:
            continue
        norm = normalized.get(doc.doc_id)
        if norm is None:
            norm = normalized[doc.doc_id] = normalize(doc.text)
        lo, hi = paragraph_bounds(doc.text, hit.chunk.start, hit.chunk.end)
        context = snap.coverage(query, norm[lo:hi])
        for s in split_sentences(doc.text, lo, hi):
            if (doc.doc_id, s.start) in seen:
                continue
            seen.add((doc.doc_id, s.start))
            cov = snap.coverage(query, norm[s.start : s.end])
            out.append(_Candidate(doc, s.start, s.end, cov, context,
                                  cov + CONTEXT_WEIGHT * context + RANK_WEIGHT / rank))
    out.sort(key=lambda c: -c.score)
    return out


def _paragraph_points(candidates: list[_Candidate], glossary: dict, quotes: _Quotes, cfg: LectureConfig,
                      room: int, taken: set[str]) -> list[KeyPoint]:
    relevant = [c for c in candidates if c.coverage >= cfg.lecture_min_focus and c.context >= cfg.lecture_min_context]
    by_paragraph: dict[tuple[str, int], list[_Candidate]] = {}
    for c in relevant:
        by_paragraph.setdefault((c.doc.doc_id, paragraph_bounds(c.doc.text, c.start)[0]), []).append(c)
    points: list[KeyPoint] = []
    for group in by_paragraph.values():
        if len(points) >= room:
            break
        best = [c for c in group if not quotes.overlaps(c.doc.doc_id, c.start, c.end)][:SENTENCES_PER_POINT]
        best = sorted((c for c in best if not is_story(c.doc.text[c.start : c.end])[0]), key=lambda c: c.start)
        if not best:
            continue
        taken_quotes = []
        for c in best:
            start, end = clip_span(c.doc.text, c.start, c.end, cfg.lecture_max_quote_chars)
            taken_quotes.append(quotes.take(c.doc, start, end))
        heading = _heading(taken_quotes[0].text, glossary, taken | {p.heading for p in points})
        points.append(KeyPoint(heading, tuple(taken_quotes)))
    return points


def _stories(candidates: list[_Candidate], quotes: _Quotes, cfg: LectureConfig) -> list[Story]:
    stories: list[Story] = []
    near = [c for c in candidates if c.context >= cfg.lecture_min_context or c.coverage >= cfg.lecture_min_focus]
    for c in near:
        if len(stories) >= cfg.lecture_max_stories:
            break
        ok, names = is_story(c.doc.text[c.start : c.end])
        if not ok or quotes.overlaps(c.doc.doc_id, c.start, c.end):
            continue
        if any(set(names) & set(s.people) and s.quote.doc_id == c.doc.doc_id for s in stories):
            continue  # one story per person
        start, end = extend_story(c.doc, c.start, c.end, names, cfg.lecture_max_story_chars)
        start, end = clip_span(c.doc.text, start, end, cfg.lecture_max_story_chars)
        if quotes.overlaps(c.doc.doc_id, start, end):
            continue
        stories.append(Story("、".join(names[:3]), quotes.take(c.doc, start, end), tuple(names)))
    return stories


def _heading(quote: str, glossary: dict, taken: set[str]) -> str:
    """A glossary formula the quote names (not yet a heading), else the quote's first clause."""
    for name in sorted(glossary, key=len, reverse=True):
        label = f"“{name}”"
        if name in quote and label not in taken and (glossary[name].definitions or glossary[name].parts):
            return label
    return first_clause(quote)


# ---------------------------------------------------------------------------------------------- outline
def build_outline(assistant, topic: str, config: LectureConfig | None = None) -> Outline:
    """The outline for ``topic`` from ``assistant``'s current index (limits from its settings
    unless ``config`` is given). Raises QuestionError for an empty or too long topic; a topic the
    corpus does not cover gives an empty outline with a note."""
    topic = assistant.check_question(topic)
    cfg = config or section(LectureConfig, assistant.settings)
    snap = assistant.snapshot  # one consistent index for the whole outline
    query = snap.parse(topic)
    quotes = _Quotes()
    points = _formula_points(snap, query, quotes, cfg)
    candidates = _candidates(snap, query, snap.search(query, k=cfg.lecture_search_k))
    points += _paragraph_points(candidates, snap.store.glossary, quotes, cfg,
                                room=cfg.lecture_max_points - len(points), taken={p.heading for p in points})
    stories = _stories(candidates, quotes, cfg)
    notes: list[str] = []
    if not points and not stories:
        notes.append(f"资料中没有与“{topic}”相关的内容，无法生成提纲。请换一个资料中出现过的主题。")
    elif not stories:
        notes.append("资料中没有找到与该主题直接相关的人物事例。")
    sources = tuple(sorted(quotes.sources.values(), key=lambda s: s.n))
    return Outline(topic, tuple(points), tuple(stories), sources, tuple(notes))
