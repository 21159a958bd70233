"""Metadata that sits next to a file: ``<file name>.meta.json`` with ``title``, ``date``, ``author``,
``url`` and ``source`` (all optional). ``title``, ``date``, ``author`` and ``url`` reach the
``Document`` and win over what the file itself says; the sidecar's ``source`` (where the document was
published) becomes ``Document.publisher``, as ``Document.source`` is always the file path, so that
an index can map a document back to its file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .base import SIDECAR_SUFFIX, LoaderError
from .text import read_text_file


def sidecar_path(path: Path) -> Path:
    """``dir/name.ext`` → ``dir/name.ext.meta.json``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return Path(path).name.lower().endswith(SIDECAR_SUFFIX)


def as_str(value: Any) -> str:
    """A metadata value as text: strings stripped, numbers written out, anything else as JSON."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def read_sidecar(path: Path) -> dict[str, str]:
    """The metadata sidecar of ``path`` (not the sidecar's own path) as a dict of strings; ``{}``
    when there is none. A sidecar that is not a JSON object raises :class:`LoaderError`."""
    meta_path = sidecar_path(path)
    if not meta_path.is_file():
        return {}
    try:
        raw = read_text_file(meta_path)
        meta = json.loads(raw) if raw.strip() else {}
    except (LoaderError, json.JSONDecodeError) as exc:
        raise LoaderError(
            f"元数据文件格式错误：{meta_path.name}（{exc}）。"
            "请把它改成 JSON 对象（如 {\"title\": \"…\"}）或删除它后重试。",
            path,
        ) from None
    if not isinstance(meta, dict):
        raise LoaderError(
            f"元数据文件格式错误：{meta_path.name}（应为 JSON 对象）。"
            "请把它改成 {\"title\": \"…\", \"date\": \"…\"} 的形式或删除它后重试。",
            path,
        )
    return {str(k): as_str(v) for k, v in meta.items() if v is not None}
