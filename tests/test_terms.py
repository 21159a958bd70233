from assistant.schema import Document, content_hash
from assistant.terms import build_glossary, find_terms

from .conftest import SEED


def _glossary(text: str):
    return build_glossary([Document(content_hash(text), "t", "s", text)])


def test_numbered_formulas_are_found_in_the_text():
    terms = find_terms(SEED.read_text(encoding="utf-8"))
    for t in ["四拼四争", "一学二访三会四评", "一问二核三认四证", "五改一化一维", "三个三", "三个四",
              "四个下沉", "四级包保", "八大攻坚战"]:
        assert t in terms, t


def test_definitions_and_parts():
    text = SEED.read_text(encoding="utf-8")
    g = _glossary(text)
    assert g["三个四"].parts == ["四个下沉", "四个结合", "四个覆盖"]
    d = g["四个结合"].definitions[0]
    # a “X”: definition runs to the end of its list, past the ；
    assert "公共服务与社会保障相结合" in text[d.start : d.end]
    spirit = g["四拼四争"].definitions[0]
    assert "拼匠心争卓越" in text[spirit.start : spirit.end]
    assert "逐村召开评议会" in text[g["一学二访三会四评"].definitions[0].start : g["一学二访三会四评"].definitions[0].end]


def test_a_new_document_brings_its_own_terms():
    text = "某县推行“两找三帮”工作法，即：找问题、找差距，帮思路、帮资金、帮技术。"
    g = _glossary(text)
    assert "两找三帮" in g
    d = g["两找三帮"].definitions[0]
    assert "帮技术" in text[d.start : d.end]
    assert _glossary("这里没有编号的提法。") == {}
