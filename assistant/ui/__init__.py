"""The browser app (Gradio): 问答 for cadres, 检索 for researchers, 备课 for trainers, 术语 and
资料库. One module per tab; shared pieces: :mod:`.context` (the app's assistant, settings,
feedback log and downloads), :mod:`.html` (rendering), :mod:`.viewer` (查看原文), :mod:`.errors`,
:mod:`.assets` (theme; the CSS and JS files in ``static/``).

``build_app(assistant)`` makes the ``gr.Blocks`` (``demo.app_context.use(other)`` swaps the
assistant while it runs); ``serve(demo, settings)`` queues and launches it with the app's theme,
CSS and page script (Gradio 6 takes those in ``launch()``); ``launch(settings)`` opens the
assistant (building the index when missing, with the LLM the settings configure) and serves it —
what ``python app.py`` and ``python -m assistant serve`` call."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline-first: no telemetry calls

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from ..feedback import FeedbackLog  # noqa: E402
from ..logs import configure_logging
from ..pipeline import Assistant  # noqa: E402
from ..settings import Settings  # noqa: E402
from . import chat, glossary, library, prep, search  # noqa: E402
from .assets import CSS_PATH, page_js, theme  # noqa: E402
from .auth import UploadGuard  # noqa: E402
from .context import AppContext  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "案例知识助手"
HEADER = (
    f"<h1>{TITLE}</h1>"
    "<p>只依据资料库中的扶贫案例文档回答，每句话都注明出处；资料里没有的，直接说“资料中没有相关内容”。</p>"
)


def build_app(assistant: Assistant, settings: Settings | None = None) -> gr.Blocks:
    """The whole app over ``assistant``; ``settings`` (default: the assistant's) for the app itself."""
    settings = settings or assistant.settings
    ctx = AppContext(
        _assistant=assistant,
        settings=settings,
        feedback=FeedbackLog(settings.feedback_file, settings.feedback_max_per_minute,
                             settings.feedback_max_mb * 1024 * 1024),
        exports_dir=Path(tempfile.mkdtemp(prefix="assistant-exports-")),
    )
    # Gradio's own copies of uploads and downloads are deleted on the same schedule as ours
    with gr.Blocks(title=TITLE, analytics_enabled=False,
                   delete_cache=(settings.temp_sweep_s, settings.temp_max_age_s)) as demo:
        gr.HTML(HEADER, elem_id="app-header")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("问答", id="chat", elem_id="tab-chat") as tab_chat:
                r_chat = chat.build(ctx)
            with gr.Tab("检索", id="search", elem_id="tab-search") as tab_search:
                r_search = search.build(ctx)
            with gr.Tab("备课", id="prep", elem_id="tab-prep") as tab_prep:
                r_prep = prep.build(ctx)
            with gr.Tab("术语", id="glossary", elem_id="tab-glossary") as tab_glossary:
                r_glossary = glossary.build(ctx)
            with gr.Tab("资料库", id="library", elem_id="tab-library") as tab_library:
                r_library = library.build(ctx)
        # what depends on the corpus (examples, document lists, the glossary) is refreshed when the
        # page loads and whenever its tab is opened, so an upload elsewhere shows up everywhere
        for tab, specs in ((tab_chat, r_chat), (tab_search, r_search), (tab_prep, r_prep),
                           (tab_glossary, r_glossary), (tab_library, r_library)):
            for fn, inputs, outputs in specs:
                demo.load(fn, inputs, outputs, show_progress="hidden", concurrency_limit=None)
                tab.select(fn, inputs, outputs, show_progress="hidden", concurrency_limit=None)
    demo.app_context = ctx  # for tests and debugging
    return demo


def launch_kwargs(settings: Settings) -> dict:
    """``launch()`` arguments from the settings (host, port, root path, limits, look). One upload
    limit: Gradio's ``max_file_size`` is ``max_upload_mb``, which the page checks first (in Chinese,
    static/library.js); :class:`.auth.UploadGuard` guards Gradio's upload endpoints."""
    return dict(
        server_name=settings.host,
        server_port=settings.port,
        root_path=settings.root_path or None,
        max_file_size=f"{settings.max_upload_mb}mb",
        app_kwargs={"middleware": [Middleware(UploadGuard, settings=settings)]},
        show_error=False,
        footer_links=["settings"],
        theme=theme(),
        css_paths=[CSS_PATH],
        js=page_js(),
    )


def serve(demo: gr.Blocks, settings: Settings, **overrides):
    """Queue and launch ``demo``; ``overrides`` go to ``launch()`` (e.g. ``prevent_thread_lock``)."""
    kwargs = launch_kwargs(settings)
    kwargs.update(overrides)
    return demo.queue(default_concurrency_limit=settings.read_concurrency).launch(**kwargs)


def main() -> None:
    """``python app.py``: settings from the environment (a bad value is a clear error), then launch."""
    from ..settings import SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"无法启动：{exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    launch(settings)


def launch(settings: Settings | None = None, **overrides):
    """Open the assistant (building the index if needed) and serve the app."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    try:
        print(f"正在打开索引 {settings.index_dir} …（第一次运行会先建立索引，需要几分钟）", flush=True)
        assistant = Assistant.open(settings, progress=True)
        for notice in assistant.notices:  # e.g. a damaged index set aside and rebuilt from all its sources
            print(f"注意：{notice}", file=sys.stderr, flush=True)
    except Exception as exc:  # noqa: BLE001 - a clear message instead of a traceback
        names = {c.__name__ for c in type(exc).__mro__}
        if names & {"IndexUnavailable", "ModelError", "LoaderError", "ModelFileError"}:
            print(f"无法启动：{exc}", file=sys.stderr)
            raise SystemExit(1) from exc
        raise
    if settings.llm_enabled:
        try:
            from ..llm import make_llm

            assistant = assistant.with_settings(llm=make_llm(settings))
        except Exception as exc:  # noqa: BLE001 - the app works without the LLM
            log.warning("大模型不可用（%s），只使用原文摘录。", exc)
    assistant.warm_in_background()  # the English tables, built while the page loads
    demo = build_app(assistant, settings)
    where = f"案例知识助手：本机地址 http://{settings.host}:{settings.port}/"
    if settings.root_path:
        where += f"（经反向代理访问时的路径前缀：{settings.root_path}）"
    print(where + "；按 Ctrl+C 停止。", flush=True)
    return serve(demo, settings, **overrides)


__all__ = ["build_app", "launch", "launch_kwargs", "serve"]
