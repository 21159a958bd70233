"""PDF files: the text layer, pages, and what happens to pages without one (assistant.loaders.pdf)."""

from __future__ import annotations

import pytest

from assistant.loaders import LoaderError, load_file
from tests.loader_fixtures import IMAGE_PDF_CONTENT, TEXT_PDF_CONTENT, make_pdf


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


def test_image_only_pdf_asks_for_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(IMAGE_PDF_CONTENT, image=True))
    with pytest.raises(LoaderError) as info:
        load_file(path)
    message = str(info.value)
    assert "scan.pdf" in message and "扫描" in message and "OCR" in message


def test_corrupt_pdf_gives_a_clear_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnothing else here")
    with pytest.raises(LoaderError, match="broken.pdf"):
        load_file(path)
