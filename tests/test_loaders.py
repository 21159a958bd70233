"""Tests for assistant.loaders: every fixture is generated in tmp_path at run time."""

from __future__ import annotations

import io
import json
import random
import time
import zipfile
from pathlib import Path

import pytest

from assistant.loaders import (
    SUPPORTED_SUFFIXES,
    LoaderError,
    decode_bytes,
    load_file,
    load_jsonl,
    load_paths,
    read_text_file,
    sniff_kind,
)
from assistant.schema import content_hash
from assistant.settings import PROJECT_ROOT

SEED = PROJECT_ROOT / "corpus" / "000_549b184018a73f24.txt"
SEED_TITLE = "江口县：从“贫困标签”到“脱贫样板”"
NEWS = PROJECT_ROOT.parent / "shared" / "corpus-news" / "rural-news.jsonl"

ZH = "江口县坚持把脱贫攻坚作为头等大事，群众认可度达到百分之九十九。\n驻村干部走村入户，摸清底数。\n"


# --------------------------------------------------------------------------- fixture builders

def _pdf(content: bytes | None, *, title: str | None = None, image: bool = False) -> bytes:
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


def _docx(path: Path, *, core_title: str = "") -> Path:
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


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4


# --------------------------------------------------------------------------- encodings

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


def test_charset_normalizer_is_the_last_resort():
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
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".jsonl")


# --------------------------------------------------------------------------- Markdown and HTML

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


