"""Features of a candidate sentence: coverage, answer shape, look-alikes from another year or place."""

from __future__ import annotations

from assistant.candidates import Candidate
from assistant.features import (
    FEATURES,
    LANGUAGE_MARK,
    QuestionContext,
    add_relative,
    candidate_features,
    ordinal_conflict,
    read_with_antecedents,
    vector,
    year_conflict,
)
from assistant.normalize import normalize
from assistant.question import Vocabulary, analyze
from assistant.schema import Chunk, Hit

VOCAB = Vocabulary({"翠屏区": 3, "水稻": 5, "种植": 20, "县长": 4, "江口县": 30}, n_chunks=200, glossary_forms={})


def _features(question: str, sentence: str, doc: str | None = None, before: str = "") -> dict[str, float]:
    doc = doc or sentence
    start = doc.index(sentence)
    chunk = Chunk("d:0", "d", 0, len(doc), doc, normalize(doc))
    hit = Hit(chunk, 0.03, {"dense": 1, "bm25": 1}, {"dense": 0.9, "bm25": 5.0})
    cand = Candidate("d", start, start + len(sentence), sentence, normalize(sentence), normalize(doc), 1, hit,
                     before=normalize(before))
    query = analyze(question, VOCAB)
    f = candidate_features(query, cand, QuestionContext.of(query, [hit]), normalize(doc))
    add_relative([f])
    return f


def test_every_feature_is_computed_and_finite():
    f = _features("江口县县长是谁？", "江口县县长杨云到省政府作发言。")
    assert set(f) == set(FEATURES) | {LANGUAGE_MARK}
    assert all(v == v and abs(v) < 1e6 for v in vector(f))


def test_the_asked_shape_and_unit():
    who = _features("江口县县长是谁？", "江口县县长杨云到省政府作发言。")
    assert who["type_ok"] == 1.0 and who["kind_who"] == 1.0 and who["cov_sent"] > 0.9
    no_person = _features("江口县县长是谁？", "江口县县长到省政府作发言。")
    assert no_person["type_ok"] == 0.0
    rice = _features("2022年翠屏区种植水稻多少亩？", "2022年翠屏区种植水稻43万亩。")
    assert rice["unit_match"] == 1.0 and rice["unit_missing"] == 0.0 and rice["year_conflict"] == 0.0
    # a number in another unit, or none, leaves the asked unit missing; no unit asked, none missing
    households = _features("2022年翠屏区种植水稻多少亩？", "2022年翠屏区有水稻种植户300户。")
    assert households["unit_asked"] == 1.0 and households["unit_missing"] == 1.0
    assert _features("江口县县长是谁？", "江口县县长杨云到省政府作发言。")["unit_missing"] == 0.0


def test_a_look_alike_from_another_year_or_place():
    other_year = _features("2021年翠屏区种植水稻多少亩？", "2022年翠屏区种植水稻43万亩。")
    assert other_year["year_conflict"] == 1.0
    other_place = _features("2022年宜宾市叙州区种植水稻多少亩？", "2022年翠屏区种植水稻43万亩。")
    assert other_place["place_missing_doc"] > 0


def test_a_look_alike_from_another_edition():
    other = _features("第五届农民丰收节有多少人参加？", "第四届农民丰收节共有3万人参加。")
    assert other["ordinal_conflict"] == 1.0 and other["ordinal_absent_doc"] == 1.0
    same = _features("第四届农民丰收节有多少人参加？", "第四届农民丰收节共有3万人参加。")
    assert same["ordinal_conflict"] == 0.0 and same["ordinal_absent_doc"] == 0.0
    unnamed = _features("第五届农民丰收节有多少人参加？", "农民丰收节共有3万人参加。")
    assert unnamed["ordinal_conflict"] == 0.0 and unnamed["ordinal_absent_doc"] == 1.0


def test_ordinal_conflict_needs_another_of_the_same_measure_and_not_the_asked_one():
    assert ordinal_conflict(frozenset({(5, "届")}), frozenset({(4, "届")}))
    assert not ordinal_conflict(frozenset({(5, "届")}), frozenset({(4, "届"), (5, "届")}))
    assert not ordinal_conflict(frozenset({(5, "届")}), frozenset({(4, "期")}))
    assert not ordinal_conflict(frozenset(), frozenset({(4, "届")}))


def test_an_answer_that_follows_the_sentence_restating_the_question():
    f = _features("凯德街道得了“蜗牛”奖之后干部们怎么做？", "掀起比学赶超热潮，白天发展产业。",
                  before="凯德街道考评垫底拿到了“蜗牛”奖。", doc="凯德街道考评垫底拿到了“蜗牛”奖。掀起比学赶超热潮，白天发展产业。")
    assert f["cov_before"] > f["cov_sent"] and f["follows_match"] > 0 and f["follows_match_narrative"] > 0


