"""资料库 tab (corpus admin): the documents with chunk counts and dates; with the admin password
(``ASSISTANT_ADMIN_PASSWORD``) also upload, delete, rebuild and cancel. Without a password the tab
is read-only and the admin actions are not even registered — there is nothing to call.

Every admin action checks the password on the server (:class:`.auth.AdminGate`: constant time,
delayed and rate-limited when wrong) and runs off the request worker: an ``async`` handler awaits
one admin lock and does the work in a thread, so guessing and long uploads block no one else.
Uploads are checked, staged and only kept once indexed (:mod:`.uploads`), can be cancelled, and
land in ``<first corpus folder>/uploads`` (``<index>/uploads`` when the corpus names only files),
so that a rebuild keeps them; deleting a document whose file lies there removes the file too. A
rebuild reads every source the index was built from. Scans and photos are read by OCR while they
are uploaded (progress page by page), never when a question is asked."""

from __future__ import annotations

import asyncio
import contextvars
import os
from pathlib import Path
from typing import Callable

import anyio
import gradio as gr

from ..loaders import SUPPORTED_SUFFIXES
from ..pipeline import Assistant
from ..sources import source_file, uploads_dir
from .auth import AdminGate
from .context import AppContext, Refresh, client_of
from .errors import UserError, user_message
from .html import esc, notice
from .search import parse_date_input
from .uploads import UploadJob, recover_staging, remove_file

HEADERS = ["标题", "日期", "文本块", "字数", "来源文件", "文档ID"]
MAX_REPORTED_ERRORS = 20
__all__ = ["Admin", "build", "doc_rows", "summary_html", "uploads_dir"]


