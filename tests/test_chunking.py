from assistant.chunking import chunk_document, is_markup, split_sentences
from assistant.schema import Document, content_hash

from .conftest import SEED


def _doc(text: str) -> Document:
    return Document(content_hash(text), "t", "s", text)


def test_chunk_offsets_round_trip_to_the_original_text():
    text = SEED.read_text(encoding="utf-8")
    doc = _doc(text)
    chunks = chunk_document(doc, max_chars=220, overlap=1)
    assert len(chunks) > 10
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert len(c.text) <= 220
        assert c.chunk_id.startswith(doc.doc_id)
    # together the chunks cover every sentence of the document
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    for s in split_sentences(text):
        assert s.start in covered and s.end - 1 in covered


def test_overlap_shares_one_sentence():
    text = "。".join(f"第{i}句话有一些内容" for i in range(30)) + "。"
    chunks = chunk_document(_doc(text), max_chars=60, overlap=1)
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # they overlap
        assert a.text.endswith(text[b.start : a.end])


def test_sentences_never_split_inside_quotes():
    text = "“第一句。第二句！第三句？”杨华祥说。下一句。"
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == ["“第一句。第二句！第三句？”杨华祥说。", "下一句。"]
    # a closing quote after a terminator ends the sentence when no speech tag follows
    text = "群众说：“路通了。”日前，村里开了会。"
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == ["群众说：“路通了。”", "日前，村里开了会。"]


def test_sentences_split_at_chinese_terminators_and_lines():
    text = "第一句。第二句！第三句？第四句；第五句\n第六句…第七句"
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == ["第一句。", "第二句！", "第三句？", "第四句；", "第五句", "第六句…", "第七句"]
    joined = [text[s.start : s.end] for s in split_sentences(text, semicolons=False)]
    assert "第四句；第五句" in joined


def test_overlong_sentence_is_cut_at_soft_breaks():
    text = "，".join(["很长的分句内容"] * 80) + "。"
    chunks = chunk_document(_doc(text), max_chars=100, overlap=0)
    assert all(len(c.text) <= 100 for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_style_sheets_left_by_a_scrape_are_not_indexed():
    css = ".imgisgif{display:inline-block;position:relative;cursor:pointer;text-indent:0;}.imgisgif img{padding:0 !important;}"
    text = "三亚市和美乡村篮球大赛总决赛在马岭社区篮球场上演。" + css * 3 + "\n冠军队员来自天涯区。"
    chunks = chunk_document(_doc(text), max_chars=120, overlap=0)
    assert chunks and not any("imgisgif" in c.text for c in chunks)
    assert any("篮球大赛" in c.text for c in chunks) and any("天涯区" in c.text for c in chunks)
    assert not is_markup("Swen Vincke said the studio was flattered; nothing was announced.")
