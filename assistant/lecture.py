"""Lecture preparation for trainers: a topic in, a structured outline out.

:func:`build_outline` gathers, from the indexed corpus only,

* **key points** (要点): for a topic that names a formula of the glossary (三个四, 四拼四争 …) its
  definition, or — for a formula made of formulas — one point per part; then the passages that
  best cover the topic, one point per paragraph;
* **stories** (典型事例): sentences that narrate a person or an event (a personal name next to
  speech or a completed action), with the sentences that continue the story;

and every quote is ``document.text[start:end]`` — verbatim, never rewritten — with a numbered
source (title and position). Headings are short labels taken from the quote itself (a glossary
term or the quote's first clause); they are marked as labels, not quotes.

:func:`outline_to_markdown` and :func:`outline_to_docx` export the outline with the citations as
footnotes (Markdown) or as superscript numbers plus a source list (Word)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jieba.posseg as pseg

from .chunking import split_sentences
from .normalize import normalize
from .schema import Document

MAX_POINTS = 6
MAX_STORIES = 4
MAX_QUOTE_CHARS = 320
MAX_STORY_CHARS = 260
SEARCH_K = 30
MIN_FOCUS = 0.34  # share of the topic a quoted sentence must cover (same scale as the answer composer)
MIN_CONTEXT = 0.5  # … and its paragraph
HEADING_CHARS = 22

# the most common single-character surnames: a personal name must start with one of them
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
)
_SPEECH = re.compile(r"说|道|讲述|回忆|表示|介绍|告诉|感慨|感叹|百感交集|不无自豪|[:：]\s*“")
_NARRATIVE = re.compile(r"了|过|曾|当年|那年|日前|不久前|目前|如今|上世纪|年代|\d{1,2}月\d{1,2}日|起初|后来|终于")
_CONTINUES = re.compile(r"^(?:[“\"「]|他|她|他们|她们|目前|如今|后来|此后|当时|从此|于是|终于|不但|不仅)")
_CLAUSE_END = re.compile(r"[，,。；;：:！!？?\n]")
_PLACE_END = "村乡镇组县市区社户街旗省州队站所校院厂场"  # “干部包村”, “流动白旗”: not people
_ROLE_BEFORE = re.compile(r"(?:书记|村民|群众|站长|主任|县长|镇长|乡长|社长|组长|委员|老人|大姐|大哥|大爷|大妈|老师|医生)$")
_NAME_CONTEXT_AFTER = re.compile(r"^(?:说|讲|道|表示|介绍|告诉|回忆|激动|感慨|笑|不无|百感|接过|坦言|算起)")


@dataclass(frozen=True)
class Quote:
    """A verbatim passage: ``text == document.text[start:end]``; ``n`` numbers its source."""

    n: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Source:
    n: int
    doc_id: str
    title: str
    start: int
    end: int
    position: str  # 第 x–y 字（约第 p 段）
    date: str = ""


@dataclass(frozen=True)
class KeyPoint:
    heading: str  # a short label taken from the quote (never a claim of its own)
    quotes: tuple[Quote, ...]
    term: str = ""  # the glossary term this point defines, if any
    parts: tuple[str, ...] = ()  # for a formula made of formulas: its parts


@dataclass(frozen=True)
class Story:
    heading: str  # who (人物) or the quote's first clause
    quote: Quote
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outline:
    topic: str
    points: tuple[KeyPoint, ...] = ()
    stories: tuple[Story, ...] = ()
    sources: tuple[Source, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.points and not self.stories

    def quotes(self) -> list[Quote]:
        return [q for p in self.points for q in p.quotes] + [s.quote for s in self.stories]


# ---------------------------------------------------------------------------------------------- helpers
def paragraph_number(text: str, start: int) -> int:
    """1-based number of the (non-empty) line that holds offset ``start``."""
    return sum(1 for line in text[:start].split("\n")[:-1] if line.strip()) + 1


def position_label(text: str, start: int, end: int) -> str:
    return f"第 {start + 1}–{end} 字（约第 {paragraph_number(text, start)} 段）"


def paragraph_bounds(text: str, start: int, end: int | None = None) -> tuple[int, int]:
    end = start if end is None else end
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, len(text) if hi < 0 else hi


def first_clause(text: str, limit: int = HEADING_CHARS) -> str:
    """The first clause of ``text`` as a short label (verbatim, cut at ``limit`` characters)."""
    text = text.strip().lstrip("”’」》)）,，。;；:：、 ")
    m = _CLAUSE_END.search(text)
    clause = (text[: m.start()] if m else text).strip()
    if len(clause) < 4 and m:  # “仅10个月时间” is fine; “贫困,” is not a heading
        rest = _CLAUSE_END.search(text, m.end())
        clause = text[: rest.start() if rest else len(text)].strip()
    if clause.count("“") == 1 and clause.startswith("“") and "”" not in clause:
        clause = clause[1:]  # an opening mark whose closing one is cut off
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"


def person_names(text: str) -> list[str]:
    """Personal names in ``text`` (jieba's nr words that start with a common surname, and 某 names)."""
    names: list[str] = []
    pos = 0
    for word, flag in pseg.lcut(text):
        at, pos = pos, pos + len(word)
        if not (flag.startswith("nr") and 2 <= len(word) <= 3 and word[0] in _SURNAMES) or word in names:
            continue
        if word[-1] in _PLACE_END or text[pos : pos + 1] in _PLACE_END:  # 李庄镇, 张家湾村: places
            continue
        # a two-character “name” must act like a person: it speaks, feels, or follows a role word
        if len(word) == 2 and not (_NAME_CONTEXT_AFTER.match(text[pos:]) or _ROLE_BEFORE.search(text[:at])):
            continue
        names.append(word)
    for m in re.finditer(r"[\u4e00-\u9fff]某(?:某)?", text):
        if m.group(0)[0] in _SURNAMES and m.group(0) not in names:
            names.append(m.group(0))
    return names


def _is_story(sentence: str) -> tuple[bool, list[str]]:
    names = person_names(sentence)
    if not names:
        return False, []
    return bool(_SPEECH.search(sentence) or _NARRATIVE.search(sentence)), names


@dataclass
class _Cand:
    doc: Document
    start: int
    end: int
    rank: int
    coverage: float
    context: float
    score: float = 0.0


class _Numberer:
    """Numbers sources 1..n in order of first use; the same span keeps its number."""

    def __init__(self) -> None:
        self.sources: dict[tuple[str, int, int], Source] = {}

    def quote(self, doc: Document, start: int, end: int) -> Quote:
        key = (doc.doc_id, start, end)
        src = self.sources.get(key)
        if src is None:
            src = Source(len(self.sources) + 1, doc.doc_id, doc.title, start, end,
                         position_label(doc.text, start, end), doc.date)
            self.sources[key] = src
        return Quote(src.n, doc.doc_id, doc.title, doc.text[start:end], start, end)


def _overlaps(a: tuple[str, int, int], used: list[tuple[str, int, int]]) -> bool:
    return any(a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for b in used)


def _clip_span(text: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """Shorten ``[start, end)`` to at most ``limit`` characters, ending at a sentence or clause."""
    if end - start <= limit:
        return start, end
    window = text[start : start + limit]
    for marks in ("。！？!?；;", "，,、"):
        cut = max(window.rfind(m) for m in marks)
        if cut > limit // 3:
            return start, start + cut + 1
    return start, start + limit


# ---------------------------------------------------------------------------------------------- outline
def build_outline(assistant, topic: str, max_points: int = MAX_POINTS, max_stories: int = MAX_STORIES) -> Outline:
    """The outline for ``topic`` from ``assistant``'s current index. Raises QuestionError for an
    empty or too long topic; a topic the corpus does not cover gives an empty outline with a note."""
    topic = assistant.check_question(topic)
    snap = assistant.snapshot  # one consistent index for the whole outline
    store, retriever = snap.store, snap.retriever
    query = retriever.parse(topic)
    hits = retriever.search_query(query, k=SEARCH_K)
    numberer = _Numberer()
    used: list[tuple[str, int, int]] = []
    points: list[KeyPoint] = []

    # 1. formulas the topic names: their definitions (or, for a formula of formulas, its parts)
    glossary = {normalize(name): term for name, term in store.glossary.items()}
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
            doc = store.documents.get(span.doc_id)
            if doc is None or _overlaps((span.doc_id, span.start, span.end), used):
                continue
            start, end = _clip_span(doc.text, span.start, span.end, MAX_QUOTE_CHARS)
            used.append((doc.doc_id, start, end))
            points.append(KeyPoint(f"“{t.term}”", (numberer.quote(doc, start, end),), term=t.term, parts=sub))

    # 2. the sentences that best cover the topic (and the narrative ones among them)
    candidates: list[_Cand] = []
    seen: set[tuple[str, int]] = set()
    norm_cache: dict[str, str] = {}
    for rank, hit in enumerate(hits, start=1):
        doc = store.documents.get(hit.chunk.doc_id)
        if doc is None:
            continue
        norm = norm_cache.setdefault(doc.doc_id, normalize(doc.text))
        lo, hi = paragraph_bounds(doc.text, hit.chunk.start, hit.chunk.end)
        context = retriever.coverage(query, norm[lo:hi])
        for s in split_sentences(doc.text, lo, hi):
            if (doc.doc_id, s.start) in seen:
                continue
            seen.add((doc.doc_id, s.start))
            cov = retriever.coverage(query, norm[s.start : s.end])
            c = _Cand(doc, s.start, s.end, rank, cov, context)
            c.score = cov + 0.35 * context + 0.12 / rank
            candidates.append(c)
    candidates.sort(key=lambda c: -c.score)
    relevant = [c for c in candidates if c.coverage >= MIN_FOCUS and c.context >= MIN_CONTEXT]

    by_paragraph: dict[tuple[str, int], list[_Cand]] = {}
    for c in relevant:
        by_paragraph.setdefault((c.doc.doc_id, paragraph_bounds(c.doc.text, c.start)[0]), []).append(c)
    story_spans: list[tuple[str, int, int]] = []
    for group in by_paragraph.values():
        if len(points) >= max_points:
            break
        best = [c for c in group if not _overlaps((c.doc.doc_id, c.start, c.end), used)][:2]
        best = [c for c in best if not _is_story(c.doc.text[c.start : c.end])[0]]
        if not best:
            continue
        best.sort(key=lambda c: c.start)
        quotes = []
        for c in best:
            start, end = _clip_span(c.doc.text, c.start, c.end, MAX_QUOTE_CHARS)
            used.append((c.doc.doc_id, start, end))
            quotes.append(numberer.quote(c.doc, start, end))
        points.append(KeyPoint(_heading(quotes[0].text, store.glossary, {p.heading for p in points}), tuple(quotes)))

    # 3. stories: narrative sentences near the topic, continued while the story goes on
    stories: list[Story] = []
    pool = [c for c in candidates if c.context >= MIN_CONTEXT or c.coverage >= MIN_FOCUS]
    for c in pool:
        if len(stories) >= max_stories:
            break
        sentence = c.doc.text[c.start : c.end]
        ok, names = _is_story(sentence)
        if not ok or _overlaps((c.doc.doc_id, c.start, c.end), used + story_spans):
            continue
        if any(set(names) & set(s.people) and s.quote.doc_id == c.doc.doc_id for s in stories):
            continue  # one story per person
        start, end = _extend_story(c.doc, c.start, c.end, names)
        start, end = _clip_span(c.doc.text, start, end, MAX_STORY_CHARS)
        if _overlaps((c.doc.doc_id, start, end), used + story_spans):
            continue
        story_spans.append((c.doc.doc_id, start, end))
        heading = "、".join(names[:3])
        stories.append(Story(heading, numberer.quote(c.doc, start, end), tuple(names)))

    notes: list[str] = []
    if not points and not stories:
        notes.append(f"资料中没有与“{topic}”相关的内容，无法生成提纲。请换一个资料中出现过的主题。")
    elif not stories:
        notes.append("资料中没有找到与该主题直接相关的人物事例。")
    sources = tuple(sorted(numberer.sources.values(), key=lambda s: s.n))
    return Outline(topic, tuple(points), tuple(stories), sources, tuple(notes))


def _heading(quote: str, glossary: dict, taken: set[str]) -> str:
    """A glossary formula the quote names (not yet a heading), else the quote's first clause."""
    for name in sorted(glossary, key=len, reverse=True):
        label = f"“{name}”"
        if name in quote and label not in taken and (glossary[name].definitions or glossary[name].parts):
            return label
    return first_clause(quote)


def _extend_story(doc: Document, start: int, end: int, names: list[str]) -> tuple[int, int]:
    """The story sentence with the quotation it attributes (the sentence before, when that is a
    quotation) and the following sentences that carry the story on (naming the same people, or
    opening with a quotation or a pronoun); a one-line paragraph continues into the next one."""
    text = doc.text
    lo, hi = paragraph_bounds(text, start, end)
    before = split_sentences(text, lo, start)
    if before and _SPEECH.search(text[start:end]) and "“" not in text[start:end]:
        prev = before[-1]
        if text[prev.start] in "“\"" and end - prev.start <= MAX_STORY_CHARS:
            start = prev.start
    while True:
        stopped = False
        for s in split_sentences(text, end, hi):
            nxt = text[s.start : s.end]
            if s.end - start > MAX_STORY_CHARS or not (any(n in nxt for n in names) or _CONTINUES.match(nxt)):
                stopped = True
                break
            end = s.end
        if stopped or end - start >= 60 or hi >= len(text):
            break
        lo, hi = paragraph_bounds(text, hi + 1)  # a short paragraph: the story goes on in the next one
        if lo >= hi:
            break
        if hi - start > MAX_STORY_CHARS:
            first = split_sentences(text, lo, hi)
            if not first or first[0].end - start > MAX_STORY_CHARS:
                break
        end = max(end, lo)
        continue
    return start, end


# ---------------------------------------------------------------------------------------------- export
_CN_NUMS = "一二三四五六七八九十"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(text: str) -> str:
    """Escape Markdown syntax so that the rendered quote shows the source text unchanged."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_quote(text: str, n: int) -> str:
    lines = [md_escape(line) for line in text.split("\n")]
    lines[-1] += f"[^{n}]"
    return "\n".join("> " + line for line in lines)


def outline_to_markdown(outline: Outline) -> str:
    out = [f"# 备课提纲：{md_escape(outline.topic)}", ""]
    out.append("> 本提纲由“案例知识助手”从资料原文摘录生成：引文均为原文，未作改写；脚注为出处。")
    out.append("")
    for note in outline.notes:
        out += [f"*{md_escape(note)}*", ""]
    section = 0
    if outline.points:
        out += [f"## {_CN_NUMS[section]}、要点", ""]
        section += 1
        for i, p in enumerate(outline.points, start=1):
            out += [f"### {i}. {md_escape(p.heading)}", ""]
            if p.parts:
                out += ["由" + "、".join(f"“{md_escape(x)}”" for x in p.parts) + "组成。", ""]
            for q in p.quotes:
                out += [_md_quote(q.text, q.n), ""]
    if outline.stories:
        out += [f"## {_CN_NUMS[section]}、典型事例", ""]
        for i, s in enumerate(outline.stories, start=1):
            out += [f"### 事例 {i}：{md_escape(s.heading)}", "", _md_quote(s.quote.text, s.quote.n), ""]
    if outline.sources:
        out += ["## 资料来源", ""]
        for src in outline.sources:
            date = f"，{src.date}" if src.date else ""
            out.append(f"[^{src.n}]: 《{md_escape(src.title)}》{date}，{src.position}")
        out.append("")
    return "\n".join(out)


def outline_to_docx(outline: Outline, path: str | Path) -> Path:
    """Write the outline as a Word document: quotes verbatim in the “Quote” style, each followed by
    its superscript source number; the numbered source list at the end."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), "宋体")
    document.core_properties.title = f"备课提纲：{outline.topic}"
    document.core_properties.subject = outline.topic
    document.core_properties.comments = "由案例知识助手从资料原文摘录生成；引文均为原文。"

    document.add_heading(f"备课提纲：{outline.topic}", level=0)
    intro = document.add_paragraph("本提纲由“案例知识助手”从资料原文摘录生成：引文均为原文，未作改写；上标数字对应文末“资料来源”。")
    intro.runs[0].italic = True
    for note in outline.notes:
        document.add_paragraph(note).runs[0].italic = True

    def add_quote(q: Quote) -> None:
        para = document.add_paragraph(style="Quote")
        para.add_run(q.text)
        mark = para.add_run(f"[{q.n}]")
        mark.font.superscript = True
        mark.font.color.rgb = RGBColor(0x1F, 0x4E, 0x99)

    section = 0
    if outline.points:
        document.add_heading(f"{_CN_NUMS[section]}、要点", level=1)
        section += 1
        for i, p in enumerate(outline.points, start=1):
            document.add_heading(f"{i}. {p.heading}", level=2)
            if p.parts:
                document.add_paragraph("由" + "、".join(f"“{x}”" for x in p.parts) + "组成。")
            for q in p.quotes:
                add_quote(q)
    if outline.stories:
        document.add_heading(f"{_CN_NUMS[section]}、典型事例", level=1)
        for i, s in enumerate(outline.stories, start=1):
            document.add_heading(f"事例 {i}：{s.heading}", level=2)
            add_quote(s.quote)
    if outline.sources:
        document.add_heading("资料来源", level=1)
        for src in outline.sources:
            date = f"，{src.date}" if src.date else ""
            para = document.add_paragraph(f"[{src.n}] 《{src.title}》{date}，{src.position}")
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


__all__ = [
    "KeyPoint",
    "Outline",
    "Quote",
    "Source",
    "Story",
    "build_outline",
    "first_clause",
    "md_escape",
    "outline_to_docx",
    "outline_to_markdown",
    "paragraph_number",
    "person_names",
    "position_label",
]
