"""Numbers: every number of an answer stands in a cited passage; numbers the scrape lost are found."""

from __future__ import annotations

import pytest

from assistant.grounding import lost_number, missing_number_before, numbers_in, ungrounded_numbers


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
])
def test_missing_number_before(text, noun, lost):
    assert missing_number_before(text, noun) is lost


def test_lost_number_needs_the_measure_word_and_noun_asked():
    assert lost_number("名机关干部与名村干部", "名机关干")
    assert not lost_number("200名机关干部", "名机关干")
    assert not lost_number("名机关干部", "兆瓦")
