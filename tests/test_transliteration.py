"""Names in an English question, spelled in pinyin, found among the corpus words (real pypinyin)."""

from __future__ import annotations

from assistant.transliteration import PinyinNames

WORDS = ["江口", "陈婵", "怒溪", "李炳军", "新华", "嫦娥", "铁路", "铁炉", "贫困", "江口县"]


def test_a_place_and_a_person_are_found_by_their_spelling():
    names = PinyinNames(WORDS)
    assert names.words_in("How many times did Chen Chan, a village cadre in Nuxi, put off her wedding?") == ("陈婵", "怒溪")
    assert names.words_in("Which army unit did Guizhou governor Li Bingjun visit?") == ("李炳军",)


def test_the_longest_spelling_wins_and_every_word_spelled_so_is_kept():
    names = PinyinNames(WORDS)
    assert names.words_in("What did Jiangkou County do?") == ("江口",)  # "County" spells nothing
    assert names.words_in("Jiangkouxian") == ("江口县",)
    assert set(names.words_in("the Tielu village school")) == {"铁路", "铁炉"}


def test_english_words_and_short_spellings_are_not_names():
    names = PinyinNames(WORDS)
    assert names.words_in("Will the change last? It is poverty.") == ()  # lower case: an English word, not 嫦娥
    assert names.words_in("Change") == ("嫦娥",)  # capitalised, it may be a name
    assert names.words_in("Xin Hua") == ("新华",)  # a name written in two parts
    assert PinyinNames(["阿姨"]).words_in("Ayi") == ()  # three letters spell too many words to trust
