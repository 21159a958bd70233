"""Question analysis: the kind of answer asked for, the slot and unit words, the focus words."""

from __future__ import annotations

import pytest

from assistant.answer_types import AGE, AREA, DURATION, LENGTH, LENGTH_OR_DURATION, MONEY, WEIGHT
from assistant.question import (
    Vocabulary,
    analyze,
    asked_slot,
    asked_unit,
    coverage,
    focus_words,
    question_kind,
    says,
    written_asking,
)


@pytest.mark.parametrize("question, kind", [
    ("江口县县长是谁？", "who"),
    ("遵义会议是哪一年召开的？", "when"),
    ("有多少家民营企业参与了扶贫？", "number"),
    ("该项目总装机容量为多少兆瓦？", "number"),
    ("十堰市第一座地下污水处理项目位于哪个区？", "where"),
    ("凯德街道为什么得了“蜗牛”奖？", "reason"),
    ("村里办积分超市的出发点是什么？", "reason"),  # a purpose is a reason
    ("给考评末位的乡镇发白旗，用意何在？", "reason"),
    ("景区暂停开放，给出的理由是什么？", "reason"),
    ("把赛场放在县城是出于什么考虑？", "reason"),
    ("这项工作法起到了什么作用？", "effect"),
    ("杨华祥担任什么职务？", "role"),
    ("八大攻坚战包括哪些？", "list"),
    ("什么是“四拼四争”？", "definition"),
    ("怎样做到脱贫“退精准”？", "how"),
    ("这篇文章的作者是谁？", "meta"),
    ("这篇介绍江口脱贫经验的报道是谁写的？", "meta"),
    ("文章末尾署的是哪位作者的名字？", "meta"),
    ("文章的出处是哪里？", "meta"),
    ("江口这篇报道出自哪里？", "meta"),
    ("文章末尾署名的记者叫什么名字？", "meta"),
    ("江口县扶贫资金的来源是什么？", "definition"),  # a source of funds is a fact in the text, not the document's
    ("杨华祥在省委党校讲课的题目是什么？", "definition"),
    ("该县的发展规划是哪一年发布的？", "when"),
    ("Who is the county head of Jiangkou?", "who"),
    ("How many villages were poor?", "number"),
    ("三大战略是哪几个？", "list"),  # 哪几/这几 ask which ones, not how many
    ("在十几个县里江口排第几？", "number"),  # 十几个 is a count given; 第几 asks a rank
    ("村里有好几个合作社，最大的是哪个？", "other"),
    ("精准识别最后达到了什么结果？", "effect"),
    ("江口脱贫攻坚最后是什么结果？", "effect"),
    ("精准退出最终达到了什么目标？", "effect"),
    ("梵瑞社区总共有几栋楼？", "number"),
    ("几乎所有农户都参加了吗？", "other"),
    ("这条村道怎么这么难修？", "reason"),  # 怎么 + 这么/那么/就/会 asks why, not how
    ("合作社怎么就停办了？", "reason"),
    ("今天天气不错", "other"),
])
def test_kinds(question, kind):
    assert question_kind(question) == kind


