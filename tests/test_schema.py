"""Document metadata for pages and OCR: round trip through the index's JSON, pages of offsets,
citations given their page (assistant.schema)."""

from __future__ import annotations

import json

from assistant.schema import Answer, Citation, Document

PAGED = Document("d1", "扫描件", "scan.pdf", "第一页。\n第二页。\n第三页。", page_starts=(0, 5, 10), ocr_pages=(2, 3),
                 low_confidence=((5, 8),), author="郭进", url="http://example.cn/a")


def test_a_document_survives_the_index_json():
    again = Document(**json.loads(json.dumps(PAGED.to_dict(), ensure_ascii=False)))
    assert again == PAGED and again.page_starts == (0, 5, 10) and again.low_confidence == ((5, 8),)
    hash(again)  # still usable as a frozen value
    old = {"doc_id": "d0", "title": "t", "source": "a.txt", "text": "正文。", "date": ""}  # an INDEX_FORMAT 1 line
    assert Document(**old).page_starts == () and Document(**old).page_at(0) is None


def test_pages_ocr_and_doubts_follow_from_offsets():
    assert [PAGED.page_at(i) for i in (0, 4, 5, 9, 10, 14)] == [1, 1, 2, 2, 3, 3]
    assert not PAGED.from_ocr(0, 4) and PAGED.from_ocr(5, 9) and PAGED.from_ocr(3, 7)
    assert PAGED.uncertain(6, 7) and not PAGED.uncertain(8, 12)


def test_citations_get_their_page():
    cite = Citation(1, "d1", "扫描件", "第二页。", 5, 9, 0.5)
    other = Citation(2, "gone", "已删除", "x", 0, 1, 0.1)
    answer = Answer("问？", "第二页。[1]", citations=(cite, other)).with_pages({"d1": PAGED})
    assert [c.page for c in answer.citations] == [2, None]
    assert answer.to_dict()["citations"][0]["page"] == 2
