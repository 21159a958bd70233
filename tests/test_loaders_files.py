"""Many files at once: sidecars, folders, the seed corpus, and upload sniffing (assistant.loaders, assistant.loaders.sidecar)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.loaders import LoaderError, load_file, load_paths, sniff_kind
from assistant.schema import content_hash
from tests.loader_fixtures import (
    EXE_BYTES,
    PNG_HEADER,
    SEED,
    SEED_TITLE,
    TEXT_PDF_CONTENT,
    ZH,
    make_docx,
    make_pdf,
    zip_bytes,
)


def test_sidecar_title_and_date(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("# 文内标题\n正文。\n", encoding="utf-8")
    (tmp_path / "a.md.meta.json").write_text(
        json.dumps({"title": "旁注标题", "date": "2020-12-01", "author": "某人", "source": "某日报"}, ensure_ascii=False),
        encoding="utf-8",
    )
    [doc] = load_file(path)
    assert doc.title == "旁注标题"
    assert doc.date == "2020-12-01"
    assert doc.source == str(path)  # the sidecar's own `source` never replaces the file path …
    assert doc.publisher == "某日报"  # … it says where the document was published
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
    assert sorted(Path(e.path).name for e in errors) == ["broken.txt", "empty.md", "notes.json", "photo.png"]
    assert any(str(e).startswith("不支持的文件类型 .json，已跳过：notes.json") for e in errors)  # never silently
    assert any(str(e).startswith("无法打开图片：photo.png") for e in errors)  # a PNG header and nothing else
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
    assert any(m.startswith("不支持的文件类型 .csv，已跳过：data.csv") for m in messages)
    assert len(errors) == 2




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




def test_sniff_kind_accepts_real_files(tmp_path):
    docx_bytes = make_docx(tmp_path / "r.docx").read_bytes()
    assert sniff_kind(docx_bytes, "r.docx") == "docx"
    assert sniff_kind(make_pdf(TEXT_PDF_CONTENT), "r.pdf") == "pdf"
    assert sniff_kind(ZH.encode("gbk"), "r.txt") == "text"
    assert sniff_kind("# 标题\n".encode("utf-8"), "r.md") == "text"
    assert sniff_kind(PNG_HEADER, "r.png") == "image"
    assert sniff_kind(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "r.JPG") == "image"
    assert sniff_kind(b"II*\x00\x08\x00\x00\x00", "r.tif") == "image"
    assert sniff_kind("BM 开头的文本不是位图。".encode("utf-8"), "r.txt") == "text"  # "BM" alone is no BMP


@pytest.mark.parametrize("data,filename,expected", [
    (EXE_BYTES, "setup.txt", "无法识别文件编码或不是文本文件：setup.txt"),
    (PNG_HEADER, "photo.md", "文件内容与扩展名不符：photo.md 的扩展名是 .md，内容却是图片"),
    (PNG_HEADER, "scan.pdf", "文件内容与扩展名不符：scan.pdf 的扩展名是 .pdf，内容却是图片"),
    ("扫描件".encode("utf-8"), "scan.png", "文件内容与扩展名不符：scan.png 的扩展名是 .png，内容却是文本"),
    (EXE_BYTES, "scan.jpg", "无法识别文件编码或不是文本文件：scan.jpg"),
    (b"", "empty.txt", "文件为空：empty.txt"),
    (zip_bytes({"xl/workbook.xml": b"<x/>"}), "sheet.docx", "文件不是 Word 文档：sheet.docx"),
    (make_pdf(TEXT_PDF_CONTENT), "fake.docx", "文件内容与扩展名不符：fake.docx"),
    ("纯文本".encode("utf-8"), "fake.pdf", "文件内容与扩展名不符：fake.pdf"),
])
def test_sniff_kind_rejects(data, filename, expected):
    with pytest.raises(LoaderError) as info:
        sniff_kind(data, filename)
    assert str(info.value).startswith(expected)
