"""Word ``.docx`` → text: body paragraphs and table rows in document order, one a line (a row's
cells separated by tabs); empty paragraphs dropped. The title is the core-properties title, else
the first Heading-styled paragraph. (Old binary ``.doc`` files are not read: Word saves ``.docx``.)

A ``.docx`` is a zip: its unpacked size is checked before anything is parsed (``max_unpacked_mb``)
and the text's length while it is read (``max_document_chars``), and a paragraph's style is looked
up by its id in one table — python-docx's own lookup scans every style for every paragraph, which
made 40,000 paragraphs take hours."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from .base import Extracted, LoaderError, ReadOptions, normalise_newlines, too_long

_HEADING_STYLE_RE = re.compile(r"^(heading|title|标题)", re.I)


def check_unpacked(data: bytes, path: Path, limit_mb: int) -> None:
    """Refuse a zip whose members would unpack to more than ``limit_mb`` (a decompression bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            size = sum(max(0, info.file_size) for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: python-docx says so below
    if size > limit_mb * 1024 * 1024:
        raise LoaderError(f"Word 文件解压后过大：{path.name} 只有 {len(data) / 1024:.0f} KB，解压后却有 "
                          f"{size / 1024 / 1024:.0f} MB，超过 {limit_mb} MB 的上限（ASSISTANT_MAX_UNPACKED_MB）。"
                          "这可能是异常构造的文件；请用 Word 打开后另存一份再上传。", path)


def _style_names(document) -> dict[str, str]:
    try:
        return {s.style_id: s.name or "" for s in document.styles}
    except Exception:  # noqa: BLE001 - a broken styles part: no headings, still the text
        return {}


def extract_docx(data: bytes, path: Path, options: ReadOptions) -> Extracted:
    check_unpacked(data, path, options.max_unpacked_mb)
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
    styles = _style_names(document)
    budget = [options.max_document_chars]

    def add(line: str) -> None:
        budget[0] -= len(line) + 1
        if budget[0] < 0:
            raise too_long(path, options.max_document_chars - budget[0], options.max_document_chars)
        lines.append(line)

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
                add("\t".join(cells))

    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            add(text)
            if not heading:
                style_name = styles.get(child.style or "", "") if hasattr(child, "style") else ""
                if style_name and _HEADING_STYLE_RE.match(style_name):
                    heading = text
        elif tag == "tbl":
            add_table(Table(child, document))

    title = (document.core_properties.title or "").strip() or heading
    return Extracted(normalise_newlines("\n".join(lines)), title=title)
