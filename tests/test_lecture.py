"""assistant.lecture: outlines for trainers — structure, verbatim quotes, the one layout rendered as
Markdown and Word, and the limits taken from the settings."""

from __future__ import annotations

import re

import docx
import pytest

from assistant.lecture import (
    KeyPoint,
    LectureConfig,
    Outline,
    Quote,
    Source,
    Story,
    blocks,
    build_outline,
    first_clause,
    md_escape,
    outline_to_docx,
    outline_to_markdown,
    story_people,
)
from assistant.normalize import normalize
from assistant.pipeline import QuestionError
from assistant.settings import section

_MD_UNESCAPE = re.compile(r"\\([\\`*_\[\]<>#|~])")


def _unescape(text: str) -> str:
    return _MD_UNESCAPE.sub(r"\1", text)


def _md_quotes(markdown: str) -> list[tuple[str, int]]:
    """(quote text as rendered, footnote number) for each block quote that carries a footnote."""
    quotes, block = [], []
    for line in markdown.split("\n") + [""]:
        if line.startswith("> "):
            block.append(line[2:])
            continue
        if block:
            text = "\n".join(block)
            m = re.search(r"\[\^(\d+)\]$", text)
            if m:
                quotes.append((_unescape(text[: m.start()]), int(m.group(1))))
            block = []
    return quotes


def _docx_quotes(path) -> list[tuple[str, str]]:
    """(quote run text, citation run text) of each “Quote” paragraph."""
    out = []
    for p in docx.Document(str(path)).paragraphs:
        if p.style.name == "Quote":
            runs = p.runs
            out.append((runs[0].text, "".join(r.text for r in runs[1:])))
    return out


# ---------------------------------------------------------------------------------------------- pure parts
def test_first_clause_is_a_short_verbatim_label():
    assert first_clause("江口县推行“三个三”做好顶层设计的同时,更创新运用") == "江口县推行“三个三”做好顶层设计的同时"
    assert first_clause("贫困,刺痛人心。") == "贫困,刺痛人心"
    label = first_clause("在这场输不起战争中江口县明确了精准管理产业扶贫基础设施易地搬迁教育培训")
    assert len(label) <= 22 and label.endswith("…")


def test_story_people_keep_people_and_drop_places_and_things():
    assert "张万富" in story_people("旁边,移民搬迁群众张万富接过话茬激动地说。")
    assert "郑某" in story_people("目前,郑某不但脱了贫,还娶妻生了孩子。")
    assert "王某某" in story_people("王某某说他很满意。")
    assert "张新华" in story_people("该县*府办驻太平镇快场村干部张新华,在走访群众途中不幸翻车摔伤")
    assert story_people("科级干部包村、驻村干部包组") == []
    assert story_people("考评垫底拿到了流动白旗和“蜗牛”奖。") == []
    assert story_people("拼团结争荣光,就是万众一心,荣誉至上") == []
    assert story_people("走进李庄镇") == [] and story_people("来到张家湾村") == []


def _handmade() -> Outline:
    doc_text = "第一段。\n县**正职说：<script>alert(1)</script>要_好_。\n第三段[1]里有#号。"
    q1 = Quote(1, "d", "标题*一*", doc_text[5:37], 5, 37)
    q2 = Quote(2, "d", "标题*一*", doc_text[38:], 38, len(doc_text))
    q3 = Quote(3, "d", "标题*一*", doc_text[0:10], 0, 10)  # spans a line break
    return Outline(
        topic="测试*主题*",
        points=(KeyPoint("“要点”", (q1, q2)),),
        stories=(Story("某人", q3, ("某人",)),),
        sources=tuple(Source(q.n, "d", q.title, q.start, q.end, f"第 {q.start + 1}–{q.end} 字") for q in (q1, q2, q3)),
    )


def test_markdown_escapes_syntax_so_the_rendered_quote_is_the_source_text():
    outline = _handmade()
    md = outline_to_markdown(outline)
    assert md.startswith("# 备课提纲：测试\\*主题\\*")
    assert "## 一、要点" in md and "## 二、典型事例" in md and "## 资料来源" in md
    assert "\\*\\*正职" in md and "\\<script\\>" in md and "<script>" not in md
    assert _md_quotes(md) == [(q.text, q.n) for q in outline.quotes()]
    for src in outline.sources:
        assert re.search(rf"^\[\^{src.n}\]: 《标题\\\*一\\\*》，第 ", md, re.M)
    assert md_escape("a*b_c[d]") == "a\\*b\\_c\\[d\\]"


def test_docx_keeps_quotes_verbatim_with_superscript_citations(tmp_path):
    outline = _handmade()
    path = outline_to_docx(outline, tmp_path / "out" / "提纲.docx")
    quotes = _docx_quotes(path)
    assert quotes == [(q.text, f"[{q.n}]") for q in outline.quotes()]
    document = docx.Document(str(path))
    for p in document.paragraphs:
        if p.style.name == "Quote":
            assert p.runs[1].font.superscript
    texts = [p.text for p in document.paragraphs]
    assert "资料来源" in texts
    assert [t for t in texts if t.startswith("[")] == [f"[{s.n}] 《{s.title}》，{s.position}" for s in outline.sources]
    assert document.core_properties.title == "备课提纲：测试*主题*"


def test_control_characters_in_a_quote_do_not_stop_the_word_export(tmp_path):
    """Issue 10: a quoted passage holding a form feed, a vertical tab or ESC gave
    “程序内部错误（ValueError）” and no download."""
    text = "第一段\x0c换页\x0b竖排\x1b转义，仍是原文。"
    q = Quote(1, "d", "标题\x1b", text, 0, len(text))
    outline = Outline(topic="主题\x0c", points=(KeyPoint("要点", (q,)),),
                      sources=(Source(1, "d", "标题\x1b", 0, len(text), "第 1 字"),))
    path = outline_to_docx(outline, tmp_path / "提纲.docx")
    assert _docx_quotes(path) == [("第一段 换页 竖排 转义，仍是原文。", "[1]")]  # same length, same words
    assert "第一段" in outline_to_markdown(outline)


