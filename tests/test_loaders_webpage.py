"""Saved web pages: the walker, declared charsets, and the article without menus (assistant.loaders.webpage)."""

from __future__ import annotations

import pytest

from assistant.loaders import LoaderError, load_file


def test_html_visible_text_without_script(tmp_path):
    markup = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>驻村工作简报</title>
    <style>body { color: red; }</style><script>var secret = "脚本内容";</script></head>
    <body><h1>第一书记</h1><p>走访农户
      一百二十户。</p><script>alert(1)</script><!-- 注释内容 -->
    <div>产业<b>帮扶</b>成效明显<br>群众满意</div>
    <ul><li>茶叶</li><li>食用菌</li></ul>
    <table><tr><td>村名</td><td>人口</td></tr></table>
    <noscript>请启用脚本</noscript></body></html>"""
    path = tmp_path / "brief.html"
    path.write_text(markup, encoding="utf-8")
    [doc] = load_file(path)
    assert doc.title == "驻村工作简报"
    lines = doc.text.split("\n")
    assert lines[0] == "第一书记"
    assert "走访农户 一百二十户。" in lines
    assert "产业帮扶成效明显" in lines and "群众满意" in lines
    assert "茶叶" in lines and "食用菌" in lines
    assert "村名" in doc.text and "人口" in doc.text
    for hidden in ("alert", "secret", "脚本内容", "color", "注释内容", "请启用脚本", "驻村工作简报"):
        assert hidden not in doc.text


def test_html_title_falls_back_to_h1_and_declared_charset(tmp_path):
    markup = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>' \
             "<body><h1>乡村振兴</h1><p>正文段落。</p></body></html>"
    path = tmp_path / "page.htm"
    path.write_bytes(markup.encode("gbk"))
    [doc] = load_file(path)
    assert doc.title == "乡村振兴"
    assert doc.text == "乡村振兴\n正文段落。"


def test_html_declared_big5_beats_the_gb18030_guess(tmp_path):
    body = "臺灣鄉村的產業發展與農民收入"
    data = f'<html><head><meta charset="big5"></head><body><p>{body}</p></body></html>'.encode("big5")
    assert data.decode("gb18030") != data.decode("big5")  # a GB18030 guess would be mojibake
    path = tmp_path / "big5.html"
    path.write_bytes(data)
    assert load_file(path)[0].text == body


def test_html_with_only_script_is_empty(tmp_path):
    path = tmp_path / "script-only.html"
    path.write_text("<html><body><script>alert(1)</script></body></html>", encoding="utf-8")
    with pytest.raises(LoaderError, match="^文件为空"):
        load_file(path)


NEWS_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>江口县：从贫困标签到脱贫样板_新闻中心_铜仁市人民政府网</title>
<meta property="article:published_time" content="2020-12-20">
<link rel="canonical" href="http://www.trs.gov.cn/xwzx/2020/1220/jiangkou.html"></head><body>
<header><div class="top">欢迎访问铜仁市人民政府网 | 无障碍浏览 | 长者模式 | 登录</div>
<nav><ul><li><a href="/">首页</a></li><li><a href="/xwzx">新闻中心</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/bsfw">办事服务</a></li><li><a href="/hdjl">互动交流</a></li><li><a href="/zsyz">招商引资</a></li></ul></nav></header>
<div class="crumbs"><a href="/">首页</a> &gt; <a href="/xwzx">新闻中心</a> &gt; 县区动态</div>
<article><h1>江口县：从贫困标签到脱贫样板</h1>
<div class="info">来源：铜仁日报　作者：郭进　发布时间：2020-12-20</div>
<p>9月25日，在贵州14个脱贫县中，江口以优异的成绩脱贫，零漏评、零错退，群众认可度99.05%。</p>
<p>10月25日，江口县县长杨云到贵州省省政府常务会上作脱贫经验交流发言。</p>
<p>11月12日，江口县委书记杨华祥应邀赴中国浦东干部学院，为全国贫困县党政正职专题研讨班授课。</p>
<p>江口做好“三个三”顶层设计，创新运用“三个四”新时代群众工作法，“勤”字当头、“干”字为先，在黔东大地打造新时代脱贫样板，交出优异脱贫答卷。</p>
<p>仅10个月时间，江口建成凯德街道梵瑞社区，让群众入住新居，堪称江口建设史上的奇迹。</p>
</article>
<aside><h3>相关新闻</h3><ul>
<li><a href="/a">江口县县长会见来访客商代表团</a></li>
<li><a href="/b">铜仁市召开全市经济工作会议</a></li>
<li><a href="/c">梵净山景区门票价格调整公告</a></li></ul></aside>
<footer><p>版权所有：铜仁市人民政府办公室　主办单位：铜仁市人民政府　联系电话：0856-5222000</p>
<p>黔ICP备05002233号　黔公网安备52060202000108号</p></footer>
</body></html>"""
MENU_AND_FOOTER = ("首页", "政务公开", "办事服务", "无障碍浏览", "相关新闻", "会见来访客商", "梵净山景区门票", "版权所有",
                   "黔ICP备")


def _news(tmp_path):
    path = tmp_path / "江口新闻.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    return path


def test_a_news_page_gives_its_article_without_menus_and_footer(tmp_path):
    [doc] = load_file(_news(tmp_path))
    assert "10月25日，江口县县长杨云到贵州省省政府常务会上作脱贫经验交流发言。" in doc.text.split("\n")
    assert "仅10个月时间" in doc.text
    for boilerplate in MENU_AND_FOOTER:
        assert boilerplate not in doc.text, boilerplate
    assert doc.title == "江口县：从贫困标签到脱贫样板"  # the headline, not the <title> with the site's name
    assert doc.date == "2020-12-20" and doc.url == "http://www.trs.gov.cn/xwzx/2020/1220/jiangkou.html"


def test_a_sidecar_still_wins_over_the_page(tmp_path):
    path = _news(tmp_path)
    path.with_name(path.name + ".meta.json").write_text('{"title": "旁注标题", "date": "2020-12-21"}', encoding="utf-8")
    [doc] = load_file(path)
    assert (doc.title, doc.date) == ("旁注标题", "2020-12-21")


@pytest.mark.slow
def test_the_answer_quotes_the_article_never_the_menu(tmp_path, embedder):
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    folder = tmp_path / "corpus"
    folder.mkdir()
    _news(folder)
    settings = Settings.from_env(index_dir=tmp_path / "index", corpus=(folder,))
    assistant = Assistant(settings, embedder=embedder)
    assistant.build()
    for question in ("江口县县长是谁？", "江口县县长会见了谁？", "铜仁市人民政府网的联系电话是多少？"):
        answer = assistant.ask(question)
        quoted = " ".join(c.text for c in answer.citations) + " ".join(h.chunk.text for h in answer.retrieved)
        for boilerplate in MENU_AND_FOOTER + ("0856-5222000",):
            assert boilerplate not in quoted, (question, boilerplate)
    answer = assistant.ask("江口县县长是谁？")
    assert "杨云" in answer.text and answer.citations[0].page is None
