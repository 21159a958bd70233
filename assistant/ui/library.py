"""资料库 tab (corpus admin): the documents with chunk counts and dates; with the admin password
(``ASSISTANT_ADMIN_PASSWORD``) also upload, delete and rebuild. Without a password the tab is
read-only and the admin controls are not even created.

Uploaded files are checked (size, type by content), saved under ``<first corpus folder>/uploads``
so that a rebuild keeps them, and indexed; deleting a document whose file lies in that folder
removes the file too, so a rebuild does not bring it back. Scans and photos are read by OCR while
they are uploaded (progress page by page), never when a question is asked."""

from __future__ import annotations

import hmac
import json
import os
import time
from pathlib import Path

import gradio as gr

from ..loaders import SIDECAR_SUFFIX, SUPPORTED_SUFFIXES, LoaderError, load_paths, sniff_kind
from ..pipeline import Assistant
from ..schema import Document
from ..settings import Settings
from ..storage import atomic_write_bytes, atomic_write_text, safe_filename
from .context import AppContext, Refresh
from .errors import UserError, user_message
from .html import esc, notice
from .search import parse_date_input

UPLOADS = "uploads"
HEADERS = ["标题", "日期", "文本块", "字数", "来源文件", "文档ID"]
WRONG_PASSWORD_DELAY_S = 0.5  # slows down guessing
MAX_REPORTED_ERRORS = 20


def uploads_dir(settings: Settings) -> Path:
    return Path(settings.corpus[0]) / UPLOADS


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
        src = _source_path_str(d.source)
        name = Path(src).name if src else ""
        if src and _in_folder(Path(src), uploads):
            name = f"上传/{name}"
        rows.append([d.title, d.date, d.n_chunks, d.n_chars, name, d.doc_id])
    return rows


def _source_path_str(source: str) -> str:
    return source.split("#", 1)[0] if source else ""


def summary_html(assistant: Assistant) -> str:
    try:
        store = assistant.store
    except Exception as exc:  # noqa: BLE001
        return notice(user_message(exc), "error")
    built = store.manifest.get("built_at", "")
    return (f'<div class="muted">当前索引：{len(store.documents)} 篇文档、{len(store.chunks)} 个文本块'
            f'{"；更新于 " + esc(built.replace("T", " ")) if built else ""}。</div>')


