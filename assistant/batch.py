"""The JSONL contract of ``ask --jsonl`` and of the evaluation: one record in (``{"id",
"question"}`` or ``{"id", "turns": [...]}``), one answer object out, so the CLI, the evaluation and
the quality report read one shape."""

from __future__ import annotations

from .conversation import Conversation
from .pipeline import QuestionError


def answer_record(assistant, record: dict) -> dict:
    """One ``ask --jsonl`` output object for one input record (``question`` or ``turns``)."""
    turns = record.get("turns") or [record.get("question", "")]
    conversation = Conversation()
    answer = None
    try:
        for turn in turns:
            answer = assistant.ask(turn, conversation)
    except QuestionError as exc:
        return {"id": record.get("id"), "answer": "", "refused": True, "error": str(exc), "citations": [],
                "retrieved": [], "mode": "extractive"}
    return {"id": record.get("id"), **answer.to_dict()}
