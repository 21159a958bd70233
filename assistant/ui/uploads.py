"""One upload to the library, start to finish, so that nothing is half done: checked (size, type
by content, the limits after decompression), staged, read, indexed, and only then moved into the
uploads folder.

Files are first written to ``uploads/.staging/<job>/`` — a hidden folder, which no build reads —
and moved to their final names only after the index holds their documents. So an upload that
fails, is cancelled, or whose process is killed leaves no orphan that the next rebuild would add:
:func:`recover_staging` (run when the app starts) moves in the files of a job whose documents did
reach the index and deletes the rest. A job checks ``cancel`` between files, between OCR pages
and after every embedding call (``embed_batch_size`` texts, a few seconds)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from ..limits import check_upload_chars
from ..loaders import SIDECAR_SUFFIX, SUPPORTED_SUFFIXES, LoaderError, load_paths, sniff_kind
from ..pipeline import Assistant
from ..schema import Document
from ..sources import source_file, uploads_dir
from ..storage import atomic_write_bytes, atomic_write_text, safe_filename
from .errors import UserError

log = logging.getLogger("assistant.ui.uploads")

STAGING = ".staging"
JOB_FILE = "JOB.json"
Messages = list[tuple[str, str]]  # (kind: ok / warn / error, Chinese message)
Progress = Callable[[float, str], None]


class Cancelled(UserError):
    """The admin cancelled the upload: nothing was added."""


def check_upload(path: Path, name: str, max_mb: int) -> bytes:
    """The file's bytes, after the type, size and content checks (Chinese messages on failure)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UserError(f"不支持的文件类型：{name}。支持的类型：{'、'.join(SUPPORTED_SUFFIXES)}。"
                        "旧版 .doc 请用 Word 另存为 .docx；压缩包请先解压。")
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise UserError(f"文件过大：{name} 有 {size / 1024 / 1024:.1f} MB，超过上限 {max_mb} MB。"
                        "请拆分成几个较小的文件后再上传。")
    data = path.read_bytes()
    sniff_kind(data, name)  # raises LoaderError with a Chinese message
    return data


def destination(folder: Path, name: str, data: bytes) -> tuple[Path, bool]:
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


def remove_file(path: Path) -> None:
    """``path`` and its metadata sidecar."""
    for p in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _moved(doc: Document, staged: Path, final: Path) -> Document:
    """``doc`` as it will be once its file is in place (its source names the final path)."""
    return dataclasses.replace(doc, source=doc.source.replace(str(staged), str(final), 1))