# ---------------------------------------------------------------------------------------------- over the corpus


@pytest.fixture(scope="module")
def sansige(corpus_assistant) -> Outline:
    return build_outline(corpus_assistant, "三个四工作法")


@pytest.fixture(scope="module")
def banqian(corpus_assistant) -> Outline:
    return build_outline(corpus_assistant, "易地扶贫搬迁")


@pytest.mark.slow
def test_outline_for_a_formula_has_its_parts_as_key_points(sansige):
    first = sansige.points[0]
    assert first.term == "三个四" and first.parts == ("四个下沉", "四个结合", "四个覆盖")
    assert [p.term for p in sansige.points[1:4]] == ["四个下沉", "四个结合", "四个覆盖"]
    assert sansige.points[1].quotes[0].text.startswith("“四个下沉”:责任体系下沉")
    assert 4 <= len(sansige.points) <= 6
    assert sansige.stories, "a topic with people in its paragraphs brings typical stories"
    assert all(s.people and s.heading for s in sansige.stories)
    assert not sansige.notes


@pytest.mark.slow
def test_stories_narrate_people(banqian):
    people = {p for s in banqian.stories for p in s.people}
    assert people & {"张万富", "蒋志国", "韩易霖"}
    for s in banqian.stories:
        assert any(name in s.quote.text for name in s.people)
    headings = [p.heading for p in banqian.points]
    assert len(headings) == len(set(headings))


@pytest.mark.slow
@pytest.mark.parametrize("which", ["sansige", "banqian"])
def test_every_quote_is_verbatim_and_numbered(corpus_assistant, request, which):
    outline: Outline = request.getfixturevalue(which)
    docs = corpus_assistant.store.documents
    quotes = outline.quotes()
    assert quotes
    for q in quotes:
        assert docs[q.doc_id].text[q.start : q.end] == q.text
        assert q.text.strip() and len(q.text) <= 320
    # sources are 1..n, each quote points at the source with its own span, no span is quoted twice
    assert [s.n for s in outline.sources] == list(range(1, len(outline.sources) + 1))
    by_n = {s.n: s for s in outline.sources}
    for q in quotes:
        s = by_n[q.n]
        assert (s.doc_id, s.start, s.end) == (q.doc_id, q.start, q.end)
        assert s.position.startswith(f"第 {q.start + 1}–{q.end} 字（约第 ")
    spans = [(q.doc_id, q.start, q.end) for q in quotes]
    assert len(spans) == len(set(spans))


@pytest.mark.slow
def test_exports_of_a_real_outline_keep_every_quote(sansige, tmp_path):
    md = outline_to_markdown(sansige)
    assert _md_quotes(md) == [(q.text, q.n) for q in sansige.quotes()]
    assert md.count("[^") == 2 * len(sansige.sources)  # one marker and one definition per source
    quotes = _docx_quotes(outline_to_docx(sansige, tmp_path / "提纲.docx"))
    assert quotes == [(q.text, f"[{q.n}]") for q in sansige.quotes()]


@pytest.mark.slow
def test_topic_the_corpus_does_not_cover(corpus_assistant):
    outline = build_outline(corpus_assistant, "梵净山景区门票价格")
    assert outline.empty and not outline.sources
    assert "资料中没有" in outline.notes[0]
    assert "资料中没有" in outline_to_markdown(outline)


@pytest.mark.slow
@pytest.mark.parametrize("topic", ["", "   ", "长" * 600, "\x00\x1b", "\ud800"])
def test_bad_topics_raise_question_error(corpus_assistant, topic):
    with pytest.raises(QuestionError):
        build_outline(corpus_assistant, topic)


def test_every_format_follows_the_one_layout():
    outline = _handmade()
    kinds = [b.kind for b in blocks(outline)]
    assert kinds == ["title", "intro", "section", "heading", "quote", "quote", "section", "heading", "quote",
                     "sources", "source", "source", "source"]
    md_headings = [line for line in outline_to_markdown(outline).split("\n") if line.startswith("#")]
    layout_headings = [b.text for b in blocks(outline) if b.kind in ("title", "section", "heading", "sources")]
    assert [_unescape(h.lstrip("# ")) for h in md_headings] == layout_headings


@pytest.mark.slow
def test_limits_come_from_the_settings(corpus_assistant):
    narrow = corpus_assistant.with_settings(lecture_max_points=2, lecture_max_stories=1, lecture_max_quote_chars=60)
    outline = build_outline(narrow, "三个四工作法")
    assert len(outline.points) == 2 and len(outline.stories) <= 1
    assert all(len(q.text) <= 60 for p in outline.points for q in p.quotes)
    config = section(LectureConfig, corpus_assistant.settings.replace(lecture_max_points=1))
    assert len(build_outline(corpus_assistant, "三个四工作法", config).points) == 1


@pytest.mark.slow
def test_each_document_is_normalised_once_per_outline(corpus_assistant, monkeypatch):
    from assistant.lecture import build

    texts = {d.text for d in corpus_assistant.store.documents.values()}
    whole: list[int] = []

    def counting(text: str) -> str:
        if text in texts:
            whole.append(len(text))
        return normalize(text)

    monkeypatch.setattr(build, "normalize", counting)
    outline = build_outline(corpus_assistant, "易地扶贫搬迁")
    assert outline.points and len(whole) <= len(texts), f"{len(whole)} whole-document normalisations"
