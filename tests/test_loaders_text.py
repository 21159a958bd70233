"""Plain text and Markdown: encodings, verbatim text, titles (assistant.loaders.text)."""

from __future__ import annotations

import random

import pytest

from assistant.loaders import SUPPORTED_SUFFIXES, LoaderError, decode_bytes, load_file, read_text_file
from assistant.schema import content_hash
from tests.loader_fixtures import EXE_BYTES, PNG_HEADER, ZH


def test_gbk_txt_is_decoded(tmp_path):
    data = ZH.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fixture really is not UTF-8
    path = tmp_path / "gbk.txt"
    path.write_bytes(data)
    assert read_text_file(path) == ZH
    [doc] = load_file(path)
    assert doc.text == ZH
    assert doc.title == "gbk"  # no sidecar, no heading → the stem
    assert doc.doc_id == content_hash(ZH)
    assert doc.source == str(path)
    assert doc.date == ""


def test_gb18030_only_characters_are_decoded(tmp_path):
    text = "姓氏“𠮷”与“㐀”只在 GB18030 中有编码，村民名册照录。\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")  # needs GB18030's four-byte sequences
    path = tmp_path / "gb18030.txt"
    path.write_bytes(text.encode("gb18030"))
    assert load_file(path)[0].text == text


@pytest.mark.parametrize("encoding,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_with_bom(tmp_path, encoding, bom):
    path = tmp_path / "u16.txt"
    path.write_bytes(bom + ZH.encode(encoding))
    assert b"\x00" in path.read_bytes()  # NUL bytes that the BOM explains
    assert load_file(path)[0].text == ZH


def test_utf8_bom_is_stripped_and_crlf_normalised(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ZH.replace("\n", "\r\n").encode("utf-8"))
    [doc] = load_file(path)
    assert doc.text == ZH
    assert not doc.text.startswith("\ufeff")
    assert "\r" not in doc.text


def test_text_is_verbatim_not_stripped(tmp_path):
    text = "  开头有空格\n\n\t中间空行与制表符  \n结尾也有换行\n\n"
    path = tmp_path / "verbatim.txt"
    path.write_text(text, encoding="utf-8")
    assert load_file(path)[0].text == text


@pytest.mark.parametrize("text", ["中文", "江口县", "脱贫攻坚", "村民名册", "乡村振兴见成效"])
def test_short_gbk_text_is_tried_as_gb18030_before_guessing(text):
    # charset-normalizer alone guesses Big5/CP949/UTF-16 for these; GB18030 must come first
    assert decode_bytes(text.encode("gbk"), "short.txt") == text


def test_a_western_file_is_read_as_cp1252_not_as_chinese_mojibake():
    data = "Le café est très bon à Paris, où les garçons déjeunent. Ça coûte cher.".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb18030")  # neither UTF-8 nor GB18030
    text = decode_bytes(data, "latin.txt")
    assert "café" in text and "garçons" in text


def test_empty_and_whitespace_files_give_a_clear_error(tmp_path):
    cases = [("empty.txt", b""), ("blank.md", b" \n\t\r\n  "), ("bom-only.txt", b"\xef\xbb\xbf\n"),
             ("empty.docx", b""), ("empty.pdf", b""), ("blank.html", b"\n\n")]
    for name, data in cases:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(LoaderError) as info:
            load_file(path)
        assert str(info.value).startswith("文件为空")
        assert name in str(info.value)
        assert info.value.path == str(path)


@pytest.mark.parametrize("name,data", [
    ("random.txt", random.Random(7).randbytes(4000) + b"\x00\x00\x00"),
    ("image.txt", PNG_HEADER + random.Random(1).randbytes(500)),
    ("program.md", EXE_BYTES),
])
def test_binary_file_gives_a_clear_error(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoaderError) as info:
        load_file(path)
    assert "无法识别文件编码或不是文本文件" in str(info.value)
    assert name in str(info.value)
    with pytest.raises(LoaderError):
        decode_bytes(data, name)


def test_control_characters_without_nul_are_binary():
    data = bytes(range(1, 32)) * 20 + "少量中文".encode("utf-8")
    with pytest.raises(LoaderError, match="无法识别文件编码"):
        decode_bytes(data, "ctrl.txt")


def test_loader_error_is_a_value_error():
    assert issubclass(LoaderError, ValueError)
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".jsonl",
                                  ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")




def test_markdown_title_from_first_heading(tmp_path):
    text = "引言文字。\n\n```\n# 代码里的注释不是标题\n```\n\n## 江口县的脱贫之路 ##\n\n正文。\n# 后面的一级标题\n"
    path = tmp_path / "note.md"
    path.write_text(text, encoding="utf-8")
    [doc] = load_file(path)
    assert doc.title == "江口县的脱贫之路"
    assert doc.text == text  # Markdown is kept verbatim


def test_markdown_without_heading_uses_stem(tmp_path):
    path = tmp_path / "无标题笔记.markdown"
    path.write_text("只有正文，#不是标题。\n", encoding="utf-8")
    assert load_file(path)[0].title == "无标题笔记"