def test_slot_unit_and_focus_words():
    assert asked_slot("哪支部队提供黑鹰直升机") == "部队"
    assert asked_slot("杨华祥担任什么职务") == "职务"
    assert asked_slot("张万富搬迁前住在哪里") == ""  # 哪里 asks for a place: no noun slot ("里")
    assert asked_slot("梵瑞社区何时建成") == ""
    assert asked_slot("那次千人大会是哪天开的") == "" and asked_slot("是哪一天开的会") == ""  # 哪天 asks when
    # which ones of a count (哪几所, 哪五类, 哪十二个) still name their sort; a measure word alone names none
    assert asked_slot("与哪几所科研院所签了协议") == "科研院所" and asked_slot("是哪五类人群") == "人群"
    assert asked_slot("是哪十二个村") == "村" and asked_slot("领衔主演有哪几位") == ""
    assert asked_slot("那几名帮扶干部分别叫什么") == ""  # 那几 points back; 什么 asks, naming no sort
    assert asked_slot("座谈会有哪些企业参加") == "企业"  # 哪些 names its sort as 哪个 does (it gave 些)
    assert asked_slot("那里为什么适合种罗汉果") == ""  # 为什么 asks why: 适合 is no sort of thing
    assert "建成" in focus_words("梵瑞社区建成用了多长时间")  # 多长 asks too
    assert asked_unit("总装机容量为多少兆瓦") == "兆瓦"
    assert asked_unit("引导了多少家民营企业") == "家民营企"
    assert asked_unit("江口县县长是谁") == ""
    # money in any currency, a length of time in any unit
    assert asked_unit("元胡一斤能卖多少钱") == asked_unit("多少钱一斤") == MONEY
    assert asked_unit("建成梵瑞社区用了多长时间") == asked_unit("充电要多久") == DURATION
    # a measure asked without a unit: any unit of it answers
    assert asked_unit("那座桥的主塔有多高") == asked_unit("村子离镇上多远") == LENGTH
    assert asked_unit("新修的步道有多长") == LENGTH_OR_DURATION
    assert asked_unit("那条鱼有多重") == WEIGHT
    assert asked_unit("茶园面积有多大") == asked_unit("建了多大面积的大棚") == AREA
    assert asked_unit("那位老人多大年纪") == AGE
    assert asked_unit("该县贫困发生率有多高") == asked_unit("合作社规模有多大") == ""
    # 几 asks a number only where the kind reads it so: 哪几/那几/这几 ask which ones, 十几/好几 give a
    # rough count, 几乎 means almost
    assert asked_unit("一共修了几栋楼") == "栋楼" and asked_unit("村里有几名干部") == "名干部"
    for which in ("那几名帮扶干部分别叫什么", "哪几个县获奖", "这几项机制的初衷是什么", "十几个县里排第几",
                  "好几名干部是谁", "郑某为啥几乎与社会脱节"):
        assert asked_unit(which) == "", which
    assert "放弃" in focus_words("外交部发言人敦促北约放弃什么过时理念")
    # the window of characters around the asking word keeps the words it cuts whole
    assert "2021" in focus_words("青山村茶叶合作社2021年的总产值是多少？")
    assert "发病率" in focus_words("在我国，肺结核发病率排在传染病第几位？")
    assert focus_words("今天天气不错") == ()


def test_a_count_is_said_whatever_measure_word_the_text_uses():
    # the question picks its own measure word; the text's count is the same count
    assert says("四件", "“四个覆盖”:干部培训全覆盖") and says("四样", "“四个下沉”:责任体系下沉")
    assert says("八个", "江口县明确了八大攻坚战")
    # another count, a larger number ending alike, a unit of time or the article 一 is not
    assert not says("四件", "三个机制") and not says("四件", "十四个县")
    assert not says("三个", "用了三年") and not says("一个", "一批")
    vocab = Vocabulary({"群众": 20, "四件": 1, "事": 30}, n_chunks=100, glossary_forms={})
    q = analyze("群众要的四件事是什么？", vocab)
    assert coverage(q, "群众工作法的“四个覆盖”") > coverage(q, "群众工作法的“三个机制”")


def test_analyze_weights_rare_words_over_common_ones():
    vocab = Vocabulary({"江口县": 50, "县长": 3, "贫困": 80}, n_chunks=100, glossary_forms={})
    q = analyze("江口县县长是谁？", vocab)
    assert q.kind == "who" and q.language == "zh"
    assert q.weights["县长"] > q.weights["江口县"]
    assert coverage(q, "江口县县长杨云") == pytest.approx(1.0)
    assert coverage(q, "江口县贫困发生率") < 0.5
    en = analyze("Who is the county head?", vocab)
    assert en.language == "en" and en.kind == "who"
    assert en.words == () and en.weights == {}  # its English words are in no Chinese text


