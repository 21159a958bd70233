"""The app's look and page scripts: the theme, and the CSS and JavaScript kept as files in
``assistant/ui/static/`` (edited as CSS and JS, not as Python strings).

Gradio 6 takes the style sheet and the page script in ``launch()`` (``css_paths=``, ``js=``);
a component's own script is its ``js_on_load`` (run with ``element`` and ``trigger`` bound)."""

from __future__ import annotations

import functools
from pathlib import Path

import gradio as gr

STATIC = Path(__file__).resolve().parent / "static"
CSS_PATH = STATIC / "app.css"
FONTS = ["system-ui", "-apple-system", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
         "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif"]  # system fonts only: the app works offline
MONO_FONTS = ["ui-monospace", "Consolas", "monospace"]


@functools.cache
def script(name: str) -> str:
    """The text of ``static/<name>`` (read once)."""
    return (STATIC / name).read_text(encoding="utf-8")


def results_js() -> str:
    """For result panes: [n] opens its card, 查看原文 and example buttons call the server."""
    return script("results.js")


def viewer_js() -> str:
    """For the “查看原文” panel: scroll to the marked passage."""
    return script("viewer.js")


def page_js() -> str:
    """The page script: the chat's [n] links and answer kinds, and the library's upload size check
    (each file is one arrow function; the page runs them in turn)."""
    return "() => {\n" + "".join(f"({script(name)}\n)();\n" for name in ("chat.js", "library.js")) + "}"


def theme() -> gr.themes.Base:
    """A calm theme with system Chinese fonts (no web fonts)."""
    return gr.themes.Soft(primary_hue="blue", font=FONTS, font_mono=MONO_FONTS)
