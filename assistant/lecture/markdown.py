"""An outline as Markdown: quotes as block quotes with footnote markers, the sources as the
footnotes. Markdown syntax in the text is escaped, so the rendered quote is the source text."""

from __future__ import annotations

import re

from .layout import Block, blocks, source_line
from .outline import Outline

FOOTNOTE_HINT = "脚注为出处。"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(text: str) -> str:
    """Escape Markdown syntax so that the rendered quote shows the source text unchanged."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _quote(text: str, n: int) -> str:
    lines = [md_escape(line) for line in text.split("\n")]
    lines[-1] += f"[^{n}]"
    return "\n".join("> " + line for line in lines)


def _block(b: Block) -> list[str]:
    match b.kind:
        case "title":
            return [f"# {md_escape(b.text)}", ""]
        case "intro":
            return [f"> {b.text}{FOOTNOTE_HINT}", ""]
        case "note":
            return [f"*{md_escape(b.text)}*", ""]
        case "section" | "sources":
            return [f"## {md_escape(b.text)}", ""]
        case "heading":
            return [f"### {md_escape(b.text)}", ""]
        case "parts":
            return [md_escape(b.text), ""]
        case "quote":
            return [_quote(b.quote.text, b.quote.n), ""]
        case "source":
            return [f"[^{b.source.n}]: {md_escape(source_line(b.source))}"]
    raise ValueError(f"unknown block kind {b.kind!r}")


def outline_to_markdown(outline: Outline) -> str:
    out: list[str] = []
    for b in blocks(outline):
        out += _block(b)
    if outline.sources:
        out.append("")
    return "\n".join(out)
