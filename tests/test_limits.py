"""Limits that hold after decompression (issue 10: a 59 KB .docx of 40,000 identical paragraphs
held the app at full CPU for 14+ minutes). Characters, pages and unpacked size are checked while a
file is parsed; chunks before anything is embedded; the rest of a batch goes on."""

from __future__ import annotations

import io
import zipfile

import pytest

from assistant.limits import check_upload_chars, within_limits
from assistant.loaders import LoaderError, load_paths
from assistant.schema import Document, content_hash
from assistant.settings import Settings

PARAGRAPH = "江口县坚持以脱贫攻坚统揽经济社会发展全局，全县干部群众拧成一股绳，苦干实干。"


def docx_bytes(paragraphs: int, text: str = PARAGRAPH, padding_mb: int = 0) -> bytes:
    import docx

    d = docx.Document()
    for _ in range(paragraphs):
        d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    if not padding_mb:
        return buf.getvalue()
    out = io.BytesIO()  # the same document with a member that unpacks to padding_mb of zeros
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/media/padding.bin", bytes(padding_mb * 1024 * 1024))
    return out.getvalue()


@pytest.mark.slow  # builds and parses a 40,000-paragraph .docx: ~12 s
def test_the_issues_docx_bomb_is_refused_while_it_is_parsed(tmp_path):
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(docx_bytes(40_000))  # ~60 KB on disk, 1.8 M characters inside
    good = tmp_path / "good.txt"
    good.write_text(PARAGRAPH, encoding="utf-8")
    docs, errors = load_paths([bomb, good], Settings.from_env())
    assert bomb.stat().st_size < 100_000
    assert [d.title for d in docs] == ["good"]  # the rest of the batch is read
    assert len(errors) == 1 and str(errors[0]).startswith("文档过长：bomb.docx")
    assert "ASSISTANT_MAX_DOCUMENT_CHARS" in str(errors[0])


def test_a_docx_that_unpacks_past_the_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "padded.docx"
    path.write_bytes(docx_bytes(3, padding_mb=8))
    docs, errors = load_paths([path], Settings.from_env(max_unpacked_mb=5))
    assert not docs and "解压后过大" in str(errors[0]) and "ASSISTANT_MAX_UNPACKED_MB" in str(errors[0])
    docs, errors = load_paths([path], Settings.from_env(max_unpacked_mb=50))
    assert docs and not errors


def test_a_long_text_file_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(PARAGRAPH * 100, encoding="utf-8")
    docs, errors = load_paths([path], Settings.from_env(max_document_chars=1000))
    assert not docs and str(errors[0]).startswith("文档过长：long.txt")


def test_pdf_pages_and_tiff_frames_are_counted_before_they_are_read(tmp_path):
    from PIL import Image
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(4):
        writer.add_blank_page(200, 200)
    pdf = tmp_path / "four.pdf"
    with open(pdf, "wb") as fh:
        writer.write(fh)
    tiff = tmp_path / "four.tiff"
    frames = [Image.new("RGB", (50, 50), "white") for _ in range(4)]
    frames[0].save(tiff, save_all=True, append_images=frames[1:])
    docs, errors = load_paths([pdf, tiff], Settings.from_env(max_document_pages=3))
    assert not docs and all(str(e).startswith("页数过多") for e in errors) and len(errors) == 2


def test_a_jsonl_line_over_the_limit_is_skipped_and_the_others_kept(tmp_path):
    import json

    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": PARAGRAPH * n}, ensure_ascii=False)
                              for i, n in ((1, 1), (2, 50), (3, 1))), encoding="utf-8")
    docs, errors = load_paths([path], Settings.from_env(max_document_chars=1000))
    assert [d.doc_id for d in docs] == ["1", "3"] and "第 2 行" in str(errors[0])


def _doc(text: str) -> Document:
    return Document(content_hash(text), "长文", "x.txt", text)


def test_documents_over_the_chunk_limit_are_refused_before_embedding():
    settings = Settings.from_env(max_document_chunks=5)
    small, big = _doc(PARAGRAPH), _doc("。".join([PARAGRAPH] * 40))
    kept, errors = within_limits([small, big], known=(), settings=settings)
    assert kept == [small] and "ASSISTANT_MAX_DOCUMENT_CHUNKS" in str(errors[0]) and "《长文》" in str(errors[0])
    kept, errors = within_limits([big], known={big.doc_id}, settings=settings)  # already indexed: kept
    assert kept == [big] and not errors


def test_an_upload_over_the_character_limit_is_refused_as_a_whole():
    settings = Settings.from_env(max_upload_chars=100)
    check_upload_chars([_doc(PARAGRAPH)], settings)
    with pytest.raises(LoaderError, match="ASSISTANT_MAX_UPLOAD_CHARS"):
        check_upload_chars([_doc(PARAGRAPH)] * 4, settings)
