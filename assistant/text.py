"""Small text helpers that several parts of the assistant share, written once: where a sentence
or clause ends, the paragraph around an offset, the ``[n]`` citation markers of an answer, and
the people a text names.

:func:`clean_input` is the one cleaning of text typed by a user (a question, a search, a topic):
control characters, NUL and lone surrogates dropped, so no component downstream chokes on them.

Kept free of any index or UI: chunking, the lecture outline, the conversation and the web app all
read Chinese text the same way through these."""

from __future__ import annotations

import re
from collections.abc import Iterator

# ---------------------------------------------------------------------------------------------- user input
# characters no typed text needs and some components choke on (opencc, lxml, UTF-8 output): C0/C1
# controls except tab and line breaks, lone surrogates, the BOM; vertical tab and form feed count as spaces
_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")
_AS_SPACE = re.compile(r"[\x0b\x0c]")
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_input(text: str) -> str:
    """``text`` typed by a user without control characters, NUL and lone surrogates."""
    return _DROPPED.sub("", _AS_SPACE.sub(" ", text))


# ---------------------------------------------------------------------------------------------- sentences
SENTENCE_ENDS = "。！？；!?;…"  # a sentence ends after one of these (and any closing marks after it)
CLOSING_MARKS = "”’」』）)】"  # closing quotes and brackets that stay with the sentence they close
STRONG_ENDS = "。！？!?；;"  # where a long quote is best cut (a whole sentence or clause group)
WEAK_ENDS = "，,、"  # … else at a comma
CLAUSE_END = re.compile(r"[，,。；;：:！!？?\n]")  # the end of a clause (a short label stops here)


def clip_span(text: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """``[start, end)`` shortened to at most ``limit`` characters, ending after a sentence end,
    else after a comma (when that keeps a third of the limit), else hard at the limit."""
    if end - start <= limit:
        return start, end
    window = text[start : start + limit]
    for marks in (STRONG_ENDS, WEAK_ENDS):
        cut = max(window.rfind(m) for m in marks)
        if cut > limit // 3:
            return start, start + cut + 1
    return start, start + limit


# ---------------------------------------------------------------------------------------------- paragraphs
def paragraph_bounds(text: str, start: int, end: int | None = None) -> tuple[int, int]:
    """``(lo, hi)`` of the line (paragraph) holding ``text[start:end]``: from after the line break
    before ``start`` to the line break after ``end`` (or the text's ends)."""
    end = start if end is None else end
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, len(text) if hi < 0 else hi


def paragraph_number(text: str, start: int) -> int:
    """1-based number of the (non-empty) line that holds offset ``start``."""
    return sum(1 for line in text[:start].split("\n")[:-1] if line.strip()) + 1


# ---------------------------------------------------------------------------------------------- citations
CITATION_MARKER = re.compile(r"\[(\d+)\]")  # an answer's citation marker: [1], [12]


def cited_numbers(text: str) -> list[int]:
    """The numbers of the ``[n]`` markers in ``text``, in order (repeats kept)."""
    return [int(m) for m in CITATION_MARKER.findall(text)]


def without_markers(text: str, replacement: str = "") -> str:
    """``text`` with its ``[n]`` markers replaced (removed by default)."""
    return CITATION_MARKER.sub(replacement, text)


def marker_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """``(start, end, n)`` of every ``[n]`` marker in ``text``."""
    for m in CITATION_MARKER.finditer(text):
        yield m.start(), m.end(), int(m.group(1))


# ---------------------------------------------------------------------------------------------- people
def person_names(text: str) -> list[str]:
    """The people ``text`` names, each once, in order of appearance: the spans of
    :func:`assistant.answer_types.persons` (the one name detector) of two characters or more,
    a name dropped when it overlaps one found before it (杨华 and 杨华祥)."""
    from .answer_types import persons  # jieba's tagger, loaded only when names are asked for

    out: list[str] = []
    for s in persons(text):
        name = s.text.strip()
        if len(name) >= 2 and not any(name in o or o in name for o in out):
            out.append(name)
    return out


__all__ = ["CITATION_MARKER", "CLAUSE_END", "CLOSING_MARKS", "SENTENCE_ENDS", "STRONG_ENDS", "WEAK_ENDS",
           "cited_numbers", "clip_span", "marker_spans", "paragraph_bounds", "paragraph_number", "person_names",
           "without_markers"]
