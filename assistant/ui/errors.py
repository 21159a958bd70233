"""Errors shown to the user: a Chinese message for anything a handler raises, never a traceback."""

from __future__ import annotations

import logging

log = logging.getLogger("assistant.ui")

# exceptions whose message is written for the user (Chinese, says what to do)
USER_ERRORS = ("QuestionError", "LoaderError", "FeedbackError", "IndexUnavailable", "ModelError", "UserError")


class UserError(ValueError):
    """A message for the user (Chinese), shown as is."""


def user_message(exc: BaseException) -> str:
    """A clear Chinese message for ``exc``; unexpected errors are logged with their traceback and
    shown without it."""
    names = {c.__name__ for c in type(exc).__mro__}
    if names & set(USER_ERRORS):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "内存不足，无法完成此操作：请缩小文件或问题后重试。"
    log.exception("unexpected error in the web app", exc_info=exc)
    return f"出错了：程序内部错误（{type(exc).__name__}）。请稍后重试；如果问题持续出现，请联系管理员查看服务日志。"
