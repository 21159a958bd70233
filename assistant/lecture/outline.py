"""The outline model: what :func:`~assistant.lecture.build.build_outline` produces and every
renderer (Markdown, Word, the web page) reads. Every quote is ``document.text[start:end]``;
headings are short labels taken from the quotes, never claims of their own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LectureConfig:  # defaults and meanings: the “lecture outlines” block of Settings
    lecture_max_points: int
    lecture_max_stories: int
    lecture_max_quote_chars: int
    lecture_max_story_chars: int
    lecture_search_k: int
    lecture_min_focus: float
    lecture_min_context: float


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