def test_year_conflict_needs_another_year_and_not_the_asked_one():
    assert year_conflict(("2021",), "2022年营业收入62.96亿元")
    assert not year_conflict(("2021",), "2021年和2022年的收入")
    assert not year_conflict((), "2022年")
    assert not year_conflict(("2021",), "今年营业收入")


def test_a_date_is_not_the_amount_a_how_many_question_asks_for():
    f = _features("杨华祥多大年纪？", "12月13日，杨华祥赴省委党校讲课。")
    assert f["type_ok"] == 0.0 and f["new_number"] == 0.0
    assert _features("杨华祥多大年纪？", "杨华祥今年52岁。")["type_ok"] == 1.0


def test_an_answer_next_to_the_words_it_is_asked_about():
    near = _features("志愿服务队的队长是谁？", "志愿服务队队长张明带领队员走访。")
    far = _features("志愿服务队的队长是谁？", "志愿服务队走进社区，张明和李华在现场讲解，队长一职暂缺。")
    assert near["focus_near_answer"] > far["focus_near_answer"] > 0
    assert _features("志愿服务队的队长是谁？", "志愿服务队走进社区开展活动。")["focus_near_answer"] == 0.0


def test_a_place_with_its_suffix_is_one_name():
    # 青山村 is one place: the document's 青山绿水 does not hold half of it
    f = _features("青山村推行什么工作法？", "为解决村子的“怪事”，该村推行了群众工作法，村里青山绿水。")
    assert f["place_missing_doc"] == 1.0


def test_a_long_document_covers_the_question_only_near_the_sentence():
    """In a compilation, the asked place 30,000 characters away does not make the document hold it;
    a document no longer than the ones trained on still reads whole."""
    from assistant.features import DOCUMENT_WINDOW

    sentence = "2022年翠屏区种植水稻43万亩。"
    filler = "其他新闻内容。" * (DOCUMENT_WINDOW // 7 + 50)
    far = _features("2022年宜宾市叙州区种植水稻多少亩？", sentence, doc=sentence + filler + "叙州区")
    assert far["place_missing_doc"] > 0 and far["cov_doc"] < 1.0
    near = _features("2022年宜宾市叙州区种植水稻多少亩？", sentence, doc=sentence + "其他新闻内容。" * 100 + "叙州区")
    assert near["place_missing_doc"] < far["place_missing_doc"]


def test_what_something_is_called_is_answered_by_any_name_not_only_a_person():
    sentence = "玻利维亚执政党“争取社会主义运动党”内部关系紧张。"
    assert _features("玻利维亚的执政党叫什么？", sentence)["type_ok"] == 1.0
    assert _features("玻利维亚执政党的领导人是谁？", sentence)["type_ok"] == 0.0  # 谁 still wants a person
    # quoted speech is no name: the four cadres on the icy road are never named
    speech = "怒溪镇4名帮扶干部在陡峭冰路上匍匐爬行,他们说“路再险,爬着也要看一看”。"
    assert _features("那4名帮扶干部分别叫什么名字？", speech)["type_ok"] == 0.0


def test_a_decade_in_words_does_not_answer_which_year():
    """上世纪九十年代 says when, but not which year (the year of 已是年 was lost in the scrape)."""
    sentence = "上世纪九十年代,郑某犯法被判刑,当他刑满释放,已是年。"
    assert _features("郑某是哪一年刑满释放的？", sentence)["type_ok"] == 0.0
    assert _features("郑某是什么时候犯的法？", sentence)["type_ok"] == 1.0  # when, not which year
    assert _features("郑某是哪一年刑满释放的？", "郑某于2015年刑满释放。")["type_ok"] == 1.0


def test_a_count_in_characters_answers_how_many():
    assert _features("他们推迟了几次婚期？", "两人三度推迟了婚期。")["type_ok"] == 1.0
    assert _features("他们推迟了几次婚期？", "他们推迟了婚期。")["type_ok"] == 0.0


def test_a_pronoun_stands_for_the_asked_person_named_just_before():
    doc = "上世纪九十年代，郑某犯法被判刑。\n从那年起，怒溪镇安排他在产业基地就业，助他掌握养殖新技术。"
    sentence = "从那年起，怒溪镇安排他在产业基地就业，助他掌握养殖新技术。"
    resolved = _features("怒溪镇安排郑某做什么？", sentence, doc)
    assert resolved["cov_sent"] > _features("怒溪镇安排郑某做什么？", sentence)["cov_sent"]  # no one named before
    assert read_with_antecedents("安排他就业", "郑某犯法", ("郑某",)) == "安排他就业郑某"
    # no pronoun, a person named nowhere before, or 其他 (not a pronoun): the sentence is read as it is
    assert read_with_antecedents("安排就业", "郑某犯法", ("郑某",)) == "安排就业"
    assert read_with_antecedents("安排他就业", "杨坤说", ("郑某",)) == "安排他就业"
    assert read_with_antecedents("其他村民就业", "郑某犯法", ("郑某",)) == "其他村民就业"
