"""Follow-ups resolved against the previous turn: pronouns, plural references, ellipsis,
demonstratives and story continuations; the previous answer's documents become the first scope."""

from __future__ import annotations

from assistant.conversation import Turn, resolve_followup
from assistant.schema import Answer, Citation


def _turn(question: str, answer: str, doc_id: str = "d1") -> Turn:
    cite = Citation(n=1, doc_id=doc_id, title="t", text=answer, start=0, end=len(answer), score=1.0)
    return Turn(question, question, Answer(question=question, text=answer + "[1]", citations=(cite,)))


def test_a_first_question_is_not_a_follow_up():
    r = resolve_followup("江口县委书记是谁？", [])
    assert r.text == "江口县委书记是谁？" and not r.follow_up and not r.scope


def test_singular_pronoun_takes_the_person_next_to_the_asked_role():
    history = [_turn("江口县委书记是谁？", "11月12日，江口县委书记杨华祥应邀赴中国浦东干部学院授课；")]
    r = resolve_followup("他在省委党校讲了什么？", history)
    assert r.text == "杨华祥在省委党校讲了什么？" and r.follow_up and r.scope == frozenset({"d1"})


def test_a_word_for_many_people_in_the_question_is_no_role_to_look_for_a_name_after():
    """群众 in 讲提升群众认可度专题课的是谁 is no title: 他 was read as 认可度 (the characters after 群众 in the
    answer) instead of the person the answer names."""
    history = [_turn("12月13日在省委党校讲提升群众认可度专题课的是谁？",
                     "12月13日,杨华祥赴贵州省委*校作《提升脱贫攻坚群众认可度巩固*的执*基础》的专题讲课;")]
    assert resolve_followup("他在那之前一个月还去哪里授过课？", history).text == "杨华祥在那之前一个月还去哪里授过课？"


def test_an_inserted_name_is_searched_as_a_word_of_its_own():
    """杨云去哪里 is shown as written, but searched with the name set apart: jieba reads 杨云去 as one
    word, and a question that never says 杨云 finds nothing about him."""
    history = [_turn("江口县县长是谁？", "10月25日，江口县县长杨云到贵州省省*府常务会上作脱贫经验交流发言；")]
    r = resolve_followup("他去哪里作了发言？", history)
    assert r.text == "杨云去哪里作了发言？"
    assert r.searched == "杨云 去哪里作了发言？"
    assert resolve_followup("江口县县长是谁？", []).searched == "江口县县长是谁？"


def test_plural_pronoun_takes_the_people_of_the_previous_answer():
    history = [_turn("谁推迟了婚期？", "怒溪扶贫站站长潘文*与驻村干部陈婵，在脱贫攻坚重任前三度推迟了婚期。")]
    r = resolve_followup("他们是哪天办的婚礼？", history)
    assert "陈婵" in r.text and "他们" not in r.text


def test_elliptic_question_swaps_the_quoted_topic():
    history = [_turn("“四个下沉”是什么？", "“四个下沉”：责任体系下沉……")]
    assert resolve_followup("那“四个结合”呢？", history).text == "“四个结合”是什么？"


def test_elliptic_question_swaps_the_word_it_stands_for_when_nothing_is_quoted():
    """“贫困人口呢？” after a “how many” question asks the same of 贫困人口 (it was read as “贫困人口是什么？”):
    the word put back is the one of its sort sharing its characters, its last one first, nearest the
    asking word; a year takes the place of a year, a name of a name."""
    villages = [_turn("江口有多少个贫困村？", "时至年，江口还有80个贫困村。", doc_id="seed")]
    r = resolve_followup("贫困人口呢？", villages)
    assert r.text == "江口有多少个贫困人口？" and r.follow_up and r.scope == frozenset({"seed"})
    cattle = [_turn("台安县韭菜台村的母牛繁育养殖厂，现在种牛存栏多少头？", "……")]
    assert resolve_followup("那育肥牛呢？", cattle).text == "台安县韭菜台村的母牛繁育养殖厂，现在育肥牛存栏多少头？"
    projects = [_turn("2022年陕西乡村建设立项了多少个项目？", "……")]
    assert resolve_followup("那2023年呢？", projects).text == "2023年陕西乡村建设立项了多少个项目？"
    assert resolve_followup("甘肃呢？", projects).text == "2022年甘肃乡村建设立项了多少个项目？"
    # nothing of its sort or characters to stand for: the topic is asked about on its own
    assert resolve_followup("那“谁来扶”呢？", villages).text == "谁来扶是什么？"


