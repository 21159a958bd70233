"""Domain terms found in the corpus itself: the numbered formulas (四拼四争, 一学二访三会四评,
三个四, 四个下沉, 八大攻坚战 …), where each is defined, and which formulas a formula is made of.

Nothing here lists this article's phrases: terms are patterns of the text (a quoted phrase with
a Chinese numeral, or 「numeral + 大 + noun」), definitions are the sentences that introduce a
term (“X”: …, X即…, “…”的“X”), and parts come from the numbering itself (三个四 → the terms that
start with 四个)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .chunking import split_sentences
from .schema import Document
from .text import paragraph_bounds

NUMERALS = "一二三四五六七八九十两百千"
_QUOTED = re.compile(r"“([^“”\n,，。;；:：!?！？]{2,16})”")
_UNQUOTED = re.compile(rf"[{NUMERALS}]大[\u4e00-\u9fff]{{2,3}}(?=[，,。;；:：、“”\s])")
_NUMBERED = re.compile(rf"[{NUMERALS}]")
_DEF_AFTER = re.compile(r"^[”\"]?[\u4e00-\u9fff]{0,6}[,，]?\s*(?:[:：]|即|就是|是指|指的是|包括|主要是)")
MAX_DEFINITION_CHARS = 320


@dataclass(frozen=True)
class TermSpan:
    doc_id: str
    start: int
    end: int


@dataclass
class Term:
    term: str
    doc_ids: list[str] = field(default_factory=list)
    definitions: list[TermSpan] = field(default_factory=list)  # sentences that define it
    mentions: list[TermSpan] = field(default_factory=list)  # sentences that mention it
    parts: list[str] = field(default_factory=list)  # sub-formulas, e.g. 三个四 → 四个下沉 …

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Term":
        return cls(
            term=d["term"],
            doc_ids=list(d.get("doc_ids", [])),
            definitions=[TermSpan(**s) for s in d.get("definitions", [])],
            mentions=[TermSpan(**s) for s in d.get("mentions", [])],
            parts=list(d.get("parts", [])),
        )


def _is_formula(phrase: str) -> bool:
    core = phrase.replace("、", "")
    if not _NUMBERED.search(core):
        return False
    cjk = sum(1 for ch in core if "\u4e00" <= ch <= "\u9fff")
    return cjk == len(core) and 2 <= len(core) <= 14


def find_terms(text: str) -> list[str]:
    """Numbered formulas in ``text``, in order of first appearance."""
    seen: dict[str, None] = {}
    for m in _QUOTED.finditer(text):
        if _is_formula(m.group(1)):
            seen.setdefault(m.group(1))
    for m in _UNQUOTED.finditer(text):
        seen.setdefault(m.group(0))
    return list(seen)


def _defines(text: str, sent_start: int, sent_end: int, term: str) -> bool:
    sent = text[sent_start:sent_end]
    for m in re.finditer(re.escape(term), sent):
        after = sent[m.end() :]
        if _DEF_AFTER.match(after):
            return True
        before = sent[: m.start()].rstrip("“")
        # “甲,乙,丙”的“X” / “甲、乙”X : an enumeration in quotes right before the term
        if re.search(r"”(?:的|等)?$", before) and ("," in before or "，" in before or "、" in before):
            return True
        # …明确了“甲、乙……”八大攻坚战 / 实施甲、乙、丙三大战略
        tail = re.split(r"[,，:：;；]", before)[-1]
        if "、" in tail and re.search(r"[\u4e00-\u9fff”]$", tail):
            return True
    return False


def _extend_to_paragraph(text: str, span: TermSpan, name: str) -> TermSpan:
    """A definition that opens with “X”: runs to the end of its paragraph (its list)."""
    sent = text[span.start : span.end]
    if not re.match(rf"^“?{re.escape(name)}”?[:：]", sent):
        return span
    line_end = paragraph_bounds(text, span.start, span.end)[1]
    end = min(line_end, span.start + MAX_DEFINITION_CHARS)
    return TermSpan(span.doc_id, span.start, max(end, span.end))


def build_glossary(documents: list[Document]) -> dict[str, Term]:
    terms: dict[str, Term] = {}
    for doc in documents:
        names = find_terms(doc.text)
        if not names:
            continue
        sentences = split_sentences(doc.text)
        for name in names:
            t = terms.setdefault(name, Term(term=name))
            if doc.doc_id not in t.doc_ids:
                t.doc_ids.append(doc.doc_id)
            for s in sentences:
                if name not in doc.text[s.start : s.end]:
                    continue
                span = TermSpan(doc.doc_id, s.start, s.end)
                t.mentions.append(span)
                if _defines(doc.text, s.start, s.end, name):
                    t.definitions.append(_extend_to_paragraph(doc.text, span, name))
    # parts: “三个四” is made of the terms that begin with 四个 (in the same documents)
    for t in terms.values():
        m = re.fullmatch(rf"([{NUMERALS}])个([{NUMERALS}])", t.term)
        if not m:
            continue
        prefix = m.group(2) + "个"
        t.parts = [
            o.term
            for o in terms.values()
            if o.term.startswith(prefix)
            and not re.fullmatch(rf"[{NUMERALS}]个[{NUMERALS}]", o.term)
            and set(o.doc_ids) & set(t.doc_ids)
        ]
    return terms


def terms_in(text: str, glossary: dict[str, Term]) -> list[str]:
    """Glossary terms that occur in ``text``, longest first, without overlaps."""
    found = sorted((t for t in glossary if t in text), key=len, reverse=True)
    kept: list[str] = []
    for t in found:
        if not any(t in k for k in kept):
            kept.append(t)
    return kept
