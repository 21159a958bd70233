"""Candidate sentences: whole sentences around the top passages, verbatim offsets, neighbours."""

from __future__ import annotations

from assistant.candidates import SentenceIndex, candidates_from_hits, sentence_spans
from assistant.normalize import normalize
from assistant.schema import Chunk, Document, Hit

TEXT = ("谋划三大战役 尽锐出击在冬日暖阳照耀下，梵瑞社区熠熠生辉。47幢高楼错落有致；群众往来不绝。"
        "县长杨云到省政府发言。\n第二段第一句说的是搬迁以后的生活。第二段第二句说的是产业和就业！")


def _hit(doc: Document, start: int, end: int, score: float = 1.0) -> Hit:
    text = doc.text[start:end]
    return Hit(Chunk(f"{doc.doc_id}:{start}-{end}", doc.doc_id, start, end, text, normalize(text), doc.title), score)


def test_a_short_title_glued_to_text_joins_the_next_sentence():
    text = "短标题。这是后面一句完整的话，很长很长。"
    assert [text[s.start : s.end] for s in sentence_spans(text)] == [text]
    assert "47幢高楼错落有致；群众往来不绝。" in [TEXT[s.start : s.end] for s in sentence_spans(TEXT)]


def test_candidates_cover_the_passage_and_one_sentence_either_side():
    doc = Document("d", "t", "s", TEXT)
    start = TEXT.index("47幢")
    cands = candidates_from_hits([_hit(doc, start, start + 10)], {"d": doc}, SentenceIndex(normalize), n_hits=6)
    texts = [c.text for c in cands]
    assert any(t.startswith("47幢") for t in texts)
    assert any("梵瑞社区" in t for t in texts) and any("杨云" in t for t in texts)
    for c in cands:
        assert TEXT[c.start : c.end] == c.text and len(c.normalized) == len(c.text)
    middle = next(c for c in cands if c.text.startswith("47幢"))
    assert "梵瑞社区" in middle.before and "杨云" in middle.after


def test_neighbours_stop_at_a_paragraph_end_and_duplicates_are_dropped():
    doc = Document("d", "t", "s", TEXT)
    start = TEXT.index("第二段第一句")
    hits = [_hit(doc, start, start + 7), _hit(doc, start, start + 7, 0.5)]
    cands = candidates_from_hits(hits, {"d": doc}, SentenceIndex(normalize), n_hits=6)
    first = next(c for c in cands if c.text.startswith("第二段第一句"))
    assert first.before == "" and first.after.startswith("第二段第二句")
    assert len({(c.doc_id, c.start) for c in cands}) == len(cands)


def test_a_page_s_wrapping_is_never_a_candidate():
    from assistant.candidates import is_boilerplate

    assert is_boilerplate("联系方式：takefoto@vip.sina.com 返回搜狐，查看更多责任编辑：")
    assert is_boilerplate("刷新重试诊断code：vid:uuid:requestId:播放时间：提示信息")
    assert not is_boilerplate("江口县县长杨云到省政府常务会上作脱贫经验交流发言。")
