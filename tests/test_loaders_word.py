"""Word .docx files (assistant.loaders.word)."""

from __future__ import annotations

import pytest

from assistant.loaders import LoaderError, load_file
from assistant.schema import content_hash
from tests.loader_fixtures import make_docx


def test_docx_paragraphs_and_table(tmp_path):
    path = make_docx(tmp_path / "报告.docx")
    [doc] = load_file(path)
    assert doc.text.split("\n") == [
        "江口县脱贫报告",
        "全县贫困发生率降至零，群众认可度位居全省前列。",
        "指标\t数值",
        "认可度\t百分之九十九",
        "表后的段落。",
    ]
    assert doc.title == "江口县脱贫报告"  # first Heading-styled paragraph
    assert doc.doc_id == content_hash(doc.text)


def test_docx_core_title_wins(tmp_path):
    path = make_docx(tmp_path / "report.docx", core_title="核心属性标题")
    assert load_file(path)[0].title == "核心属性标题"


def test_corrupt_docx_gives_a_clear_error(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(LoaderError, match="无法打开 Word 文件：broken.docx"):
        load_file(path)
