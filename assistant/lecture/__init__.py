"""Lecture preparation for trainers: a topic in, a structured outline out — key points and typical
stories, every quote ``document.text[start:end]`` (verbatim, never rewritten) with a numbered
source.

- :mod:`.outline` — the model (Outline, KeyPoint, Story, Quote, Source) and its LectureConfig;
- :mod:`.build` — :func:`build_outline` from the index; :mod:`.stories` finds the narrative ones;
- :mod:`.layout` — the outline as blocks, the one layout every format renders;
- :mod:`.markdown`, :mod:`.word` — the exports (the web page's HTML is rendered in ``ui/prep``)."""

from .build import build_outline, first_clause, position_label
from .layout import Block, blocks, source_line
from .markdown import md_escape, outline_to_markdown
from .outline import KeyPoint, LectureConfig, Outline, Quote, Source, Story
from .stories import story_people
from .word import outline_to_docx

__all__ = [
    "Block",
    "KeyPoint",
    "LectureConfig",
    "Outline",
    "Quote",
    "Source",
    "Story",
    "blocks",
    "build_outline",
    "first_clause",
    "md_escape",
    "outline_to_docx",
    "outline_to_markdown",
    "position_label",
    "source_line",
    "story_people",
]
