"""assistant.text (the shared text helpers) and storage.safe_filename (names from user text)."""

from __future__ import annotations

import pytest

from assistant.storage import safe_filename
from assistant.text import (
    cited_numbers,
    clip_span,
    marker_spans,
    paragraph_bounds,
    paragraph_number,
    person_names,
    without_markers,
)

TEXT = "第一段。\n\n第二段第一句。第二段第二句。\n第三段"


def test_paragraph_bounds_and_number():
    start = TEXT.index("第二段第二句")
    lo, hi = paragraph_bounds(TEXT, start)
    assert TEXT[lo:hi] == "第二段第一句。第二段第二句。"
    assert paragraph_bounds(TEXT, 0, 3) == (0, 4)
    assert TEXT[slice(*paragraph_bounds(TEXT, len(TEXT) - 1))] == "第三段"  # the last line has no break after it
    assert [paragraph_number(TEXT, TEXT.index(p)) for p in ("第一段", "第二段第二句", "第三段")] == [1, 2, 3]


def test_citation_markers():
    answer = "杨华祥任县委书记[1]，后来赴省委党校授课[2][12]。"
    assert cited_numbers(answer) == [1, 2, 12]
    assert without_markers(answer) == "杨华祥任县委书记，后来赴省委党校授课。"
    assert without_markers("[1]共3名[2]", " ") == " 共3名 "
    assert [(answer[s:e], n) for s, e, n in marker_spans(answer)] == [("[1]", 1), ("[2]", 2), ("[12]", 12)]
    assert cited_numbers("数组[a]和[ 1]不是出处") == []


def test_clip_span_ends_at_a_sentence_then_a_comma():
    text = "一二三四五六七八九十。一二三四五，六七八九十一二三四五六七八九十"
    assert clip_span(text, 0, len(text), 100) == (0, len(text))
    assert text[slice(*clip_span(text, 0, len(text), 18))] == "一二三四五六七八九十。"
    assert text[slice(*clip_span(text, 11, len(text), 12))] == "一二三四五，"
    assert clip_span("一" * 50, 0, 50, 20) == (0, 20)


def test_person_names_once_each_longest_first_seen():
    assert person_names("江口县委书记杨华祥说，杨华祥应邀授课。") == ["杨华祥"]
    assert "张万富" in person_names("移民搬迁群众张万富接过话茬激动地说。")
    assert person_names("易地扶贫搬迁让群众住上新房。") == []


@pytest.mark.parametrize("name,suffix,expected", [
    ("../../etc/passwd", None, "passwd"),
    ("..\\报告 2020.TXT", None, "报告_2020.txt"),
    (".hidden", None, "hidden"),
    ('a:b*c?"<>|.docx', None, "a_b_c.docx"),
    ("检索结果_3.5亿 元", ".csv", "检索结果_3.5亿_元.csv"),
    ("", ".md", "文件.md"),
])
def test_safe_filename(name, suffix, expected):
    assert safe_filename(name, suffix) == expected


def test_safe_filename_cuts_the_stem_not_the_suffix():
    assert safe_filename("长" * 200 + ".pdf") == "长" * 80 + ".pdf"
    assert safe_filename("长" * 200, ".csv", limit=40) == "长" * 40 + ".csv"
