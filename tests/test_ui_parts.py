"""The web app's parts without a browser (the whole app is driven in Chromium by
test_ui_browser.py): error messages, date filters, exports, the glossary, the outline view, the
document viewer, the shared context and the library list — over a small index with a fake
embedder."""

from __future__ import annotations

import csv

import gradio as gr
import pytest

from assistant.feedback import FeedbackLog
from assistant.lecture import Outline
from assistant.pipeline import Assistant, QuestionError
from assistant.schema import Document
from assistant.settings import defaults
from assistant.ui import context, errors, glossary, library, prep, search, uploads, viewer

from .fakes import FakeEmbedder

DOCS = [Document("d1", "江口县<做法>", "a.txt", "江口创新运用“三个四”新时代群众工作法。“四个下沉”：责任体系下沉、村民自治下沉。"),
        Document("d2", "坝梅村", "b.txt", "坝梅村推行“一学二访三会四评”群众工作法。", date="2019-05-01")]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    settings = defaults().replace(index_dir=root / "index", corpus=(root / "corpus",))
    assistant = Assistant(settings, embedder=FakeEmbedder())
    assistant.add_documents(DOCS)
    return context.AppContext(assistant, settings, FeedbackLog(root / "feedback.jsonl"), root / "exports")


def test_user_messages_are_chinese_and_never_tracebacks():
    assert errors.user_message(QuestionError("问题为空：请输入一个问题。")) == "问题为空：请输入一个问题。"
    assert errors.user_message(errors.UserError("请先输入密码。")) == "请先输入密码。"
    message = errors.user_message(KeyError("x"))
    assert "程序内部错误（KeyError）" in message and "Traceback" not in message


def test_date_filters():
    lo = search.parse_date_input("2019", "起始日期")
    hi = search.parse_date_input("2019-06-30", "截止日期")
    assert search.date_allowed("2019-05-01", lo, hi, include_undated=False)
    assert not search.date_allowed("2020-01-01", lo, hi, include_undated=False)
    assert search.date_allowed("", lo, hi, include_undated=True)
    assert search.parse_date_input("", "起始日期") is None
    with pytest.raises(Exception, match="起始日期"):
        search.parse_date_input("去年", "起始日期")


