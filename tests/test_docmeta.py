"""Facts about a document read from its header and footer lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.docmeta import asked_field, extract, find
from assistant.normalize import normalize
from assistant.question import question_kind

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_549b184018a73f24.txt"


def fields(text: str, given=None) -> dict[str, str]:
    return {f.name: f.value for f in extract(text, given)}


def test_the_seed_byline_and_given_metadata():
    text = SEED.read_text(encoding="utf-8")
    found = extract(text, {"title": "江口县：从“贫困标签”到“脱贫样板”"})
    author = find(found, "author")
    assert author.value == "郭进" and text[author.start : author.end] == "郭进"
    title = find(found, "title")
    assert title.start == -1 and "脱贫样板" in title.value


def test_news_header_and_footer_lines():
    text = ("原标题：衡水协会开展慰问退役军人活动作者：朝阳来源：中国视窗在“八一”建军节来临之际，协会开展慰问。"
            "返回搜狐，查看更多责任编辑：李子")
    got = fields(text)
    assert got["author"] == "朝阳" and got["source"] == "中国视窗" and got["editor"] == "李子"
    assert got["title"].startswith("衡水协会开展慰问")
    assert fields("央广网广州8月16日消息（记者 官文清）8月16日，广州市举办发布会。")["reporter"] == "官文清"
    assert fields("湖北日报讯（记者韩晓玲、通讯员周尤）日前，武汉举行活动。")["reporter"] == "韩晓玲"


def test_what_a_question_about_the_document_asks():
    assert asked_field("这篇文章的作者是谁？") == "author"
    assert asked_field("这篇报道的记者是谁？") == "reporter"
    assert asked_field("这篇稿子来源是哪里？") == "source"
    assert asked_field("本文刊登在什么地方？") == "source" and asked_field("这篇报道出自哪里？") == "source"
    assert asked_field("文章标题是什么？") == "title"
    found = extract("（记者 王明）今天下雨。")
    assert find(found, "author").value == "王明"  # no author line: the reporter wrote it


def test_whether_a_question_says_which_document():
    from assistant.docmeta import names_something

    assert not names_something("这篇文章的作者是谁？")
    assert not names_something("这篇案例材料的标题是什么？")
    assert names_something("江口县脱贫那篇文章的作者是谁？")
    # where the name stands and when it was published are not a document's name
    assert not names_something("文章末尾括号里署的是哪位作者的名字？")
    assert not names_something("这篇文章是什么时候发表的？")
    assert not names_something("本文刊登在什么地方？") and not names_something("这份材料的撰稿人是谁？")


def test_the_named_part_is_matched_against_titles():
    from assistant.docmeta import named_part, title_match

    named = named_part("这篇江口的文章是什么时候发表的？")
    assert named == "江口"
    assert title_match(named, "江口县：从“贫困标签”到“脱贫样板”") == 1
    assert title_match(named, "贵州梵净山脚下，国储林这样“点绿为金”") == 0


@pytest.mark.parametrize("question", [
    "这篇文章主要讲了什么？", "帮我总结一下江口脱贫的文章", "这篇报道的主要内容是什么", "文章的主旨是什么？",
    "概括一下这篇报道", "这份材料主要说了些什么", "讲讲那篇关于松茸的新闻", "这篇文章是关于什么的",
])
def test_a_question_about_what_the_whole_document_says(question):
    assert asked_field(normalize(question)) == "gist"
    assert question_kind(normalize(question)) == "meta"


@pytest.mark.parametrize("question", [
    "总结一下文章里的脱贫经验",  # the document word does not end the request: a question about 脱贫经验
    "文章中关于易地扶贫搬迁讲了什么", "概括一下四拼四争精神", "说说建筑材料", "报道中说了哪些措施",
    "文章从经验积累和面貌变化两个层面总结了江口的哪些成效？", "江口的顶层设计被概括成一个什么提法？",
])
def test_a_question_about_a_topic_in_the_document_is_no_request_for_its_gist(question):
    assert asked_field(normalize(question)) != "gist"


def test_the_document_a_gist_request_names():
    from assistant.docmeta import named_part

    assert named_part("帮我总结一下江口脱贫的文章") == "江口脱贫"
    # where the byline stands and what kind of piece it is name no document (特稿 is in other titles too)
    assert named_part("该新闻特稿文末署名的记者叫什么名字？") == ""
    assert named_part("这篇文章主要讲了什么？") == ""
    assert named_part("本文的中心思想是什么") == ""


def test_where_a_news_reports_header_ends():
    from assistant.docmeta import header_end

    text = "原标题：南华菌王诞生 来源：人民网 人民网楚雄8月3日电 (记者李发兴)8月3日，南华县举办菌王选拔大赛。"
    assert text[header_end(text):].startswith("8月3日，南华县")
    text = "新华社北京8月14日电（记者 王明） 今天，北京下了雨。"
    assert text[header_end(text):] == "今天，北京下了雨。"
    # a title alone is no cut (where it ends is a guess), nor is a byline with nothing after it
    assert header_end("原标题：福岛核污染水若排海 日本渔民12年等于白干日本《朝日新闻》消息，多名日本官员近日表示。") == 0
    assert header_end("今天下雨。（记者 王明）") == 0


@pytest.mark.parametrize("question, topic", [
    ("有没有关于易地扶贫搬迁的文章？", "易地扶贫搬迁"), ("有关于松茸的报道吗？", "松茸"), ("有没有驻村干部的案例", "驻村干部"),
    ("关于乡村振兴的报道有哪些？", "乡村振兴"), ("哪些报道提到了松茸？", "松茸"), ("有哪些关于江口的文章", "江口"),
])
def test_a_question_asking_which_documents_speak_of_something(question, topic):
    from assistant.docmeta import searched_topic

    assert asked_field(normalize(question)) == "find" and question_kind(normalize(question)) == "meta"
    assert searched_topic(normalize(question)) == topic


@pytest.mark.parametrize("question", ["江口县有没有贫困村？", "文章里有没有提到郑某？", "有多少篇文章？", "江口有哪些做法？"])
def test_a_question_about_the_content_is_no_search_for_documents(question):
    assert asked_field(normalize(question)) != "find"
