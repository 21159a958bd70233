"""Word ``.docx`` → text: body paragraphs and table rows in document order, one a line (a row's
cells separated by tabs); empty paragraphs dropped. The title is the core-properties title, else
the first Heading-styled paragraph. (Old binary ``.doc`` files are not read: Word saves ``.docx``.)"""

from __future__ import annotations

import io
import re
from pathlib import Path

from .base import Extracted, LoaderError, ReadOptions, normalise_newlines

_HEADING_STYLE_RE = re.compile(r"^(heading|title|标题)", re.I)


def extract_docx(data: bytes, path: Path, options: ReadOptions) -> Extracted:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for bad files
        raise LoaderError(
            f"无法打开 Word 文件：{path.name}（{type(exc).__name__}）。文件可能已损坏或不是 .docx 格式；"
            "旧版 .doc 文件请用 Word 另存为 .docx 后重试。",
            path,
        ) from None

    lines: list[str] = []
    heading = ""

    def add_table(table: Table) -> None:
        for row in table.rows:
            cells: list[str] = []
            seen: set[int] = set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                    continue
                seen.add(id(cell._tc))
                cell_text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
                if cell_text:
                    cells.append(cell_text)
                for inner in cell.tables:
                    add_table(inner)
            if cells:
                lines.append("\t".join(cells))

    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            lines.append(text)
            if not heading:
                try:
                    style_name = para.style.name if para.style is not None else ""
                except Exception:
                    style_name = ""
                if style_name and _HEADING_STYLE_RE.match(style_name):
                    heading = text
        elif tag == "tbl":
            add_table(Table(child, document))

    title = (document.core_properties.title or "").strip() or heading
    return Extracted(normalise_newlines("\n".join(lines)), title=title)