@dataclasses.dataclass
class UploadJob:
    """One upload: ``run`` it once (in a worker thread); ``cancel`` may be set from another."""

    assistant: Assistant
    title: str = ""
    date: str = ""
    progress: Progress | None = None
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.settings = self.assistant.settings
        self.folder = uploads_dir(self.settings)
        self.staging = self.folder / STAGING / uuid.uuid4().hex[:12]
        self.messages: Messages = []
        self.moves: list[tuple[Path, Path]] = []  # (staged, final) of the files to keep
        self.taken: set[str] = set()  # ids of the documents this upload adds
        self.fraction = 0.0  # how far the progress bar is

    def _step(self, fraction: float, text: str) -> None:
        if self.cancel.is_set():
            raise Cancelled("上传已取消：没有文件加入索引，也没有留下任何文件。")
        self.fraction = fraction
        if self.progress is not None:
            self.progress(fraction, text)

    def request_cancel(self) -> None:
        """Stop at the next step (the next file, OCR page or embedding batch), saying so in this
        upload's own progress: its final message (上传已取消) then always replaces it, whatever
        order the browser gets the two requests' answers in."""
        self.cancel.set()
        if self.progress is not None:
            self.progress(self.fraction, "正在取消上传……（当前这一步完成后停止）")

    def run(self, files: list[Path]) -> Messages:
        try:
            docs = [d for i, f in enumerate(files) for d in self._read(f, i, len(files))]
            if docs:
                check_upload_chars(docs, self.settings)
                self._index(docs)
            return self.messages
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _read(self, src: Path, i: int, n: int) -> list[Document]:
        """The new documents of one uploaded file (its problems go to ``messages``)."""
        name = safe_filename(src.name, fallback="upload")
        self._step(i / max(n, 1) * 0.5, f"正在读取 {name}（{i + 1}/{n}）")
        try:
            data = check_upload(src, name, self.settings.max_upload_mb)
        except (UserError, LoaderError) as exc:
            self.messages.append(("error", str(exc)))
            return []
        final, existed = destination(self.folder, name, data)
        staged = self.staging / final.name
        atomic_write_bytes(staged, data)
        meta = {k: v for k, v in (("title", self.title), ("date", self.date)) if v}
        if meta and not existed:  # never rewrite the metadata of a file that is already there
            atomic_write_text(staged.with_name(staged.name + SIDECAR_SUFFIX), json.dumps(meta, ensure_ascii=False))

        def on_page(file: str, k: int, total: int) -> None:
            self._step(i / max(n, 1) * 0.5, f"正在识别 {name}（文字识别 OCR）：第 {k}/{total} 页")

        docs, errors = load_paths([staged], self.settings, on_page=on_page)
        self.messages.extend(("warn" if docs else "error", str(e).replace(str(staged.parent), "")) for e in errors)
        if self.title and final.suffix.lower() == ".jsonl" and len(docs) > 1:
            self.messages.append(("warn", f"{name} 有 {len(docs)} 篇文档，各自使用文件里的 title；"
                                          "填写的标题只用于只有一篇文档的文件（日期已用于没有日期的各篇）。"))
        docs = [_moved(d, staged, final) for d in docs]
        known = self.assistant.store.documents
        fresh = [d for d in docs if d.doc_id not in known and d.doc_id not in self.taken]
        self.messages.extend(("warn", m) for m in self._already_there(name, [d for d in docs if d not in fresh]))
        if fresh:
            self.taken.update(d.doc_id for d in fresh)
            if not existed:
                self.moves.append((staged, final))
            self.messages.append(("ok", f"已保存 {name}（{len(fresh)} 篇文档）。"))
        return fresh

    def _already_there(self, name: str, docs: list[Document]) -> list[str]:
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

    def _index(self, docs: list[Document]) -> None:
        self._step(0.5, "正在向量化新文档……")
        job = {"moves": [[str(s), str(f)] for s, f in self.moves]}
        atomic_write_text(self.staging / JOB_FILE, json.dumps(job, ensure_ascii=False))

        embedded = 0

        def on_progress(done: int, total: int) -> None:
            self._step(0.5 + 0.5 * done / max(total, 1), f"正在向量化新文档：已处理 {done}/{total} 篇")

        def on_embedded(n: int) -> None:  # every embedding call: a cancel stops within seconds
            nonlocal embedded
            embedded += n
            self._step(self.fraction, f"正在向量化新文档：新向量化 {embedded} 块")

        report = self.assistant.add_documents(docs, on_progress=on_progress, on_embedded=on_embedded)
        for staged, final in self.moves:  # the index holds them now: the files may join the folder
            _move_in(staged, final)
        self.messages.extend(("warn", e) for e in report.errors)
        self.messages.append(("ok", f"已加入索引：现有 {report.n_documents} 篇文档、{report.n_chunks} 个文本块"
                                    f"（本次新向量化 {report.n_embedded} 块）。"))


def _move_in(staged: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    sidecar = staged.with_name(staged.name + SIDECAR_SUFFIX)
    if sidecar.exists():
        os.replace(sidecar, final.with_name(final.name + SIDECAR_SUFFIX))
    os.replace(staged, final)


def recover_staging(assistant: Assistant) -> int:
    """Finish or undo the uploads a killed process left in the staging folder: a file whose
    documents the index holds is moved into place, the rest deleted; returns how many moved."""
    root = uploads_dir(assistant.settings) / STAGING
    if not root.is_dir():
        return 0
    try:
        indexed = {source_file(d.source) for d in assistant.store.documents.values()}
    except Exception:  # noqa: BLE001 - no index: nothing can be finished
        indexed = set()
    moved = 0
    for job in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            moves = json.loads((job / JOB_FILE).read_text(encoding="utf-8"))["moves"]
        except (OSError, ValueError, KeyError):
            moves = []
        for staged, final in moves:
            if final in indexed and Path(staged).exists() and not Path(final).exists():
                _move_in(Path(staged), Path(final))
                moved += 1
        shutil.rmtree(job, ignore_errors=True)
        log.warning("已清理中断的上传 %s（放回 %d 个已加入索引的文件）。", job.name, moved)
    return moved


__all__ = ["STAGING", "Cancelled", "UploadJob", "check_upload", "destination", "recover_staging", "remove_file"]