def test_html_visible_text_without_script(tmp_path):
    markup = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>驻村工作简报</title>
    <style>body { color: red; }</style><script>var secret = "脚本内容";</script></head>
    <body><h1>第一书记</h1><p>走访农户
      一百二十户。</p><script>alert(1)</script><!-- 注释内容 -->
    <div>产业<b>帮扶</b>成效明显<br>群众满意</div>
    <ul><li>茶叶</li><li>食用菌</li></ul>
    <table><tr><td>村名</td><td>人口</td></tr></table>
    <noscript>请启用脚本</noscript></body></html>"""
    path = tmp_path / "brief.html"
    path.write_text(markup, encoding="utf-8")
    [doc] = load_file(path)
    assert doc.title == "驻村工作简报"
    lines = doc.text.split("\n")
    assert lines[0] == "第一书记"
    assert "走访农户 一百二十户。" in lines
    assert "产业帮扶成效明显" in lines and "群众满意" in lines
    assert "茶叶" in lines and "食用菌" in lines
    assert "村名" in doc.text and "人口" in doc.text
    for hidden in ("alert", "secret", "脚本内容", "color", "注释内容", "请启用脚本", "驻村工作简报"):
        assert hidden not in doc.text


def test_html_title_falls_back_to_h1_and_declared_charset(tmp_path):
    markup = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>' \
             "<body><h1>乡村振兴</h1><p>正文段落。</p></body></html>"
    path = tmp_path / "page.htm"
    path.write_bytes(markup.encode("gbk"))
    [doc] = load_file(path)
    assert doc.title == "乡村振兴"
    assert doc.text == "乡村振兴\n正文段落。"


def test_html_declared_big5_beats_the_gb18030_guess(tmp_path):
    body = "臺灣鄉村的產業發展與農民收入"
    data = f'<html><head><meta charset="big5"></head><body><p>{body}</p></body></html>'.encode("big5")
    assert data.decode("gb18030") != data.decode("big5")  # a GB18030 guess would be mojibake
    path = tmp_path / "big5.html"
    path.write_bytes(data)
    assert load_file(path)[0].text == body


def test_html_with_only_script_is_empty(tmp_path):
    path = tmp_path / "script-only.html"
    path.write_text("<html><body><script>alert(1)</script></body></html>", encoding="utf-8")
    with pytest.raises(LoaderError, match="^文件为空"):
        load_file(path)


# --------------------------------------------------------------------------- Word and PDF

def test_docx_paragraphs_and_table(tmp_path):
    path = _docx(tmp_path / "报告.docx")
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
    path = _docx(tmp_path / "report.docx", core_title="核心属性标题")
    assert load_file(path)[0].title == "核心属性标题"


def test_corrupt_docx_gives_a_clear_error(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(LoaderError, match="无法打开 Word 文件：broken.docx"):
        load_file(path)


def test_pdf_text_and_metadata_title(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf(TEXT_PDF_CONTENT, title="Annual Report"))
    [doc] = load_file(path)
    assert "Rural revitalization report" in doc.text
    assert "Poverty rate fell to zero in 2019." in doc.text
    assert doc.text.index("Rural") < doc.text.index("Poverty")
    assert doc.title == "Annual Report"

    untitled = tmp_path / "untitled.pdf"
    untitled.write_bytes(_pdf(TEXT_PDF_CONTENT))
    assert load_file(untitled)[0].title == "untitled"


def test_image_only_pdf_asks_for_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(_pdf(IMAGE_PDF_CONTENT, image=True))
    with pytest.raises(LoaderError) as info:
        load_file(path)
    message = str(info.value)
    assert "scan.pdf" in message and "扫描" in message and "OCR" in message


def test_corrupt_pdf_gives_a_clear_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnothing else here")
    with pytest.raises(LoaderError, match="broken.pdf"):
        load_file(path)


# --------------------------------------------------------------------------- JSON Lines

def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_good_lines_load_and_bad_lines_are_reported(tmp_path):
    long_first = "这是一个很长很长的第一句话，" * 5 + "结束。第二句。"
    path = _jsonl(tmp_path / "news.jsonl", [
        json.dumps({"id": "n1", "text": "正文一。第二句。", "title": "标题一", "date": "2023-01-02"},
                   ensure_ascii=False),
        "",
        "{bad json",
        json.dumps({"id": "n2", "text": "乡村振兴见成效！后文。"}, ensure_ascii=False),
        json.dumps({"id": "n3", "title": "没有正文"}, ensure_ascii=False),
        "   ",
        json.dumps({"id": 4, "text": long_first}, ensure_ascii=False),
        json.dumps({"text": "\n\n"}, ensure_ascii=False),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "n5", "text": "？"}, ensure_ascii=False),
    ])
    docs, errors = load_jsonl(path)
    assert [d.source for d in docs] == [f"{path}#n1", f"{path}#n2", f"{path}#4", f"{path}#n5"]
    assert [d.title for d in docs] == ["标题一", "乡村振兴见成效", long_first[:40], "n5"]
    assert len(docs[2].title) == 40
    assert docs[0].date == "2023-01-02" and docs[1].date == ""
    assert docs[0].text == "正文一。第二句。"
    assert all(d.doc_id == content_hash(d.text) for d in docs)
    assert [e.line for e in errors] == [3, 5, 8, 9]
    assert "第 3 行" in str(errors[0]) and "news.jsonl" in str(errors[0])
    assert all(e.path == str(path) for e in errors)

    assert [d.source for d in load_file(path)] == [d.source for d in docs]
    all_docs, all_errors = load_paths([path])
    assert len(all_docs) == 4
    assert [e.line for e in all_errors] == [3, 5, 8, 9]


def test_jsonl_title_stops_at_line_break_and_missing_id_uses_line(tmp_path):
    path = _jsonl(tmp_path / "x.jsonl", [json.dumps({"text": "第一行标题\n第二行正文。"}, ensure_ascii=False)])
    [doc] = load_file(path)
    assert doc.title == "第一行标题"
    assert doc.source == f"{path}#L1"


def test_jsonl_with_no_good_line_raises(tmp_path):
    path = _jsonl(tmp_path / "bad.jsonl", ["{oops", "[1, 2]"])
    with pytest.raises(LoaderError, match="bad.jsonl"):
        load_file(path)
    docs, errors = load_paths([path])
    assert docs == [] and len(errors) == 1


# --------------------------------------------------------------------------- sidecars and folders

def test_sidecar_title_and_date(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("# 文内标题\n正文。\n", encoding="utf-8")
    (tmp_path / "a.md.meta.json").write_text(
        json.dumps({"title": "旁注标题", "date": "2020-12-01", "author": "某人"}, ensure_ascii=False),
        encoding="utf-8",
    )
    [doc] = load_file(path)
    assert doc.title == "旁注标题"
    assert doc.date == "2020-12-01"
    assert doc.source == str(path)  # the sidecar's own `source` never replaces the file path
    assert doc.text == "# 文内标题\n正文。\n"


def test_sidecar_without_title_falls_back(tmp_path):
    path = tmp_path / "b.md"
    path.write_text("# 文内标题\n正文。\n", encoding="utf-8")
    (tmp_path / "b.md.meta.json").write_text('{"date": "2021"}', encoding="utf-8")
    [doc] = load_file(path)
    assert doc.title == "文内标题" and doc.date == "2021"


def test_malformed_sidecar_is_reported(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("正文。", encoding="utf-8")
    (tmp_path / "c.txt.meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LoaderError, match="元数据文件格式错误：c.txt.meta.json"):
        load_file(path)


def test_folder_loading_is_recursive_sorted_and_skips_noise(tmp_path):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "b.txt").write_text("乙文件。", encoding="utf-8")
    (root / "a.md").write_text("# 甲\n甲文件。", encoding="utf-8")
    (root / "A.TXT").write_text("大写扩展名。", encoding="utf-8")
    (root / "sub" / "c.txt").write_text("丙文件。", encoding="utf-8")
    (root / "b.txt.meta.json").write_text('{"title": "乙"}', encoding="utf-8")
    (root / ".hidden.txt").write_text("隐藏文件。", encoding="utf-8")
    (root / ".git" / "config.txt").write_text("隐藏目录。", encoding="utf-8")
    (root / "~$报告.docx").write_bytes(b"\x05owner")
    (root / "photo.png").write_bytes(PNG_HEADER)
    (root / "notes.json").write_text('{"text": "不支持的后缀"}', encoding="utf-8")
    (root / "broken.txt").write_bytes(EXE_BYTES)
    (root / "empty.md").write_bytes(b"")
    (root / "z.txt").write_text("最后一个。", encoding="utf-8")

    docs, errors = load_paths([root])
    rel = [Path(d.source).relative_to(root).as_posix() for d in docs]
    assert rel == ["A.TXT", "a.md", "b.txt", "sub/c.txt", "z.txt"]
    assert [d.title for d in docs] == ["A", "甲", "乙", "c", "z"]
    assert sorted(Path(e.path).name for e in errors) == ["broken.txt", "empty.md"]
    assert all(isinstance(e, LoaderError) for e in errors)


def test_load_paths_mixes_files_folders_and_missing_paths(tmp_path):
    one = tmp_path / "one.txt"
    one.write_text("一。", encoding="utf-8")
    unsupported = tmp_path / "data.csv"
    unsupported.write_text("a,b", encoding="utf-8")
    sidecar = tmp_path / "one.txt.meta.json"
    sidecar.write_text('{"title": "第一"}', encoding="utf-8")
    docs, errors = load_paths([one, tmp_path / "missing.txt", unsupported, tmp_path, one, sidecar])
    assert [d.source for d in docs] == [str(one)]  # named twice and inside the folder: once
    assert docs[0].title == "第一"  # a sidecar named explicitly is metadata, not an error
    messages = [str(e) for e in errors]
    assert any(m.startswith("找不到文件或文件夹：missing.txt") for m in messages)
    assert any(m.startswith("不支持的文件类型 .csv：data.csv") for m in messages)
    assert len(errors) == 2


# --------------------------------------------------------------------------- real corpus files

def test_seed_corpus_file_loads_verbatim():
    if not SEED.is_file():
        pytest.skip("seed corpus file not present")
    expected = SEED.read_bytes().decode("utf-8")
    [doc] = load_file(SEED)
    assert doc.text == expected
    assert doc.doc_id == content_hash(expected)
    assert doc.title == SEED_TITLE
    assert doc.source == str(SEED)
    docs, errors = load_paths([SEED.parent])
    assert errors == []
    assert any(d.text == expected and d.title == SEED_TITLE for d in docs)


def test_seed_sidecar_content():
    sidecar = SEED.with_name(SEED.name + ".meta.json")
    if not sidecar.is_file():
        pytest.skip("seed sidecar not present")
    assert json.loads(sidecar.read_text(encoding="utf-8")) == {
        "title": SEED_TITLE, "author": "郭进", "source": "江口县脱贫攻坚纪实（新闻特稿）",
    }
    assert SEED_TITLE.encode("utf-8") in sidecar.read_bytes()  # ensure_ascii=False


def test_shared_news_jsonl_loads_fast():
    if not NEWS.is_file():
        pytest.skip(f"{NEWS} not present")
    start = time.perf_counter()
    docs, errors = load_paths([NEWS])
    elapsed = time.perf_counter() - start
    assert errors == []
    assert len(docs) == 1677
    assert elapsed < 2.0
    assert all(d.source.startswith(f"{NEWS}#news-") for d in docs)
    assert all(d.title and len(d.title) <= 40 for d in docs)
    assert sum(bool(d.date) for d in docs) > 0


# --------------------------------------------------------------------------- upload sniffing

def test_sniff_kind_accepts_real_files(tmp_path):
    docx_bytes = _docx(tmp_path / "r.docx").read_bytes()
    assert sniff_kind(docx_bytes, "r.docx") == "docx"
    assert sniff_kind(_pdf(TEXT_PDF_CONTENT), "r.pdf") == "pdf"
    assert sniff_kind(ZH.encode("gbk"), "r.txt") == "text"
    assert sniff_kind("# 标题\n".encode("utf-8"), "r.md") == "text"


@pytest.mark.parametrize("data,filename,expected", [
    (EXE_BYTES, "setup.txt", "无法识别文件编码或不是文本文件：setup.txt"),
    (PNG_HEADER, "photo.md", "无法识别文件编码或不是文本文件：photo.md"),
    (b"", "empty.txt", "文件为空：empty.txt"),
    (_zip_bytes({"xl/workbook.xml": b"<x/>"}), "sheet.docx", "文件不是 Word 文档：sheet.docx"),
    (_pdf(TEXT_PDF_CONTENT), "fake.docx", "文件内容与扩展名不符：fake.docx"),
    ("纯文本".encode("utf-8"), "fake.pdf", "文件内容与扩展名不符：fake.pdf"),
])
def test_sniff_kind_rejects(data, filename, expected):
    with pytest.raises(LoaderError) as info:
        sniff_kind(data, filename)
    assert str(info.value).startswith(expected)
