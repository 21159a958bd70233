"""No stored XSS (issue 10, item 3), in real headless Chromium.

Documents whose text, title (a sidecar's, a web page's <title>) and file name carry
``<img onerror>``, ``<script>``, ``<svg onload>``, ``<iframe srcdoc>`` and ``javascript:`` links
(Markdown and HTML) are built into the index and uploaded through the library tab, and a
question carries one too; then every place that shows them is opened — the answer, its citation
card and 查看原文, search results and their document view, the glossary, the lecture outline,
the library list. Each payload would set its own ``window.__xss_<n>`` or call ``alert(n)``; the
test records every dialog and checks that none ran, that no payload became an element, and that
the text is shown literally. Figures: test-artifacts/reliability/xss.json (payloads, executed)."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.reliability import record

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CORPUS = PROJECT_ROOT / "corpus"
PASSWORD = "xss-test-密码"
TIMEOUT = 30_000

try:
    from playwright.sync_api import Page, expect, sync_playwright

    expect.set_options(timeout=TIMEOUT)
except ImportError:  # pragma: no cover
    sync_playwright = None

if sync_playwright is None or not CHROMIUM.exists():
    reason = "playwright 未安装" if sync_playwright is None else f"找不到 {CHROMIUM}（请运行 make browser-deps）"
    if os.environ.get("CI"):
        pytest.fail(f"浏览器测试无法运行：{reason}", pytrace=False)
    pytest.skip(f"跳过浏览器测试：{reason}", allow_module_level=True)

# each payload marks its own number when it runs: window.__xss_<n> = 1 or alert(<n>)
PAYLOADS = {
    1: '<img src=x onerror="window.__xss_1=1;alert(1)">',
    2: "<script>window.__xss_2=1;alert(2)</script>",
    3: "[议事规则](javascript:window.__xss_3=1)",
    4: '<a href="javascript:window.__xss_4=1">议事记录</a>',
    5: '<svg onload="window.__xss_5=1"></svg>',
    6: '"><img src=x onerror=window.__xss_6=1>',
    7: '<iframe srcdoc="<script>parent.__xss_7=1</script>"></iframe>',
    8: "<details open ontoggle=\"window.__xss_8=1\">",
    9: "'-alert(9)-'",
    10: '<img src=x onerror="window.__xss_10=1">',  # in the file name
    11: "<script>window.__xss_11=1</script>",  # in the title (sidecar)
    12: '<svg onload="window.__xss_12=1">',  # in the name of a file uploaded through the page
    13: "<style>body{display:none}</style>",  # would hide the page
    14: '<img src=x onerror="window.__xss_14=1">',  # in an uploaded file's text
    15: '<img src=x onerror="window.__xss_15=1">',  # in a web page's <title> (escaped there as &lt;…)
    16: '<img src=x onerror="window.__xss_16=1">',  # in the question itself
}
BUILT_TEXT = (
    f"石桥村推行“五步议事法”，村民都来议事。{PAYLOADS[1]}\n"
    f"“五步议事法”：提议{PAYLOADS[2]}、商议、决议、公示、监督，每一步都有村民参与。\n"
    f"村干部说：详情见{PAYLOADS[3]}和{PAYLOADS[4]}。\n"
    f"{PAYLOADS[5]}石桥村的议事会每月召开一次，{PAYLOADS[6]}会上大家畅所欲言。\n"
    f"{PAYLOADS[7]}议事结果张榜公布，接受群众监督。{PAYLOADS[8]}{PAYLOADS[9]}{PAYLOADS[13]}\n"
)
BUILT_NAME = f"{PAYLOADS[10]}石桥村.txt"
BUILT_TITLE = f"{PAYLOADS[11]}石桥村议事"
UPLOAD_NAME = f"{PAYLOADS[12]}白马村.txt"
UPLOAD_TEXT = f"白马村推行“三议两公开”，{PAYLOADS[14]}村里的大事都由村民商量决定。\n" * 3
PAGE_NAME = "网页.html"
PAGE_HTML = (f"<html><head><title>{PAYLOADS[15].replace('<', '&lt;')}石桥村网页</title></head><body>"
             "<script>window.__xss_15=1</script><p>石桥村议事会的记录张贴在村委会门口。</p>" * 3 + "</body></html>")
RESULT = {"payloads": len(PAYLOADS), "executed": 0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(embedder, tmp_path_factory):
    """The app over corpus/ plus the hostile document (file name, sidecar title, text), password set."""
    from assistant.pipeline import Assistant
    from assistant.ui import build_app, serve

    root = tmp_path_factory.mktemp("xss")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / BUILT_NAME).write_text(BUILT_TEXT * 2, encoding="utf-8")
    (corpus / (BUILT_NAME + ".meta.json")).write_text(json.dumps({"title": BUILT_TITLE}, ensure_ascii=False),
                                                       encoding="utf-8")
    (corpus / PAGE_NAME).write_text(PAGE_HTML, encoding="utf-8")
    settings = Settings.from_env(index_dir=root / "index", corpus=(corpus,), host="127.0.0.1", port=_free_port(),
                                 root_path="", admin_password=PASSWORD, feedback_file=root / "feedback.jsonl")
    assistant = Assistant.open(settings, embedder=embedder)
    assert any(d.title == BUILT_TITLE for d in assistant.store.documents.values()), "the hostile document was not built"
    demo = build_app(assistant, settings)
    serve(demo, settings, prevent_thread_lock=True, quiet=True)
    yield {"url": f"http://127.0.0.1:{settings.port}/", "root": root}
    demo.close()
    record("xss", **RESULT)


@pytest.fixture(scope="module")
def page(app):
    """One page for the whole walk (the payloads' marks add up); every dialog is recorded."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT)
        pg = context.new_page()
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.goto(app["url"])
        expect(pg.locator("#chat-examples .example-q").first).to_be_visible()
        yield pg
        browser.close()


def _executed(pg: Page) -> list[str]:
    """The payloads that ran so far (each counted once, by its number)."""
    marks = pg.evaluate("Object.keys(window).filter(k => k.startsWith('__xss_'))")
    return sorted({m.removeprefix("__xss_") for m in marks} | {str(m) for m in pg.dialogs})


INJECTED = ('img[src="x"], svg[onload], iframe[srcdoc], details[ontoggle], a[href^="javascript:"], '
            "script:not([src]):not([type])")


def _check(pg: Page, where: str, container: str, literal: list[str]) -> None:
    """Nothing ran, no payload is an element inside ``container``, and ``literal`` texts are shown."""
    executed = _executed(pg)
    RESULT["executed"] = len(executed)
    assert not executed, f"{where}: payloads ran: {executed}"
    injected = pg.locator(f"{container} :is({INJECTED})")
    assert injected.count() == 0, f"{where}: payload elements in the page: {injected.first.evaluate('e => e.outerHTML')}"
    shown = pg.locator(container).first.inner_text()
    for text in literal:
        assert text in shown, f"{where}: {text!r} is not shown literally"
    assert pg.evaluate("getComputedStyle(document.body).display") != "none", f"{where}: a <style> payload applied"


def _tab(pg: Page, name: str) -> None:
    pg.get_by_role("tab", name=name, exact=True).click()


def _fill(pg: Page, elem_id: str, text: str) -> None:
    pg.locator(f"#{elem_id} input, #{elem_id} textarea").first.fill(text)


def test_1_answer_card_and_view_source(page):
    box = page.locator("#chat-question textarea")
    box.fill(PAYLOADS[16] + "石桥村推行什么议事法？")
    box.press("Enter")
    expect(page.locator("#chat-transcript [data-kind]")).to_have_count(1)
    _check(page, "answer", "#chat-transcript", ["五步议事法", PAYLOADS[16]])
    page.locator('#chat-transcript [data-testid="bot"] a.cite').first.click()
    card = page.locator("#chat-sources .src-card").first
    expect(card).to_be_visible()
    _check(page, "citation card", "#chat-sources", ["<script>window.__xss_11=1</script>石桥村议事"])
    card.locator(".view-doc").click()
    expect(page.locator("#chat-doc .doc-view")).to_be_visible()
    _check(page, "查看原文", "#chat-doc", [PAYLOADS[1], PAYLOADS[2], PAYLOADS[4], PAYLOADS[7]])


def test_2_search_results_and_document(page):
    _tab(page, "检索")
    _fill(page, "search-query", "石桥村五步议事法")
    page.locator("#search-go").click()
    expect(page.locator("#search-count")).to_contain_text("共找到")
    _check(page, "检索结果", "#search-results", ["<script>window.__xss_11=1</script>石桥村议事"])
    page.locator("#search-results .result").first.locator(".view-doc").click()
    expect(page.locator("#search-doc .doc-view")).to_be_visible()
    _check(page, "检索 查看原文", "#search-doc", [PAYLOADS[1], PAYLOADS[3], PAYLOADS[5], PAYLOADS[6]])


def test_3_glossary(page):
    _tab(page, "术语")
    entry = page.locator('#glossary-list .term[data-term="五步议事法"]')
    expect(entry.first).to_be_visible()
    _check(page, "术语", "#glossary-list", ["五步议事法", PAYLOADS[2]])


def test_4_lecture_outline(page):
    _tab(page, "备课")
    _fill(page, "prep-topic", "五步议事法")
    page.locator("#prep-go").click()
    expect(page.locator("#prep-status .notice")).to_be_visible()
    _check(page, "备课提纲", "#prep-outline", ["五步议事法"])
    _check(page, "备课", "#prep-outline", [])


def test_5_upload_and_library_list(page, tmp_path):
    src = tmp_path / UPLOAD_NAME
    src.write_text(UPLOAD_TEXT, encoding="utf-8")
    _tab(page, "资料库")
    _fill(page, "library-password", PASSWORD)
    page.locator("#library-files input[type=file]").set_input_files([str(src)])
    expect(page.locator("#library-files")).to_contain_text("白马村")
    page.locator("#library-upload").click()
    expect(page.locator("#library-status")).to_contain_text("已加入索引")
    _check(page, "资料库上传结果", "#library-status", [])
    table = page.locator("#library-table")
    expect(table).to_contain_text("白马村")
    _check(page, "资料库列表", "#library-table", ["<script>window.__xss_11=1</script>石桥村议事", "<img src=x onerror=",
                                                PAYLOADS[15] + "石桥村网页"])
    # the uploaded text, shown back through search and its document view
    _tab(page, "检索")
    _fill(page, "search-query", "白马村三议两公开")
    page.locator("#search-go").click()
    expect(page.locator("#search-results")).to_contain_text("白马村")
    _check(page, "上传文档的检索结果", "#search-results", [PAYLOADS[14]])
    page.locator("#search-results .result").first.locator(".view-doc").click()
    expect(page.locator("#search-doc")).to_contain_text("白马村")  # the view has loaded (under load it lags the click)
    _check(page, "上传文档 查看原文", "#search-doc", [PAYLOADS[14]])


def test_6_nothing_ran_anywhere(page):
    """The whole walk: no mark and no dialog (also what RESULT records)."""
    assert _executed(page) == []
