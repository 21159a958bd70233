"""PDF files: the text layer, pages, and what happens to pages without one (assistant.loaders.pdf; pages are put together by assistant.loaders.pages)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from assistant.loaders import LoaderError, load_file
from assistant.settings import Settings
from tests.loader_fixtures import IMAGE_PDF_CONTENT, TEXT_PDF_CONTENT, make_pdf

NO_OCR = Settings.from_env(ocr=False)
OTHER_PAGE = b"BT /F1 12 Tf 72 720 Td (Second page: relocation of 4,300 people.) Tj ET"


def _joined(path: Path, *pdfs: bytes) -> Path:
    """One PDF of the pages of ``pdfs``, in order."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    writer.write(path)
    return path


def _image_only_pdf() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (600, 800), 255).save(buf, "PDF", resolution=72)
    return buf.getvalue()


def test_pdf_text_and_metadata_title(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf(TEXT_PDF_CONTENT, title="Annual Report"))
    [doc] = load_file(path)
    assert "Rural revitalization report" in doc.text
    assert "Poverty rate fell to zero in 2019." in doc.text
    assert doc.text.index("Rural") < doc.text.index("Poverty")
    assert doc.title == "Annual Report"

    untitled = tmp_path / "untitled.pdf"
    untitled.write_bytes(make_pdf(TEXT_PDF_CONTENT))
    assert load_file(untitled)[0].title == "untitled"


def test_every_page_has_its_start_offset(tmp_path):
    path = _joined(tmp_path / "two.pdf", make_pdf(TEXT_PDF_CONTENT), make_pdf(b""), make_pdf(OTHER_PAGE))
    [doc] = load_file(path, NO_OCR)
    assert doc.text == ("Rural revitalization report\nPoverty rate fell to zero in 2019.\n"
                        "Second page: relocation of 4,300 people.")
    second = doc.text.index("Second")
    assert doc.page_starts == (0, second - 1, second)  # page 2 is empty: it ends where page 1 ends
    assert doc.page_at(0) == 1 and doc.page_at(second) == 3 and doc.page_at(len(doc.text) - 1) == 3
    assert doc.ocr_pages == () and not doc.from_ocr(0, 5)


@pytest.mark.slow  # builds a real model folder, runs OCR or several processes: seconds, not milliseconds
def test_image_only_pdf_without_text_says_why(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(IMAGE_PDF_CONTENT, image=True))
    with pytest.raises(LoaderError) as info:
        load_file(path)  # OCR on: a blank grey square holds no text either
    message = str(info.value)
    assert "scan.pdf" in message and "扫描" in message and "OCR" in message and "也没有识别出文字" in message
    with pytest.raises(LoaderError, match="ASSISTANT_OCR=0"):
        load_file(path, NO_OCR)


def test_with_ocr_off_a_mixed_pdf_keeps_its_text_pages(tmp_path):
    path = _joined(tmp_path / "mixed.pdf", make_pdf(TEXT_PDF_CONTENT), _image_only_pdf())
    [doc] = load_file(path, NO_OCR)
    assert doc.text == "Rural revitalization report\nPoverty rate fell to zero in 2019."
    assert len(doc.page_starts) == 2 and doc.ocr_pages == ()


def test_corrupt_pdf_gives_a_clear_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnothing else here")
    with pytest.raises(LoaderError, match="broken.pdf"):
        load_file(path)
