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
