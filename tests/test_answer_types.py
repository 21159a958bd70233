"""Typed spans: people, organisations, places, dates, quantities in the asked unit, slot words."""

from __future__ import annotations

import pytest

from assistant import answer_types as t


def texts(spans):
    return {s.text for s in spans}


def test_people_from_tags_foreign_names_titles_and_bylines():
    assert "杨云" in texts(t.persons("江口县县长杨云到省政府作发言"))
    assert "约瑟芬·科金斯" in texts(t.persons("美国女子约瑟芬·科金斯被判刑"))
    assert "Swen Vincke" in texts(t.persons("工作室的CEO Swen Vincke表示"))
    assert "郭进" in texts(t.persons("踏上乡村振兴的新征程。(郭进)"))


def test_everyday_words_jieba_tags_as_names_are_no_people():
    # jieba's dictionary tags 荣誉, 光荣 and 文明 as names; a village it tags so is a place
    assert texts(t.persons("这一仗关乎荣誉，摘帽光荣，乡风文明。")) == set()
    assert texts(t.persons("嘎拉村的村民都来了")) == set()
    # after a title, a verb is no name, a name still is
    assert texts(t.persons("王书记指出，要把产业做强")) == set()
    assert "汪学权" in texts(t.persons("该村支部书记汪学权说"))
    assert "特朗普" in texts(t.persons("美国前总统特朗普表示"))


def test_places_organisations_and_dates():
    assert any(s.endswith("区") for s in texts(t.places("在郧阳区城关镇污水处理厂")))
    assert any("银行" in s for s in texts(t.organisations("中国农业银行贵州分行发放贷款")))
    assert texts(t.dates("2023年8月13日晚，次日清晨")) >= {"2023年8月13日", "次日"}


def test_quantities_carry_their_unit():
    found = {(s.text.strip(), unit) for s, unit in t.quantities("装机容量72.6兆瓦，引导43家民营企业")}
    assert any(unit.startswith("兆瓦") for _, unit in found)
    assert any(unit.startswith("家") for _, unit in found)


def test_unit_match_ignores_numbers_the_question_names():
    q = "2023年该项目总装机多少兆瓦"
    assert t.unit_match("总装机72.6兆瓦", "兆瓦", q) == 1.0
    assert t.unit_match("单机容量3兆", "兆瓦", q) == 0.5
    assert t.unit_match("2023年开工", "兆瓦", q) == 0.0
    assert t.unit_match("开工", "", q) == 0.0


def test_unnamed_numbers_skip_dates_and_the_numbers_the_question_names():
    text = "12月13日，全县2023年种植茶叶8.5万亩，带动3000户"
    assert [s.text for s in t.unnamed_numbers(text, "2023年种植茶叶多少亩？")] == ["8.5", "3000"]
    assert t.named_numbers("那次8个小时的会开在2016年") == {"8", "2016"}


def test_a_unit_said_another_way_still_matches():
    assert t.unit_match("最长的一次会开了8个小时。", "个钟头", "评议会开了几个钟头？") == 1.0
    assert t.unit_match("三度推迟了婚期", "回", "婚期推迟了几回？") == 1.0
    assert t.unit_match("全长47.6公里", "千米", "全长多少千米？") == 1.0
    assert t.unit_match("开了8个小时", "个月", "开了几个月？") < 1.0  # another unit stays another
    # a count of people by any of its measure words: 名, 位 and 人 (but 人次 counts visits)
    assert t.unit_match("炎陵县已有3.4万余名果农通过种植黄桃脱贫", "人", "果农一共有多少人？") == 1.0
    assert t.unit_match("炎陵县已有3.4万余名果农", "名", "果农一共有多少名？") == 1.0  # 余 after 万 is no unit
    assert t.unit_match("惠及5万多户群众", "户", "惠及多少户？") == 1.0
    assert t.unit_match("累计派遣92032人", "名", "派遣了多少名志愿者？") == 1.0
    assert t.unit_match("共有100位书法名家", "人", "精选了多少人？") == 1.0
    assert t.unit_match("接待游客3万人次", "名", "来了多少名游客？") == 1.0
    assert t.unit_match("共有235名志愿者", "人次", "接待了多少人次？") < 1.0