def test_an_english_question_searches_by_the_names_it_spells_and_its_acronyms():
    vocab = Vocabulary({"江口": 5, "杨云": 2, "县长": 3, "gdp": 4}, n_chunks=100, glossary_forms={})
    en = analyze("Who is the county head of Jiangkou? Is it Yang Yun? What was the GDP of the USA?", vocab)
    assert en.words == ("江口", "杨云", "gdp")  # USA: not in the corpus
    assert en.entities == ("江口", "杨云") and set(en.weights) == {"江口", "杨云", "gdp"}


def test_the_sort_of_thing_asked_is_no_name_the_document_must_hold():
    # 哪座城市 asks for a city: 城市 is the slot, not a place the text must name (it names 布里斯班)
    vocab = Vocabulary({"澳大利亚": 5, "城市": 40, "装甲车": 2}, n_chunks=100, glossary_forms={})
    q = analyze("“拳师”装甲车是在澳大利亚哪个城市造的？", vocab)
    assert q.slot == "城市" and q.entities == ("澳大利亚",)


def test_years_and_numbers_named_in_the_question_are_kept():
    vocab = Vocabulary({}, n_chunks=10, glossary_forms={})
    q = analyze("2022年翠屏区种植水稻多少亩？", vocab)
    assert q.years == ("2022",) and "2022" in q.numbers and q.unit == "亩"


def test_an_english_question_also_searches_with_the_dictionary_words_for_its_other_words():
    vocab = Vocabulary({"江口": 5, "贫困": 3}, n_chunks=100, glossary_forms={}, translations_per_word=1)
    en = analyze("How deep was the poverty in Jiangkou?", vocab)
    assert en.words == ("江口", "贫困") and en.entities == ("江口",)  # a translated word is no name


def test_a_name_jieba_glued_a_character_to_is_cut_back_to_the_corpus_name():
    vocab = Vocabulary({"陈婵": 3, "郑某": 2, "青山": 9, "坝梅村": 4}, n_chunks=100, glossary_forms={})
    assert vocab.known_name("陈婵驻") == "陈婵" and vocab.known_name("郑某刚") == "郑某"
    assert vocab.known_name("青山村") == "青山村"  # a place suffix is part of the name: still unknown
    assert vocab.known_name("坝梅村") == "坝梅村" and vocab.known_name("张三丰") == "张三丰"


@pytest.mark.parametrize("spoken, kind, written", [
    ("江口县长叫啥？", "who", "江口县长叫什么"),
    ("梵瑞社区啥时候建好的？", "when", "梵瑞社区什么时候建好的"),
    ("凯德街道为啥拿了蜗牛奖？", "reason", "凯德街道为什么拿了蜗牛奖"),
    ("杨云是干啥的？", "role", "杨云是干什么的"),
    ("精准退出咋搞的来着？", "how", "精准退出怎么搞的"),
])
def test_spoken_asking_words_are_read_as_written_ones(spoken, kind, written):
    q = analyze(spoken, Vocabulary({}, n_chunks=10, glossary_forms={}))
    assert q.kind == kind and q.normalized.rstrip("？?") == written


def test_spoken_fillers_are_not_content_words():
    vocab = Vocabulary({"梵瑞": 2, "社区": 9, "书记": 5}, n_chunks=100, glossary_forms={})
    q = analyze("俺想问下咱那个梵瑞社区到底是咋建起来的呗", vocab)
    assert q.kind == "how" and not {"俺", "咱", "那个", "到底", "问下", "呗"} & set(q.words)
    assert "梵瑞" in q.words


def test_us_after_give_or_with_is_no_filler():
    # 给我/跟我 before a request is a filler (给我讲讲); 给我们/跟我们 names who, and stays
    assert written_asking("给我讲讲梵瑞社区") == "讲讲梵瑞社区"
    assert written_asking("帮扶单位送给我们村什么") == "帮扶单位送给我们村什么"
    assert written_asking("他跟我们村签了什么协议") == "他跟我们村签了什么协议"
