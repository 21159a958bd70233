"""The outline's layout, decided once for every format: which headings, in which order, where
the notes, quotes and sources go. Each renderer (Markdown, Word, the web page) only says how a
block of each kind looks in its format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .outline import Outline, Quote, Source

SECTION_NUMBERS = "一二三四五六七八九十"
INTRO = "本提纲由“案例知识助手”从资料原文摘录生成：引文均为原文，未作改写。"

BlockKind = Literal["title", "intro", "note", "section", "heading", "parts", "quote", "sources", "source"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str = ""  # title, intro, note, section, heading and parts: the plain text shown
    quote: Quote | None = None  # kind "quote"
    source: Source | None = None  # kind "source"


def blocks(outline: Outline) -> list[Block]:
    """The outline as a flat list of blocks, in reading order."""
    out = [Block("title", f"备课提纲：{outline.topic}"), Block("intro", INTRO)]
    out += [Block("note", note) for note in outline.notes]
    sections = iter(SECTION_NUMBERS)
    if outline.points:
        out.append(Block("section", f"{next(sections)}、要点"))
        for i, p in enumerate(outline.points, start=1):
            out.append(Block("heading", f"{i}. {p.heading}"))
            if p.parts:
                out.append(Block("parts", "由" + "、".join(f"“{x}”" for x in p.parts) + "组成。"))
            out += [Block("quote", quote=q) for q in p.quotes]
    if outline.stories:
        out.append(Block("section", f"{next(sections)}、典型事例"))
        for i, s in enumerate(outline.stories, start=1):
            out += [Block("heading", f"事例 {i}：{s.heading}"), Block("quote", quote=s.quote)]
    if outline.sources:
        out.append(Block("sources", "资料来源"))
        out += [Block("source", source=src) for src in outline.sources]
    return out


def source_line(src: Source) -> str:
    """《title》，date，position — the source as one line of text."""
    date = f"，{src.date}" if src.date else ""
    return f"《{src.title}》{date}，{src.position}"