@pytest.mark.parametrize(("text", "measure", "question", "expected"), [
    # money in any currency
    ("20件作品共拍得2860元", t.MONEY, "一共拍了多少钱？", 1.0),
    ("报收于1.6港元", t.MONEY, "股价是多少钱？", 1.0),
    ("每斤十四块钱", t.MONEY, "一斤卖多少钱？", 1.0),
    ("养殖跑山鸡3000只", t.MONEY, "一只卖多少钱？", 0.0),
    # a length of time in any unit; a date is no length of time, and a number the question names is no answer
    ("仅10个月时间,江口建成梵瑞社区", t.DURATION, "建成用了多长时间？", 1.0),
    ("积水只用了7分钟就涌进小区", t.DURATION, "积水多久涌进小区？", 1.0),
    ("2016年7月2日沉没", t.DURATION, "沉没多久了？", 0.0),
    ("开了8个小时", t.DURATION, "那次8个小时的会开了多久？", 0.0),
    # distances, weights, areas and ages in any of their units
    ("主塔高达262米", t.LENGTH, "主塔有多高？", 1.0),
    ("距县城约3公里", t.LENGTH, "离县城有多远？", 1.0),
    ("全村60多户", t.LENGTH, "老家海拔多高？", 0.0),
    ("车程缩短到40分钟", t.LENGTH_OR_DURATION, "车程会变成多长？", 1.0),
    ("这条栈道长1.2千米", t.LENGTH_OR_DURATION, "栈道有多长？", 1.0),
    ("那颗松露重达1.8公斤", t.WEIGHT, "松露有多重？", 1.0),
    ("流转土地1200亩", t.AREA, "流转了多大面积的土地？", 1.0),
    ("今年已经83岁", t.AGE, "老人多大年纪？", 1.0),
    ("2019年起务工", t.AGE, "他多大岁数？", 0.0),
])
def test_a_measure_matches_any_of_its_units(text, measure, question, expected):
    assert t.unit_match(text, measure, question) == expected


def test_list_items_count_separators_or_clauses_that_end_alike():
    assert t.list_items("实施大扶贫、大数据、大生态三大战略") == 2
    assert t.list_items("干部培训全覆盖,入户走访全覆盖,思想动员全覆盖,长效机制全覆盖。") == 4
    assert t.list_items("今天天气很好,我们去公园玩了,然后回家吃饭了。") == 0


def test_slot_match_wants_a_new_name_of_the_asked_sort():
    q = "十堰市第一座地下污水处理项目位于哪个区"
    assert t.slot_match("项目在郧阳区城关镇", "区", q) == 1.0
    assert t.slot_match("项目在十堰市", "区", q) == 0.0
    assert t.slot_match("海军陆战队正在灭火", "部队", "哪支部队灭火") == 0.5


def test_counts_written_in_characters_before_a_measure_word():
    found = lambda s: [m.group(0) for m in t.WORD_COUNT.finditer(s)]
    assert found("在脱贫攻坚重任前三度推迟了婚期") == ["三度"]
    assert found("明确了八大攻坚战，建成十余个基地，一百多户") == ["八大", "十余个", "一百多户"]
    # a lone 一 is an article, 第/星期 make an order or a weekday, a numeral inside a word is no count
    assert found("一些人第一次来，星期三天气好，四拼四争，千万不要，十分感动") == []


def test_buildings_counted_in_either_measure_word():
    assert t.unit_match("47幢高楼错落有致", "栋", "梵瑞社区总共有几栋楼？") == 1.0


def test_numeral_value_reads_whole_numbers_under_a_hundred():
    assert [t.numeral_value(x) for x in ("3", "十", "十二", "二十", "二十一", "两", "〇")] == [3, 10, 12, 20, 21, 2, 0]
    assert t.numeral_value("一百") is None and t.numeral_value("十十") is None


def test_ordinals_are_an_edition_round_or_batch():
    assert t.ordinals("第五届进博会，第3期，第二十一届农博会，第二批试点") == {(5, "届"), (3, "期"), (21, "届"), (2, "批")}
    assert t.ordinals("第一书记，第三方评估") == frozenset()


def test_a_numbered_series_member_is_an_ordinal_of_its_series():
    """神舟十五号 is a look-alike of 神舟十六号, not of 天舟六号; a date (8月3号) is no series."""
    assert t.ordinals("神舟十五号乘组完成了四次出舱") == {(15, "神舟号")}
    assert t.ordinals("武汉地铁12号线，天舟六号") == {(12, "号线"), (6, "天舟号")}
    assert t.ordinals("8月3号发布，第14号台风") == frozenset()