def test_demonstratives_and_continuations_keep_the_previous_subject():
    history = [_turn("武汉地铁12号线首个盾构区间在哪两站之间贯通？", "……", doc_id="news-1")]
    r = resolve_followup("这条地铁线全长多少公里？", history)
    assert r.follow_up and r.scope == frozenset({"news-1"}) and "12号线" in r.text
    r = resolve_followup("后来怎么样了？", history)
    assert r.follow_up and "武汉" in r.text
    # 这一 / 该 + a noun refer back as 这条 does
    history = [_turn("请介绍一下江口的“四级包保”责任机制。", "……", doc_id="seed")]
    r = resolve_followup("这一机制让哪些方面下沉了？", history)
    assert r.follow_up and r.scope == frozenset({"seed"}) and "四级包保" in r.text


def test_words_that_only_look_like_pronouns_are_not_follow_ups():
    history = [_turn("江口县县长是谁？", "县长杨云")]
    r = resolve_followup("其他县的县长是谁？", history)
    assert r.text == "其他县的县长是谁？" and not r.follow_up


def test_a_refused_turn_gives_no_scope():
    refused = Turn("青山村在哪？", "青山村在哪？", Answer(question="青山村在哪？", text="资料中没有相关内容", refused=True))
    assert resolve_followup("那里有多少人？", [refused]).scope == frozenset()


def test_a_question_of_its_own_inside_na_ne_keeps_its_asking_words():
    """“那这届比赛的MVP是谁呢？” asks its own question: the previous subject joins it, nothing is
    swapped in (it was read as the topic “这届比赛的MVP是谁” + “是什么？”)."""
    history = [_turn("2023年三亚市和美乡村篮球大赛最后是哪个区的代表队拿了冠军？", "……", doc_id="news-2")]
    r = resolve_followup("那这届比赛的MVP是谁呢？", history)
    assert r.follow_up and r.scope == frozenset({"news-2"})
    assert "三亚市" in r.text and "MVP是谁" in r.text and "是什么" not in r.text and "呢" not in r.text
    swapped = [_turn("“四个下沉”是什么？", "……")]
    assert resolve_followup("那“谁来扶”呢？", swapped).text == "“谁来扶”是什么？"  # a quoted name asks nothing


def test_a_pronoun_for_a_thing_takes_the_whole_previous_subject():
    """它 after a question about 携程度假农庄…河谷草原店 keeps both names: a noun phrase cut from the
    question (那拉提新建) lost the shop it refers to."""
    history = [_turn("携程度假农庄在那拉提新建的河谷草原店，计划建多少间度假屋？", "……", doc_id="news-3")]
    r = resolve_followup("那它的总投资大概多少？", history)
    assert r.follow_up and "携程度假农庄" in r.text and "河谷草原店" in r.text and "总投资" in r.text


def test_a_non_question_is_no_topic_to_refer_back_to():
    """帮我写一首诗 then 电商: the help message was the answer, so 电商 is a search of its own, not
    “写一首诗，电商”; a question before the greeting is still the one referred back to."""
    help_turn = Turn("帮我写一首关于乡村振兴的诗", "帮我写一首关于乡村振兴的诗",
                     Answer(question="帮我写一首关于乡村振兴的诗", text="我是……问答助手", refused=True, mode="help"))
    r = resolve_followup("电商", [help_turn])
    assert r.text == "电商" and not r.follow_up
    asked = _turn("江口县委书记是谁？", "11月12日，江口县委书记杨华祥应邀赴中国浦东干部学院授课；")
    assert resolve_followup("他在省委党校讲了什么？", [asked, help_turn]).text == "杨华祥在省委党校讲了什么？"


def test_a_counted_group_refers_back_only_to_a_group_the_previous_turn_named():
    """那几名帮扶干部 after a question about the 县长 names a group the conversation never spoke of: it
    is read on its own (it was read as “江口县县长，几名帮扶干部…” and quoted the 县长's sentence). After
    an answer about four 帮扶干部 it refers back, and keeps its 那 (几名 alone would ask how many)."""
    mayor = [_turn("江口县县长是谁？", "10月25日，江口县县长杨云到贵州省省*府常务会上作脱贫经验交流发言；")]
    r = resolve_followup("那几名帮扶干部分别叫什么？", mayor)
    assert r.text == "那几名帮扶干部分别叫什么？" and not r.follow_up
    cadres = [_turn("怒溪镇派了多少名帮扶干部？", "怒溪镇4名帮扶干部吃住在村。", doc_id="seed")]
    r = resolve_followup("那几名帮扶干部分别叫什么？", cadres)
    assert r.follow_up and r.scope == frozenset({"seed"}) and "那几名帮扶干部" in r.text and "怒溪镇" in r.text
    # a conjunction 那 and a demonstrative without a count still refer back as before
    assert resolve_followup("那两年后呢？", mayor).follow_up
    assert resolve_followup("那场会议在哪里开的？", mayor).follow_up