def test_search_results_and_exports(ctx, tmp_path):
    hits = ctx.assistant.search("群众工作法", k=5)
    rows = search.result_rows(ctx.assistant.store, hits)
    assert rows and {r["doc_id"] for r in rows} <= {"d1", "d2"}
    search.write_csv(rows, tmp_path / "r.csv")
    with open(tmp_path / "r.csv", encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == len(rows)
    html = search.results_html(ctx.assistant.store, hits, ["群众"])
    assert "&lt;做法&gt;" in html and "<做法>" not in html  # titles are escaped


def test_glossary_and_outline_views_escape_and_render(ctx):
    html = glossary.glossary_html(ctx.assistant.store)
    assert "四个下沉" in html and "<做法>" not in html
    assert glossary.filter_placeholder(ctx.assistant.store)
    assert prep.outline_html(Outline(topic="无", notes=("资料中没有相关内容。",)), ctx.assistant.store)


def test_the_viewer_shows_the_document_or_says_it_is_gone(ctx):
    with gr.Blocks():
        view = viewer.DocViewer.create(ctx, "t")
    event = gr.EventData(None, {"doc_id": "d2", "start": 0, "end": 3})
    html, _ = view.open(event)
    assert "坝梅村" in html
    gone, _ = view.open(gr.EventData(None, {"doc_id": "nope", "start": 0, "end": 1}))
    assert viewer.GONE in gone


def test_the_context_swaps_assistants_and_names_exports(ctx):
    other = ctx.assistant.with_settings(top_k=3)
    previous = ctx.use(other)
    try:
        assert ctx.assistant is other
    finally:
        ctx.use(previous)
    path = ctx.export_path("检索 结果/../x", ".csv")
    assert ctx.exports_dir in path.parents and path.suffix == ".csv" and "/" not in path.name
    assert path.resolve().is_relative_to(ctx.exports_dir.resolve())


def test_the_library_lists_documents(ctx):
    rows = library.doc_rows(ctx.assistant)
    assert {r[-1] for r in rows} == {"d1", "d2"}
    assert "2" in library.summary_html(ctx.assistant)
    assert library.uploads_dir(ctx.settings).name == "uploads"


def test_csv_cells_never_start_a_formula(tmp_path):
    """Issue 10: a passage starting with =HYPERLINK(…) landed as a live formula in the export."""
    rows = [{"rank": 1, "title": "+标题", "date": "", "doc_id": "@d", "start": 0, "end": 9, "paragraph": 1,
             "score": -0.5, "text": '=HYPERLINK("http://x","点我")'},
            {"rank": 2, "title": "－全角", "date": "", "doc_id": "d", "start": 0, "end": 1, "paragraph": 1,
             "score": 0.1, "text": " -1+2"}]
    search.write_csv(rows, tmp_path / "r.csv")
    with open(tmp_path / "r.csv", encoding="utf-8-sig") as fh:
        cells = [c for row in list(csv.reader(fh))[1:] for c in row]
    formulas = [c for c in cells if c.lstrip(" ").startswith(("=", "+", "-", "@", "＝", "＋", "－", "＠"))]
    assert formulas == ["-0.5"]  # a number is a number; every text starting so got its '
    assert "'+标题" in cells and "'－全角" in cells and "' -1+2" in cells
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in cells and "-0.5" in cells  # numbers stay numbers


def test_downloads_are_swept_by_age_and_total_size(tmp_path):
    import os
    import time

    old, new = tmp_path / "a" / "old.csv", tmp_path / "b" / "new.csv"
    for p, size in ((old, 10), (new, 10)):
        p.parent.mkdir()
        p.write_bytes(b"x" * size)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert context.sweep(tmp_path, max_age_s=3600, max_bytes=1000) == 1
    assert not old.exists() and not old.parent.exists() and new.exists()
    for i in range(5):
        (tmp_path / "b" / f"{i}.csv").write_bytes(b"y" * 400)
    context.sweep(tmp_path, max_age_s=3600, max_bytes=1000)
    assert sum(p.stat().st_size for p in tmp_path.glob("**/*") if p.is_file()) <= 1000


def test_one_client_cannot_fill_the_disk_with_exports(ctx):
    request = type("R", (), {"client": type("C", (), {"host": "10.9.9.9"})()})()
    for _ in range(ctx.settings.exports_max_per_minute):
        ctx.check_export(request)
    with pytest.raises(errors.UserError, match="导出得太频繁"):
        ctx.check_export(request)


def test_cancel_never_writes_the_status_of_a_running_upload_it_tells_the_upload_which_says_so_itself():
    """The upload's result (上传已取消) must be the last word in the status; a "cancelling" notice
    answered by the cancel request could reach the browser after it and stay on screen, so cancel
    answers None (status untouched) and the upload shows "cancelling" in its own progress, from
    the upload event's context even though cancel runs in another."""
    import asyncio
    import contextvars
    from types import SimpleNamespace

    admin = library.Admin(SimpleNamespace(settings=defaults().replace(admin_password="pw")))
    assert "没有正在进行的上传" in asyncio.run(admin.cancel("pw"))

    upload_event = contextvars.ContextVar("upload_event", default="another event")
    shown: list[tuple[str, float, str]] = []
    job = uploads.UploadJob(SimpleNamespace(settings=defaults()))

    def upload_started() -> None:  # in the upload's own context, as Admin._upload
        upload_event.set("the upload")
        job.progress = library.progress_reporter(
            lambda f, desc: shown.append((upload_event.get(), f, desc)))
        job._step(0.6, "正在向量化新文档：3/10 块")

    contextvars.copy_context().run(upload_started)
    admin._job = job
    assert asyncio.run(admin.cancel("pw")) is None
    assert job.cancel.is_set()
    assert shown[-1][0] == "the upload" and shown[-1][1] == 0.6 and "正在取消上传" in shown[-1][2]
    with pytest.raises(uploads.Cancelled, match="上传已取消"):
        job._step(0.7, "正在向量化新文档：4/10 块")