def _in_folder(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def doc_rows(assistant: Assistant) -> list[list]:
    try:
        docs = assistant.documents()
    except Exception:  # noqa: BLE001
        return []
    uploads = uploads_dir(assistant.settings)
    rows = []
    for d in docs:
        src = source_file(d.source)
        name = Path(src).name if src else ""
        if src and _in_folder(Path(src), uploads):
            name = f"上传/{name}"
        rows.append([d.title, d.date, d.n_chunks, d.n_chars, name, d.doc_id])
    return rows


def summary_html(assistant: Assistant) -> str:
    try:
        store = assistant.store
    except Exception as exc:  # noqa: BLE001
        return notice(user_message(exc), "error")
    built = store.manifest.get("built_at", "")
    notes = "".join(notice(n, "warn") for n in assistant.notices)  # e.g. a damaged index rebuilt at start
    return (f'{notes}<div class="muted">当前索引：{len(store.documents)} 篇文档、{len(store.chunks)} 个文本块'
            f'{"；更新于 " + esc(built.replace("T", " ")) if built else ""}。</div>')


def progress_reporter(progress) -> Callable[[float, str], None] | None:
    """``progress`` (a gr.Progress) as the upload's ``(fraction, text)`` reporter, callable from any
    thread: Gradio finds the bar to update from context variables, so the caller's (the upload
    event's) are kept, and a cancel request, another event, writes to this upload's bar too (a copy
    per call, as two threads may report at once)."""
    if progress is None:
        return None
    event = contextvars.copy_context()
    return lambda fraction, text: event.copy().run(progress, fraction, desc=text)


class Admin:
    """The admin actions. Each ``async`` action checks the password first (delayed when wrong), then
    waits for the one admin lock and works in a thread on the app's current assistant."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.gate = AdminGate(ctx.settings)
        self._lock = asyncio.Lock()
        self._job: UploadJob | None = None

    @property
    def assistant(self) -> Assistant:
        return self.ctx.assistant

    async def _run(self, password, request, work, *args):
        await self.gate.verify(password, client_of(request))
        async with self._lock:
            return await anyio.to_thread.run_sync(work, *args)

    # ------------------------------------------------------------------ actions
    async def upload(self, files, password, title, date, request=None, progress=None) -> str:
        return await self._run(password, request, self._upload, files, title, date, progress)

    async def delete(self, doc_id, password, request=None) -> str:
        return await self._run(password, request, self._delete, doc_id)

    async def rebuild(self, password, full, request=None, progress=None) -> str:
        return await self._run(password, request, self._rebuild, bool(full), progress)

    async def cancel(self, password, request=None) -> str | None:
        """Stop the upload in progress (it adds nothing and leaves no file). None when there is
        one: the upload says "cancelling" in its own progress and then 上传已取消 as its result, so
        the status is written by the upload alone and a notice from here can never arrive after
        its result and stay on screen."""
        await self.gate.verify(password, client_of(request))
        job = self._job
        if job is None:
            return notice("现在没有正在进行的上传。", "info")
        job.request_cancel()
        return None

    # ------------------------------------------------------------------ the work (in a thread)
    def _upload(self, files, title, date, progress) -> str:
        if not files:
            raise UserError("请先选择要上传的文件。")
        files = files if isinstance(files, list) else [files]
        title, date = (title or "").strip(), (date or "").strip()
        if date:
            parse_date_input(date, "日期")
        if title and len(files) > 1:
            raise UserError("一次上传多个文件时不能统一设置标题：请清空“标题”，或逐个上传。")
        paths = [Path(f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", str(f))) for f in files]
        self._job = UploadJob(self.assistant, title, date, progress_reporter(progress))
        try:
            messages = self._job.run(paths)
        finally:
            self._job = None
            for p in paths:  # Gradio's temporary copy: read, no longer needed
                try:
                    p.unlink()
                except OSError:
                    pass
        return "".join(notice(m, k) for k, m in messages)

    def _delete(self, doc_id) -> str:
        if not doc_id or not isinstance(doc_id, str):
            raise UserError("请先在下拉框中选择要删除的文档。")
        doc = self.assistant.document(doc_id)
        if doc is None:
            raise UserError("该文档已不在索引中（可能已被其他人删除），请刷新列表。")
        self.assistant.delete_document(doc_id)
        messages = [("ok", f"已删除《{doc.title}》：问答和检索都不会再用到它。")]
        src = source_file(doc.source)
        if src:
            path = Path(src)
            if _in_folder(path, uploads_dir(self.settings)):
                others = [d for d in self.assistant.store.documents.values() if source_file(d.source) == src]
                if others:
                    messages.append(("warn", f"文件 {path.name} 中还有 {len(others)} 篇其他文档，文件已保留；"
                                             "重建索引时被删除的这篇会重新加入。"))
                else:
                    remove_file(path)
                    messages.append(("ok", f"已同时删除上传的文件 {path.name}，重建索引时不会再加入。"))
            else:
                messages.append(("warn", f"原文件 {path.name} 不在上传文件夹中，仍保留在资料文件夹里；"
                                         "下次“重建索引”时它会重新加入。如需永久删除，请从资料文件夹中移走该文件。"))
        return "".join(notice(m, k) for k, m in messages)

    def _rebuild(self, full: bool, progress) -> str:
        def on_progress(done: int, total: int) -> None:
            if progress is not None and total:
                progress(done / total, desc=f"正在建索引：已处理 {done}/{total} 篇")

        if progress is not None:
            progress(0, desc="正在读取资料……")
        sources = self.assistant.sources()  # every source the index was built from, uploads included
        report = self.assistant.build([Path(s) for s in sources], rebuild=full, on_progress=on_progress)
        out = [notice(f"索引已重建：{report.n_documents} 篇文档、{report.n_chunks} 个文本块"
                      f"（本次向量化 {report.n_embedded} 块）。", "ok")]
        for e in report.errors[:MAX_REPORTED_ERRORS]:
            out.append(notice(e, "warn"))
        if len(report.errors) > MAX_REPORTED_ERRORS:
            out.append(notice(f"另有 {len(report.errors) - MAX_REPORTED_ERRORS} 个文件无法读取（详见服务日志）。", "warn"))
        return "".join(out)


def build(ctx: AppContext) -> list[Refresh]:
    settings = ctx.settings
    summary = gr.HTML(summary_html(ctx.assistant), elem_id="library-summary")
    table = gr.Dataframe(value=doc_rows(ctx.assistant), headers=HEADERS, interactive=False, wrap=True,
                         elem_id="library-table", label="文档列表")
    refresh_btn = gr.Button("刷新列表", size="sm", elem_id="library-refresh")
    outputs_refresh = [summary, table]

    if not settings.admin_password:
        gr.HTML(notice("资料库当前为只读：管理员没有设置密码。如需上传、删除或重建索引，请在启动前设置环境变量 "
                       "ASSISTANT_ADMIN_PASSWORD，然后重新启动本程序。", "info"), elem_id="library-readonly")

        def refresh_ro():
            return summary_html(ctx.assistant), doc_rows(ctx.assistant)

        refresh_btn.click(refresh_ro, None, outputs_refresh, concurrency_limit=None)
        return [Refresh(refresh_ro, [], outputs_refresh)]

    recover_staging(ctx.assistant)  # uploads a killed process left half done
    admin = Admin(ctx)
    mb = settings.max_upload_mb
    with gr.Column(elem_id="library-admin", variant="panel"):
        gr.Markdown("### 管理（需要管理员密码）")
        password = gr.Textbox(label="管理员密码", type="password", elem_id="library-password")
        with gr.Row(elem_classes=["stack-mobile"]):
            with gr.Column(min_width=300):
                scans = ("以及扫描件和照片：扫描版 PDF、png、jpg、tif、bmp 图片会自动做文字识别（OCR，每页约十秒）"
                         if settings.ocr else "（文字识别 OCR 已关闭：扫描版 PDF 和图片无法读取）")
                gr.HTML(f'<div class="muted" id="library-limits" data-max-bytes="{mb * 1024 * 1024}"><b>上传文档</b>：'
                        f"支持 {esc('、'.join(s.lstrip('.') for s in SUPPORTED_SUFFIXES))}（GBK、Big5 等编码的文本文件也可以），"
                        f"{esc(scans)}。单个文件不超过 {mb} MB，每篇不超过 {settings.max_document_chars:,} 字、"
                        f"{settings.max_document_pages:,} 页。上传的文件保存在资料文件夹的 uploads 子文件夹中。</div>")
                files = gr.File(file_count="multiple", label="选择文件", elem_id="library-files")
                gr.HTML("", elem_id="library-size-note")  # written by static/library.js only
                with gr.Row():
                    title = gr.Textbox(label="标题（可选，仅单个文件）", elem_id="library-title")
                    date = gr.Textbox(label="日期（可选，如 2020-12-13）", elem_id="library-date")
                with gr.Row():
                    upload_btn = gr.Button("上传并加入索引", variant="primary", elem_id="library-upload")
                    cancel_btn = gr.Button("取消上传", size="sm", elem_id="library-cancel")
            with gr.Column(min_width=300):
                gr.Markdown("**删除文档**：删除后问答和检索都不会再用到它。")
                doc_dd = gr.Dropdown(choices=ctx.doc_choices(), label="选择文档", elem_id="library-doc")
                delete_btn = gr.Button("删除所选文档", variant="stop", elem_id="library-delete")
                gr.Markdown("**重建索引**：重新读取建立索引时的全部资料（包括上传的文件）。")
                full = gr.Checkbox(label="全部重新向量化（较慢；一般不需要）", value=False, elem_id="library-full")
                rebuild_btn = gr.Button("重建索引", elem_id="library-rebuild")
        status = gr.HTML("", elem_id="library-status")

    def refresh():
        return summary_html(ctx.assistant), doc_rows(ctx.assistant), gr.Dropdown(choices=ctx.doc_choices(), value=None)

    outputs = [summary, table, doc_dd]

    async def do_upload(f, pw, t, d, request: gr.Request, progress=gr.Progress()):
        try:
            msg = await admin.upload(f, pw, t, d, request, progress)
            return (msg, None, "", "", *refresh())
        except Exception as exc:  # noqa: BLE001
            return (notice(user_message(exc), "error"), gr.skip(), gr.skip(), gr.skip(), *refresh())

    async def do_delete(doc_id, pw, request: gr.Request):
        try:
            return (await admin.delete(doc_id, pw, request), *refresh())
        except Exception as exc:  # noqa: BLE001
            return (notice(user_message(exc), "error"), *refresh())

    async def do_rebuild(pw, f, request: gr.Request, progress=gr.Progress()):
        try:
            return (await admin.rebuild(pw, f, request, progress), *refresh())
        except Exception as exc:  # noqa: BLE001
            return (notice(user_message(exc), "error"), *refresh())

    async def do_cancel(pw, request: gr.Request):
        try:
            msg = await admin.cancel(pw, request)
            return gr.skip() if msg is None else msg
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error")

    # no queue slot is held while a password is checked or an admin action waits: see Admin
    write = dict(concurrency_limit=None)
    upload_btn.click(do_upload, [files, password, title, date], [status, files, title, date, *outputs],
                     api_name="library_upload", **write)
    delete_btn.click(do_delete, [doc_dd, password], [status, *outputs], api_name="library_delete", **write)
    rebuild_btn.click(do_rebuild, [password, full], [status, *outputs], api_name="library_rebuild", **write)
    cancel_btn.click(do_cancel, [password], [status], api_name="library_cancel", **write)
    refresh_btn.click(refresh, None, outputs, concurrency_limit=None)
    return [Refresh(refresh, [], outputs)]