def _destination(folder: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """Where to save an upload: ``(path, already_there)``; a different file of the same name gets
    a numbered name instead of being overwritten."""
    stem, suffix = os.path.splitext(name)
    candidate = folder / name
    i = 2
    while candidate.exists():
        try:
            if candidate.read_bytes() == data:
                return candidate, True
        except OSError:
            pass
        candidate = folder / f"{stem}-{i}{suffix}"
        i += 1
    return candidate, False


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _page_progress(progress):
    """OCR progress of an upload, page by page, in the Gradio progress bar."""
    if progress is None:
        return None

    def on_page(name: str, k: int, total: int) -> None:
        progress((k - 1) / total, desc=f"正在识别 {name}（文字识别 OCR）：第 {k}/{total} 页")

    return on_page


class Admin:
    """The admin actions; each checks the password first and works on the app's current assistant."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings

    @property
    def assistant(self) -> Assistant:
        return self.ctx.assistant

    # ------------------------------------------------------------------ checks
    def check_password(self, password: str) -> None:
        expected = self.settings.admin_password
        if not expected:
            raise UserError("资料库为只读：管理员没有设置密码（环境变量 ASSISTANT_ADMIN_PASSWORD）。")
        if not password:
            raise UserError("请先输入管理员密码。")
        if not hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8")):
            time.sleep(WRONG_PASSWORD_DELAY_S)
            raise UserError("管理员密码不正确，请重新输入。")

    def check_upload(self, path: Path, name: str) -> bytes:
        """The file's bytes, after the size and type checks (Chinese messages on failure)."""
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise UserError(f"不支持的文件类型：{name}。支持的类型：{'、'.join(SUPPORTED_SUFFIXES)}。")
        limit_mb = self.settings.max_upload_mb
        size = path.stat().st_size
        if size > limit_mb * 1024 * 1024:
            raise UserError(f"文件过大：{name} 有 {size / 1024 / 1024:.1f} MB，超过上限 {limit_mb} MB。"
                            "请拆分成几个较小的文件后再上传。")
        data = path.read_bytes()
        sniff_kind(data, name)  # raises LoaderError with a Chinese message
        return data

    # ------------------------------------------------------------------ actions
    def upload(self, files, password: str, title: str, date: str, progress=None) -> str:
        self.check_password(password)
        if not files:
            raise UserError("请先选择要上传的文件。")
        files = files if isinstance(files, list) else [files]
        title = (title or "").strip()
        date = (date or "").strip()
        if date:
            parse_date_input(date, "日期")
        if title and len(files) > 1:
            raise UserError("一次上传多个文件时不能统一设置标题：请清空“标题”，或逐个上传。")
        folder = uploads_dir(self.settings)
        folder.mkdir(parents=True, exist_ok=True)
        known = set(self.assistant.store.documents)
        messages: list[tuple[str, str]] = []
        new_docs: list[Document] = []
        saved: list[Path] = []
        for f in files:
            src = Path(f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", str(f)))
            name = safe_filename(src.name, fallback="upload")
            try:
                data = self.check_upload(src, name)
            except (UserError, LoaderError) as exc:
                messages.append(("error", str(exc)))
                continue
            dest, existed = _destination(folder, name, data)
            if not existed:
                atomic_write_bytes(dest, data)
            meta = {k: v for k, v in (("title", title), ("date", date)) if v}
            if meta and not existed:  # never rewrite the metadata of a file that is already there
                atomic_write_text(dest.with_name(dest.name + SIDECAR_SUFFIX), json.dumps(meta, ensure_ascii=False))
            docs, errors = load_paths([dest], self.settings, on_page=_page_progress(progress))
            for e in errors:
                messages.append(("warn" if docs else "error", str(e)))
            taken = {d.doc_id for d in new_docs}
            fresh = [d for d in docs if d.doc_id not in known and d.doc_id not in taken]
            messages.extend(("warn", m) for m in self._already_there(name, [d for d in docs if d not in fresh]))
            if not fresh:
                if not existed:
                    _remove(dest)
                continue
            new_docs.extend(fresh)
            saved.append(dest)
            messages.append(("ok", f"已保存 {name}（{len(fresh)} 篇文档）。"))
        if new_docs:
            if progress is not None:
                progress(0, desc="正在向量化新文档……")

            def on_progress(done: int, total: int) -> None:
                if progress is not None and total:
                    progress(done / total, desc=f"正在向量化新文档：{done}/{total} 块")

            try:
                report = self.assistant.add_documents(new_docs, on_progress=on_progress)
            except Exception:
                for p in saved:  # nothing was indexed: do not leave files that a rebuild would pick up
                    _remove(p)
                raise
            messages.append(("ok", f"已加入索引：现有 {report.n_documents} 篇文档、{report.n_chunks} 个文本块"
                                   f"（本次新向量化 {report.n_embedded} 块）。"))
        return "".join(notice(m, k) for k, m in messages)

    def _already_there(self, name: str, docs: list[Document]) -> list[str]:
        """Why each of ``docs`` (whose id is taken) was not added: the same text, or another text
        under a JSON Lines id that a document in the index already has."""
        out = []
        for d in docs:
            same = self.assistant.store.documents.get(d.doc_id)
            if same is None or same.text == d.text:
                what = f"《{same.title}》" if same is not None else "本次上传的另一个文件"
                out.append(f"{name} 的内容与已有文档{what}相同，未重复加入。")
            else:
                out.append(f"{name} 中的文档 ID “{d.doc_id}” 已被《{same.title}》使用，正文不同，已跳过。"
                           "如要替换，请先删除原文档再上传；否则请改用新的 id。")
        return out

    def delete(self, doc_id: str, password: str) -> str:
        self.check_password(password)
        if not doc_id:
            raise UserError("请先在下拉框中选择要删除的文档。")
        doc = self.assistant.document(doc_id)
        if doc is None:
            raise UserError("该文档已不在索引中（可能已被其他人删除），请刷新列表。")
        self.assistant.delete_document(doc_id)
        messages = [("ok", f"已删除《{doc.title}》：问答和检索都不会再用到它。")]
        src = _source_path_str(doc.source)
        if src:
            path = Path(src)
            if _in_folder(path, uploads_dir(self.settings)):
                others = [d for d in self.assistant.store.documents.values() if _source_path_str(d.source) == src]
                if others:
                    messages.append(("warn", f"文件 {path.name} 中还有 {len(others)} 篇其他文档，文件已保留；"
                                             "重建索引时被删除的这篇会重新加入。"))
                else:
                    _remove(path)
                    messages.append(("ok", f"已同时删除上传的文件 {path.name}，重建索引时不会再加入。"))
            else:
                messages.append(("warn", f"原文件 {path.name} 不在上传文件夹中，仍保留在资料文件夹里；"
                                         "下次“重建索引”时它会重新加入。如需永久删除，请从资料文件夹中移走该文件。"))
        return "".join(notice(m, k) for k, m in messages)

    def rebuild(self, password: str, full: bool, progress=None) -> str:
        self.check_password(password)

        def on_progress(done: int, total: int) -> None:
            if progress is not None and total:
                progress(done / total, desc=f"正在向量化：{done}/{total} 块")

        if progress is not None:
            progress(0, desc="正在读取资料文件夹……")
        report = self.assistant.build(self.settings.corpus, rebuild=bool(full), on_progress=on_progress)
        out = [notice(f"索引已重建：{report.n_documents} 篇文档、{report.n_chunks} 个文本块"
                      f"（本次向量化 {report.n_embedded} 块）。", "ok")]
        for e in report.errors[:MAX_REPORTED_ERRORS]:
            out.append(notice(e, "warn"))
        if len(report.errors) > MAX_REPORTED_ERRORS:
            out.append(notice(f"另有 {len(report.errors) - MAX_REPORTED_ERRORS} 个文件无法读取（详见服务日志）。", "warn"))
        return "".join(out)


def build(ctx: AppContext) -> list[Refresh]:
    settings = ctx.settings
    admin = Admin(ctx)
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

    mb = settings.max_upload_mb
    with gr.Column(elem_id="library-admin", variant="panel"):
        gr.Markdown("### 管理（需要管理员密码）")
        password = gr.Textbox(label="管理员密码", type="password", elem_id="library-password")
        with gr.Row(elem_classes=["stack-mobile"]):
            with gr.Column(min_width=300):
                scans = ("以及扫描件和照片：扫描版 PDF、png、jpg、tif、bmp 图片会自动做文字识别（OCR，每页约十秒）"
                         if settings.ocr else "（文字识别 OCR 已关闭：扫描版 PDF 和图片无法读取）")
                gr.Markdown(f"**上传文档**：支持 txt、md、docx、pdf、html、jsonl（GBK 编码的文本文件也可以），"
                            f"{scans}。单个文件不超过 {mb} MB。上传的文件保存在资料文件夹的 uploads 子文件夹中。")
                files = gr.File(file_count="multiple", label="选择文件", elem_id="library-files")
                with gr.Row():
                    title = gr.Textbox(label="标题（可选，仅单个文件）", elem_id="library-title")
                    date = gr.Textbox(label="日期（可选，如 2020-12-13）", elem_id="library-date")
                upload_btn = gr.Button("上传并加入索引", variant="primary", elem_id="library-upload")
            with gr.Column(min_width=300):
                gr.Markdown("**删除文档**：删除后问答和检索都不会再用到它。")
                doc_dd = gr.Dropdown(choices=ctx.doc_choices(), label="选择文档", elem_id="library-doc")
                delete_btn = gr.Button("删除所选文档", variant="stop", elem_id="library-delete")
                gr.Markdown("**重建索引**：重新读取资料文件夹（包括上传的文件）。")
                full = gr.Checkbox(label="全部重新向量化（较慢；一般不需要）", value=False, elem_id="library-full")
                rebuild_btn = gr.Button("重建索引", elem_id="library-rebuild")
        status = gr.HTML("", elem_id="library-status")

    def refresh():
        return summary_html(ctx.assistant), doc_rows(ctx.assistant), gr.Dropdown(choices=ctx.doc_choices(), value=None)

    outputs = [summary, table, doc_dd]

    def do_upload(f, pw, t, d, progress=gr.Progress()):
        try:
            msg = admin.upload(f, pw, t, d, progress)
            return (msg, None, "", "", *refresh())
        except Exception as exc:  # noqa: BLE001
            return (notice(user_message(exc), "error"), gr.skip(), gr.skip(), gr.skip(), *refresh())

    def do_delete(doc_id, pw):
        try:
            return (admin.delete(doc_id, pw), *refresh())
        except Exception as exc:  # noqa: BLE001
            return (notice(user_message(exc), "error"), *refresh())

    def do_rebuild(pw, f, progress=gr.Progress()):
        try:
            return (admin.rebuild(pw, f, progress), *refresh())
        except Exception as exc:  # noqa: BLE001
            return (notice(user_message(exc), "error"), *refresh())

    write = dict(concurrency_id="admin", concurrency_limit=1)
    upload_btn.click(do_upload, [files, password, title, date], [status, files, title, date, *outputs], **write)
    delete_btn.click(do_delete, [doc_dd, password], [status, *outputs], **write)
    rebuild_btn.click(do_rebuild, [password, full], [status, *outputs], **write)
    refresh_btn.click(refresh, None, outputs, concurrency_limit=None)
    return [Refresh(refresh, [], outputs)]
