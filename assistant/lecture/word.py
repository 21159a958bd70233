"""An outline as a Word document (python-docx): quotes verbatim in the “Quote” style, each
followed by its superscript source number; the numbered source list at the end.

Word's XML cannot hold control characters (a form feed, a vertical tab or ESC in a scanned or
converted document): :func:`xml_text` makes each a space — a quote keeps its length and words —
where python-docx would refuse the whole outline."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .layout import Block, blocks, source_line
from .outline import Outline

SUPERSCRIPT_HINT = "上标数字对应文末“资料来源”。"
BODY_FONT, EAST_ASIAN_FONT, FONT_SIZE_PT = "Calibri", "宋体", 11
CITE_RGB = (0x1F, 0x4E, 0x99)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold replaced by spaces."""
    return _NOT_XML.sub(" ", text)


def _new_document(outline: Outline):
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(FONT_SIZE_PT)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    document.core_properties.title = xml_text(f"备课提纲：{outline.topic}")
    document.core_properties.subject = xml_text(outline.topic)
    document.core_properties.comments = "由案例知识助手从资料原文摘录生成；引文均为原文。"
    return document


def _add(document, b: Block) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import RGBColor

    if b.text:
        b = dataclasses.replace(b, text=xml_text(b.text))
    match b.kind:
        case "title":
            document.add_heading(b.text, level=0)
        case "intro":
            document.add_paragraph(b.text + SUPERSCRIPT_HINT).runs[0].italic = True
        case "note":
            document.add_paragraph(b.text).runs[0].italic = True
        case "section" | "sources":
            document.add_heading(b.text, level=1)
        case "heading":
            document.add_heading(b.text, level=2)
        case "parts":
            document.add_paragraph(b.text)
        case "quote":
            para = document.add_paragraph(style="Quote")
            para.add_run(xml_text(b.quote.text))
            mark = para.add_run(f"[{b.quote.n}]")
            mark.font.superscript = True
            mark.font.color.rgb = RGBColor(*CITE_RGB)
        case "source":
            para = document.add_paragraph(xml_text(f"[{b.source.n}] {source_line(b.source)}"))
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT
        case _:
            raise ValueError(f"unknown block kind {b.kind!r}")


def outline_to_docx(outline: Outline, path: str | Path) -> Path:
    """Write the outline as a Word document at ``path`` (folders created); returns the path."""
    document = _new_document(outline)
    for b in blocks(outline):
        _add(document, b)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
