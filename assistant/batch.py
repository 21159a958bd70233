"""The JSONL contract of ``ask --jsonl`` and of the evaluation: one record in (``{"id",
"question"}`` or ``{"id", "turns": [...]}``), one answer object out, so the CLI, the evaluation and
the quality report read one shape.

A batch never stops at a bad line: :func:`read_lines` splits any input (UTF-8 with or without a
BOM, UTF-16/32 with one), :func:`parse_line` turns a line into a record or says why it is none (not
UTF-8, not JSON, NaN, nested too deep, not an object), :func:`answer_record` turns a record into an
answer or an error object (a question that is not text, ``turns`` that are not a list of texts or
too many), and :func:`safe_record` turns anything else into an error object — so there is exactly
one output line per input line, and :func:`dumps` writes it even when it holds a lone surrogate."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Iterator

from .conversation import Conversation
from .pipeline import QuestionError

log = logging.getLogger(__name__)

_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
              (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _no_constant(name: str):
    raise ValueError(f"不允许 {name}（JSON 标准没有这个值）")


class LineError(ValueError):
    """An input line that is not a record (its message is Chinese and names the line)."""


def parse_line(line: bytes | str, n: int) -> dict:
    """One input line → the record; :class:`LineError` saying what is wrong with it otherwise."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            raise LineError(f"第 {n} 行不是 UTF-8 编码的文字：请把文件另存为 UTF-8 后重试。") from None
    try:
        record = json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        raise LineError(f"第 {n} 行的 JSON 嵌套过深，无法读取：每行应为 {{\"id\", \"question\"}} 对象。") from None
    except ValueError as exc:
        raise LineError(f"第 {n} 行不是合法的 JSON 对象：{exc}") from None
    if not isinstance(record, dict):
        raise LineError(f"第 {n} 行不是合法的 JSON 对象：应为 {{\"id\", \"question\"}}，收到的是 "
                        f"{type(record).__name__}。")
    return record


def read_lines(data: Iterable[bytes]) -> Iterator[tuple[int, bytes | str]]:
    """(line number, line) of a JSON Lines input given as byte lines: a UTF-16/32 file (with its
    BOM) is decoded whole, a UTF-8 BOM is dropped, blank lines are skipped."""
    lines = iter(data)
    first = next(lines, b"")
    wide = next(((bom, enc) for bom, enc in _WIDE_BOMS if first.startswith(bom)), None)
    if wide:
        raw = first + b"".join(lines)
        try:
            text = raw[len(wide[0]):].decode(wide[1])
        except UnicodeDecodeError:
            yield 1, b"\xff"  # reported as “not UTF-8” by parse_line
            return
        numbered: Iterable[tuple[int, bytes | str]] = enumerate(text.splitlines(), start=1)
    else:
        numbered = enumerate(itertools.chain([first.removeprefix(b"\xef\xbb\xbf")], lines), start=1)
    for n, line in numbered:
        if line.strip():
            yield n, line


def _turns(record: dict, max_turns: int) -> list[str]:
    turns = record.get("turns")
    if turns in (None, [], ""):
        question = record.get("question", "")
        if question is not None and not isinstance(question, str):
            raise QuestionError(f"question 必须是一段文字，收到的是 {type(question).__name__}：例如 "
                                "{\"id\": \"1\", \"question\": \"江口县县长是谁？\"}。")
        return [question or ""]
    if not isinstance(turns, list) or not all(isinstance(t, str) for t in turns):
        raise QuestionError("turns 必须是由问题文字组成的列表，例如 {\"turns\": [\"江口县委书记是谁？\", "
                            "\"他讲了什么？\"]}。")
    if len(turns) > max_turns:
        raise QuestionError(f"turns 有 {len(turns)} 轮，超过上限 {max_turns} 轮：请只保留最近的几轮对话。")
    return turns


def answer_record(assistant, record: dict) -> dict:
    """One ``ask --jsonl`` output object for one input record (``question`` or ``turns``)."""
    conversation = Conversation()
    answer = None
    try:
        for turn in _turns(record, assistant.settings.max_conversation_turns):
            answer = assistant.ask(turn, conversation)
    except QuestionError as exc:
        return {"id": record.get("id"), "answer": "", "refused": True, "error": str(exc), "citations": [],
                "retrieved": [], "mode": "extractive"}
    return {"id": record.get("id"), **answer.to_dict()}


def safe_record(assistant, line: bytes | str, n: int) -> dict:
    """The output object for input line ``n``, never an exception: a line that is no record gives
    ``{"id": null, "error"}``; an unexpected failure while answering becomes an error object (logged
    with its traceback), so one line cannot stop a batch."""
    try:
        record = parse_line(line, n)
    except LineError as exc:
        return {"id": None, "error": str(exc)}
    try:
        return answer_record(assistant, record)
    except Exception as exc:  # noqa: BLE001 - reported per record
        log.exception("ask --jsonl: record %r failed", record.get("id"))
        return {"id": record.get("id"), "answer": "", "refused": True, "citations": [], "retrieved": [],
                "mode": "extractive", "error": f"程序内部错误（{type(exc).__name__}），这一行没有回答；其余各行不受影响。"}


def dumps(obj) -> str:
    """One output line: UTF-8 JSON; text that UTF-8 cannot hold (a lone surrogate) is escaped."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, ensure_ascii=True, default=str)
    return text