def test_a_question_about_a_document_it_names_is_not_a_follow_up():
    """“概括一下外交部那篇报道” names its own document: read as a follow-up, the previous answer's document
    was searched first and summed up instead. “这篇文章” still means the document just cited."""
    history = [_turn("云南南华县的菌王拍出了多少钱？", "848克松茸拍出6.8万元", doc_id="news-songrong")]
    r = resolve_followup("概括一下外交部粮食安全那篇报道", history)
    assert r.text == "概括一下外交部粮食安全那篇报道" and not r.follow_up and not r.scope
    r = resolve_followup("这篇文章主要讲了什么？", history)
    assert r.follow_up and r.scope == frozenset({"news-songrong"})


def test_a_demonstrative_place_takes_the_place_of_that_sort_the_previous_turn_named():
    """该县 after a question asking which county: the county the answer names (it was read as the
    previous question's quoted project, “母亲健康快车”，该县获赠了几辆车？, and refused)."""
    asked = _turn("中国妇女发展基金会决定向四川阿坝州哪个县捐赠流动医疗救护车，用于实施“母亲健康快车”公益项目？",
                  "近日，中国妇女发展基金会决定向四川省阿坝州红原县捐赠4辆流动医疗救护车。", doc_id="news-9")
    r = resolve_followup("该县获赠了几辆车？", [asked])
    assert r.text == "红原县获赠了几辆车？" and r.follow_up and r.scope == frozenset({"news-9"})
    # named in the previous question itself
    r = resolve_followup("这个村有多少户？", [_turn("坝梅村推行什么工作法？", "……", doc_id="seed")])
    assert r.text == "坝梅村有多少户？"
    # no place of that sort said: the previous subject, as for any demonstrative
    r = resolve_followup("该县获赠了几辆车？", [_turn("“母亲健康快车”项目是谁发起的？", "中国妇女发展基金会。")])
    assert r.follow_up and "母亲健康快车" in r.text


def test_a_plural_pronoun_with_no_people_named_refers_back_to_the_previous_subject():
    """他们 after a question about 4名帮扶干部 (no names): the previous question's subject and its
    documents (it was read as a question of its own and quoted another article's 说了一句话)."""
    cadres = [_turn("1月26日寒潮凝冻时，怒溪镇有几名帮扶干部冒险上路？", "怒溪镇4名帮扶干部在陡峭冰路上匍匐爬行。",
                    doc_id="seed")]
    r = resolve_followup("他们当时说了一句什么话？", cadres)
    assert r.follow_up and r.scope == frozenset({"seed"}) and "帮扶干部" in r.text and "说了一句" in r.text


def test_a_demonstrative_thing_takes_the_name_of_that_sort_the_previous_turn_named():
    """这些覆盖 after a question about “四个覆盖”: that name (it was read as the question's first quoted
    name, “三个四”，这些覆盖要求…, and refused). The thing the previous question asked for (哪种方法 →
    该方法) is not cut from its answer, which names other methods too: the previous subject then, as before."""
    asked = _turn("“三个四”群众工作法里的“四个覆盖”是哪四个？", "“四个覆盖”:干部培训全覆盖,入户走访全覆盖,思想动员全覆盖。")
    r = resolve_followup("这些覆盖要求在哪几方面做到“到位”？", [asked])
    assert r.text == "“四个覆盖”要求在哪几方面做到“到位”？" and r.follow_up and r.scope == frozenset({"d1"})
    r = resolve_followup("这一机制推动了哪些方面的下沉？",
                         [_turn("请介绍一下江口的“四级包保”责任机制。", "江口建立“县级干部包乡”的“四级包保”责任机制。")])
    assert r.text == "“四级包保”责任机制推动了哪些方面的下沉？"
    method = _turn("江口搞精准识别，创新推行的是哪种方法？",
                   "该县创新推行“一学二访三会四评”精准识别、“一问二核三认四证”精准退出方法。")
    r = resolve_followup("该方法里开的会具体指哪两种会？", [method])
    assert "精准退出" not in r.text and "精准识别" in r.text and r.follow_up
