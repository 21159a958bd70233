"""A scanned PDF uploaded through the browser (Debian's headless Chromium, Playwright): OCR runs
during the upload with progress page by page, and the question it alone answers cites its page.

Its own app, over a corpus that does not hold the seed article, so the answer can only come from
the scan. Shares the helpers of tests/test_ui_browser.py."""

from __future__ import annotations

import pytest

from assistant.settings import Settings
from tests.render_pages import FONT, char_accuracy, image_pdf, render, seed_paragraphs
from tests.test_ui_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    TIMEOUT,
    _answers,
    _ask,
    _fill,
    _free_port,
    _serve,
    _shot,
    _tab,
    _wait_answered,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from playwright.sync_api import expect, sync_playwright  # noqa: E402  (the import above skips when missing)

OCR_TIMEOUT = 240_000  # ms: two pages of OCR and the embedding of their chunks on 2 busy cores
OTHER_DOC = "青山村推行“两找三帮”工作法：找穷根、找出路，帮思想、帮技能、帮销路。\n村支书李青山说，群众心里踏实了。\n"
MAYOR = "10月25日,江口县县长杨云到贵州省省*府常务会上作脱贫经验交流发言;"


@pytest.fixture(scope="module")
def app(embedder, tmp_path_factory):
    from assistant.pipeline import Assistant

    if not FONT.exists():
        pytest.skip(f"找不到中文字体 {FONT}（请运行 make browser-deps）")
    root = tmp_path_factory.mktemp("ui-ocr")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "青山村经验.txt").write_text(OTHER_DOC, encoding="utf-8")
    settings = Settings.from_env(
        index_dir=root / "index", corpus=(corpus,), host="127.0.0.1", port=_free_port(), root_path="",
        admin_password=PASSWORD, feedback_file=root / "feedback.jsonl", max_upload_mb=5, ocr=True,
    )
    assistant = Assistant.open(settings, embedder=embedder)
    demo = _serve(assistant, settings)
    yield {"url": f"http://127.0.0.1:{settings.port}/", "assistant": assistant, "root": root}
    demo.close()


@pytest.fixture
def page(app):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(app["url"])
        expect(pg.get_by_role("tab", name="资料库", exact=True)).to_be_visible()
        yield pg
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def test_a_scanned_pdf_uploaded_in_the_browser_answers_with_its_page(page, app):
    paragraphs = seed_paragraphs()
    cover = render(paragraphs[8:12], size=(1240, 700))  # page 1: another part of the article
    first = render(paragraphs)  # page 2: the article's first page, where the mayor is named
    scan = image_pdf([cover.image, first.image], app["root"] / "江口县扫描件.pdf")

    _tab(page, "资料库")
    _fill(page, "library-password", PASSWORD)
    page.evaluate("""() => {  // remember every progress text shown while the upload runs
        window.__progress = [];
        new MutationObserver(() => {
            const t = document.body.innerText.match(/第 \\d+\\/\\d+ 页/g);
            if (t) window.__progress.push(...t);
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    page.locator("#library-files input[type=file]").set_input_files([str(scan)])
    expect(page.locator("#library-files")).to_contain_text("江口县扫描件")
    page.locator("#library-upload").click()
    expect(page.locator("#library-status")).to_contain_text("已加入索引", timeout=OCR_TIMEOUT)
    expect(page.locator("#library-table")).to_contain_text("江口县扫描件")
    assert "第 2/2 页" in page.evaluate("window.__progress"), "OCR progress is shown page by page"
    _shot(page, "desktop-6-资料库-扫描件")

    _tab(page, "问答")
    _ask(page, "江口县县长是谁？")
    _wait_answered(page, 1)
    answer = _answers(page).first
    expect(answer).to_contain_text("杨云")
    card = page.locator("#chat-0-src-1")
    expect(card.locator(".src-title")).to_contain_text("江口县扫描件")
    expect(card.locator(".src-pos")).to_contain_text("第 2 页")
    expect(card.locator(".src-pos")).to_contain_text("OCR 识别")
    quote = card.locator("mark.quote").text_content()
    assert "杨云" in quote and char_accuracy(quote, MAYOR) >= 0.97, quote

    answer.locator("a.cite").first.click()
    card.locator(".view-doc").click()
    expect(page.locator("#chat-doc .ocr-note")).to_contain_text("OCR")
    expect(page.locator("#chat-doc .page-start")).to_have_count(2)
    expect(page.locator("#chat-doc mark.target")).to_be_in_viewport()
    doc = app["assistant"].store.documents[card.locator(".view-doc").get_attribute("data-doc")]
    assert page.locator("#chat-doc .doc-view").text_content() == doc.text  # page labels are CSS only
    _shot(page, "desktop-6b-问答-扫描件")
