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

# (file, row label, keys of "tried", keys of failures (summed), what the failures are)
ROWS = [
    ("abuse_questions", "bad questions (CLI, API, web)", ("tried", "cases", "n"), ("crashed", "crashes"), "crashed"),
    ("abuse_files", "bad files (build, upload)", ("tried", "cases", "n"), ("crashed", "crashes", "written_outside"),
     "crashed + written outside"),
    ("xss", "XSS payloads (Chromium)", ("tried", "payloads", "cases"), ("executed", "executed_payloads"), "executed"),
    ("auth", "admin calls without password", ("tried", "attempts"), ("accepted_without_password", "accepted"),
     "accepted"),
    ("kill9", "kill -9 during builds", ("trials",), ("indexes_lost", "chunks_lost", "chunks_duplicated"),
     "indexes lost / chunks lost or doubled"),
    ("load", "load test (users × s)", ("requests",), ("errors", "partial_answers", "feedback_lost"),
     "errors / half-index answers / feedback lost"),
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


def _first(data: dict, keys: tuple[str, ...]):
    return next((data[k] for k in keys if k in data), None)


def _detail(name: str, data: dict) -> str:
    parts = [f"{k}={data[k]}" for k in ("crashed", "crashes", "written_outside", "executed", "indexes_lost",
                                          "chunks_lost", "chunks_duplicated", "errors", "feedback_lost") if k in data]
    if name == "kill9" and data.get("phases"):
        parts.append("phases " + ", ".join(f"{k}: {v}" for k, v in data["phases"].items()))
    if name == "load":
        parts.insert(0, f"{data.get('users', '?')} users × {data.get('seconds', '?')} s")
        parts.append(f"p50 {data.get('p50_s', float('nan')):.2f} s, p95 {data.get('p95_s', float('nan')):.2f} s")
        if data.get("loadavg"):
            parts.append(f"load avg {data['loadavg'][0]}")
    return "; ".join(parts)


def table(session_start: float) -> list[str]:
    """The table's lines (empty when no reliability test has ever written figures)."""
    lines = [f"   {'check':<32}{'tried':>7}{'failed':>8}  {'(failures counted)':<44} detail"]
    found = False
    for name, label, tried_keys, bad_keys, bad_what in ROWS:
        data, path = _load(name)
        if data is None:
            lines.append(f"   {label:<32}{'—':>7}{'—':>8}  not run in any session yet")
            continue
        found = True
        tried = _first(data, tried_keys)
        bad = sum(int(data[k]) for k in bad_keys if isinstance(data.get(k), (int, float)))
        stale = "" if path.stat().st_mtime >= session_start else "  [from an earlier session]"
        mark = "ok" if bad == 0 else "✗ "
        lines.append(f"{mark} {label:<32}{tried if tried is not None else '?':>7}{bad:>8}  {bad_what:<44} "
                     f"{_detail(name, data)}{stale}")
    if not found:
        return []
    return ["reliability (issue 10): test-artifacts/reliability/*.json", *lines]


__all__ = ["record", "table", "FOLDER"]
