"""Files that loader tests build at run time: a minimal valid PDF, a Word file, zips, binary noise.

Imported by the tests/test_loaders_*.py modules; every fixture is generated, nothing is checked in."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from assistant.settings import PROJECT_ROOT

SEED = PROJECT_ROOT / "corpus" / "000_549b184018a73f24.txt"
SEED_TITLE = "江口县：从“贫困标签”到“脱贫样板”"
NEWS = PROJECT_ROOT.parent / "shared" / "corpus-news" / "rural-news.jsonl"

ZH = "江口县坚持把脱贫攻坚作为头等大事，群众认可度达到百分之九十九。\n驻村干部走村入户，摸清底数。\n"


def make_pdf(content: bytes | None, *, title: str | None = None, image: bool = False) -> bytes:
    """A minimal, valid one-page PDF with a correct xref table. ``content`` is the page's content
    stream; text uses the standard Type1 font Helvetica. ``image`` adds a 1×1 image XObject."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >>" + (b" /XObject << /Im1 6 0 R >>" if image else b"")
        + b" >> >>",
        b"<< /Length %d >>\nstream\n" % len(content or b"") + (content or b"") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if image:
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream"
        )
    if title is not None:
        objects.append(b"<< /Title (" + title.encode("ascii") + b") /Producer (test) >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if title is not None:
        trailer += b" /Info %d 0 R" % len(objects)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


TEXT_PDF_CONTENT = (
    b"BT /F1 18 Tf 72 720 Td (Rural revitalization report) Tj ET\n"
    b"BT /F1 12 Tf 72 690 Td (Poverty rate fell to zero in 2019.) Tj ET"
)
IMAGE_PDF_CONTENT = b"q 200 0 0 200 100 400 cm /Im1 Do Q\n0 0 1 rg 50 50 100 100 re f"


def make_docx(path: Path, *, core_title: str = "") -> Path:
    import docx

    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    document.add_paragraph("")  # an empty paragraph is dropped
    document.add_heading("江口县脱贫报告", level=1)
    document.add_paragraph("全县贫困发生率降至零，群众认可度位居全省前列。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "指标"
    table.cell(0, 1).text = "数值"
    table.cell(1, 0).text = "认可度"
    table.cell(1, 1).text = "百分之九十九"
    document.add_paragraph("表后的段落。")
    document.save(str(path))
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4
