"""Numbers: every number of an answer stands in a cited passage; numbers the scrape lost are found."""

from __future__ import annotations

import pytest

from assistant.grounding import (lost_amounts, lost_number, lost_quoted_text, missing_number_before, numbers_in,
                                 ungrounded_numbers)


def test_numbers_and_ungrounded_numbers():
    assert numbers_in("发生率19.85%，80个村[1]") == ["19.85", "80"]
    assert ungrounded_numbers("共80个村，4.5万人[1]", ["尚有80个贫困村，4.3万人"]) == ["4.5"]
    assert ungrounded_numbers("1,200户", ["1200户"]) == []


@pytest.mark.parametrize("text, noun, lost", [
    ("名机关干部与名村干部组成个驻村工作队", "机关干部", True),
    ("200名机关干部", "机关干部", False),
    ("每名机关干部", "机关干部", False),  # a determiner, not a lost number
    ("各个驻村工作队", "驻村工作队", False),
    ("这家企业", "企业", False),
    ("国家电网公司", "电网", False),  # 家 is part of the word 国家
    ("引导家民营企业参与", "民营企业", True),
    ("判处三名被告人有期徒刑十一个月至三年", "有期徒", False),  # 人 ends 被告人: a news sentence lost nothing
    ("一年可养小龙虾两季", "龙虾", False),  # 小 is no measure word (only part of 小时)
    ("救助在校困难中、小学生5515名", "学生", False),
])
def test_missing_number_before(text, noun, lost):
    assert missing_number_before(text, noun) is lost


def test_lost_number_needs_the_measure_word_and_noun_asked():
    assert lost_number("名机关干部与名村干部", "名机关干")
    assert not lost_number("200名机关干部", "名机关干")
    assert not lost_number("名机关干部", "兆瓦")
    # the question may count with another measure word than the text's (多少支…工作队: 组成个驻村工作队)
    assert lost_number("名村干部组成个驻村工作队", "支驻村工") and not lost_number("组成12个驻村工作队", "支驻村工")
    # a noun asked without a measure word (多少小龙虾), and a measure word before a noun that holds 小
    assert not lost_number("一年可养小龙虾两季，预计年产小龙虾4万斤", "小龙虾")
    assert not lost_number("救助在校困难中、小学生及学龄前儿童5515名", "名学生")


def test_lost_number_of_a_unit_asked_on_its_own():
    """多少平方公里 asks a unit with no measure word and noun: the seed's “在平方公里土地上” lost its
    number (it was quoted without the note); a stated, counted or embedded unit did not."""
    assert lost_number("站在新时代的起点,在平方公里土地上,江口县委", "平方公里")
    assert lost_number("累计投资万元", "万元")
    assert not lost_number("全县面积1869平方公里", "平方公里")
    assert not lost_number("水域面积 816 平方公里", "平方公里")  # a space between a number and its unit
    assert not lost_number("十万元", "万元")
    assert not lost_number("每平方公里有人", "平方公里")  # a determiner, not a lost number
    assert not lost_number("他小时候很穷", "小时")  # part of a longer word
    # a noun asked about is no unit: 保费总额397652元 states its number (it was claimed lost)
    assert not lost_number("参保脱贫户1899户4478人，保费总额397652元", "保费")


def test_a_head_count_whose_number_was_lost():
    """全村有人, and 2个社区共有人, lost the number of people; 是否有人 and 所有人 are whole Chinese."""
    assert lost_number("坝梅村坐落于梵净山西线山脚,全村有人,贫困发生率2.13%", "人")
    assert lost_number("凯德街道有6个行*村2个社区共有人,贫困发生率已从年的12.11%降至2.38%", "人")
    assert not lost_number("坝梅村坐落于梵净山西线山脚,全村有人,贫困发生率2.13%", "户")
    assert not lost_number("车上是否有人、现场伤亡情况", "人") and not lost_number("送给参加活动的所有人，", "人")
    assert not lost_number("全村有人口1200人，", "人")


def test_an_empty_pair_of_quotation_marks_is_text_the_scrape_lost():
    assert lost_quoted_text("江口以“”的好成绩脱贫") and lost_quoted_text("创下「 」全省第一")
    assert not lost_quoted_text("点燃了“我要脱贫”“摘帽光荣”的巨大热情")  # a closing mark then an opening one
    assert not lost_quoted_text('他说"好" "走"')  # ASCII quotes have no direction: left alone


def test_an_amount_with_only_duo_before_it_lost_its_number():
    """多 (“more than”) qualifies a unit of measure only after a number: the seed's 干完了多公里组组通 and
    多万平方米联户路 lost theirs; 10多公里, 许多公里, 多名干部 (“several”) and 多元 are whole."""
    seed = "江口干完了多公里组组通、多万平方米联户路、多处安全饮水工程"
    assert lost_amounts(seed) == ["多公里", "多万平方米"]
    assert lost_number(seed, "公里组组") and lost_number(seed, "平方米联") and lost_number(seed, "万平方米")
    assert not lost_number(seed, "处安全")  # 多处: “several places” is whole Chinese
    for whole in ("修了10多公里组组通", "二十多万平方米", "3 多公里", "许多公里", "多名干部", "多元化解", "很多亩地"):
        assert lost_amounts(whole) == [], whole
    assert not lost_number("修了10多公里组组通", "公里组组")
    assert lost_amounts("修了一万多公里") == [] and lost_amounts("三百多亩") == []  # a magnitude is a number
    assert not lost_number("爱心人士驱车3个多小时赶到", "小时")  # 3个多小时 states its number
