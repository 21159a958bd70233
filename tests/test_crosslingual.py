"""The Chinese words an English question searches with: names spelled in pinyin (real pypinyin) and
the words CC-CEDICT glosses its other words with (the real dictionary)."""

from __future__ import annotations

import pytest

from assistant.crosslingual import GlossedWords, PinyinNames

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


CORPUS_WORDS = {"贫困": 40, "机制": 30, "村庄": 12, "乡村": 50, "奖励": 9, "江口": 20, "公众": 5}


@pytest.fixture(scope="module")
def glossed():
    return GlossedWords(CORPUS_WORDS)  # the whole CC-CEDICT, kept to the corpus words


def test_english_words_find_the_corpus_words_the_dictionary_glosses_them_with(glossed):
    found = glossed.words_in("Which mechanisms reward villages out of poverty?", per_word=2)
    assert {"机制", "奖励", "贫困"} <= set(found)  # plural and other endings come off when needed
    assert set(found) & {"村庄", "乡村"}
    assert set(found) <= set(CORPUS_WORDS)  # never a word the corpus does not use


def test_stop_words_and_names_are_not_looked_up(glossed):
    assert glossed.words_in("What is it, and who was there?", per_word=3) == ()
    assert "江口" not in glossed.words_in("Jiangkou", per_word=3)  # a name is spelled, not translated
    assert len(glossed.words_in("village", per_word=1)) == 1


def test_a_stop_word_is_not_looked_up_even_when_an_ending_off_it_is_glossed():
    glossed = GlossedWords({"后来": 3}, [{"simplified": "后来", "definitions": ["afterward"]}])
    assert glossed.words_in("afterward", per_word=1) == ("后来",)
    assert glossed.words_in("afterwards", per_word=1) == ()  # a stop word, though "afterward" is glossed


def test_a_gloss_that_is_the_word_alone_comes_first():
    entries = [{"simplified": "扶贫", "definitions": ["poverty alleviation"]},
               {"simplified": "贫困", "definitions": ["poverty", "poor"]}]
    glossed = GlossedWords({"扶贫": 100, "贫困": 1}, entries)
    assert glossed.words_in("poverty", per_word=1) == ("贫困",)  # not the more frequent 扶贫
    assert glossed.words_in("poverty", per_word=2) == ("贫困", "扶贫")
