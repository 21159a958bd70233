"""The reliability table that ends every pytest session (issue 10's bar).

Each reliability test writes its figures as one JSON object to
``test-artifacts/reliability/<name>.json`` (:func:`record`); ``pytest_terminal_summary`` in
conftest.py prints one table from whichever files this session wrote (a file from an earlier
session is shown marked as such, so a partial run never passes off old figures as new).

Files and the keys the table reads (other keys are kept but not shown):

=================== ===================================================================
abuse_questions     ``tried``, ``crashed``
abuse_files         ``tried``, ``crashed``, ``written_outside``
xss                 ``tried``, ``executed``
auth                ``tried``, ``accepted_without_password``
kill9               ``trials``, ``indexes_lost``, ``chunks_lost``, ``chunks_duplicated``
load                ``requests``, ``errors``, ``p50_s``, ``p95_s``, ``partial_answers``, ``feedback_lost``
=================== ===================================================================

A few spellings of the same figure are accepted (``cases`` for ``tried``, ``crashes`` for
``crashed``, ``payloads`` / ``executed_payloads`` for the XSS test), since the tests are written by
different people."""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.settings import PROJECT_ROOT

FOLDER = PROJECT_ROOT / "test-artifacts" / "reliability"

# (file, row label, [(column label, keys to try)])
ROWS = [
    ("abuse_questions", "坏问题 bad questions", [("tried", ("tried", "cases", "n")),
                                               ("crashed", ("crashed", "crashes"))]),
    ("abuse_files", "坏文件 bad files", [("tried", ("tried", "cases", "n")), ("crashed", ("crashed", "crashes")),
                                       ("written outside", ("written_outside", "outside"))]),
    ("xss", "XSS 载荷 payloads", [("tried", ("tried", "payloads", "cases")),
                                  ("executed", ("executed", "executed_payloads"))]),
    ("auth", "无密码管理调用 admin calls", [("tried", ("tried", "attempts")),
                                       ("accepted w/o password", ("accepted_without_password", "accepted"))]),
    ("kill9", "kill -9 建索引 builds", [("trials", ("trials",)), ("indexes lost", ("indexes_lost",)),
                                      ("chunks lost/dup", ("chunks_lost", "chunks_duplicated"))]),
    ("load", "负载 load (16 users)", [("requests", ("requests",)), ("errors", ("errors",)),
                                     ("p50/p95 s", ("p50_s", "p95_s")), ("half-index answers", ("partial_answers",)),
                                     ("feedback lost", ("feedback_lost",))]),
]
ALIASES = {"xss": ("xss", "xss_browser"), "abuse_questions": ("abuse_questions", "questions"),
           "abuse_files": ("abuse_files", "files")}


def record(name: str, **figures) -> Path:
    """Write one test's figures (see the module docstring for the names the table reads)."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"{name}.json"
    path.write_text(json.dumps({**figures, "written_at": time.time()}, ensure_ascii=False, indent=1),
                    encoding="utf-8")
    return path


def _load(name: str) -> tuple[dict | None, Path | None]:
    for stem in ALIASES.get(name, (name,)):
        path = FOLDER / f"{stem}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8")), path
        except (OSError, ValueError):
            continue
    return None, None


def _cell(data: dict, keys: tuple[str, ...]) -> str:
    values = [data[k] for k in keys if k in data]
    if not values:
        return "—"
    return "/".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in values[:2])


def table(session_start: float) -> list[str]:
    """The table's lines (empty when no reliability test has ever written figures)."""
    lines, found = [], False
    for name, label, columns in ROWS:
        data, path = _load(name)
        if data is None:
            lines.append(f"  {label:<28} not run")
            continue
        found = True
        fresh = path.stat().st_mtime >= session_start
        cells = "  ".join(f"{col}={_cell(data, keys)}" for col, keys in columns)
        lines.append(f"  {label:<28} {cells}{'' if fresh else '  (earlier run)'}")
    if not found:
        return []
    return ["reliability (issue 10) — figures from test-artifacts/reliability/*.json", *lines]


__all__ = ["record", "table", "FOLDER"]
