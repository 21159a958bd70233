"""Who may change the library, checked on the server — never by the page.

:class:`AdminGate` checks the admin password of every admin action (upload, delete, rebuild,
cancel), also when the action is called directly through Gradio's API: compared in constant time
(digests of equal length), every wrong password logged with the client's address and answered only
``admin_failure_delay_s`` later — an ``await``, so guessing holds no worker and never delays a real
admin — and after ``admin_max_failures`` wrong passwords within ``admin_lockout_s`` the client is
refused outright until the window has passed. Without a password the admin actions are not even
registered (see :mod:`.library`).

:class:`UploadGuard` stands in front of Gradio's own upload endpoints, which take files from anyone
before any handler runs: with no admin password nobody may upload at all (nothing on the page
needs it); with one, a request larger than the upload limit is refused in Chinese and one client
may upload ``upload_max_per_minute`` times a minute. What was uploaded is swept with the other
temporary files (``delete_cache``)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math

from ..settings import Settings
from ..throttle import Throttle
from .errors import UserError

log = logging.getLogger("assistant.ui.auth")

UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/process_recording")
READ_ONLY = "资料库为只读：管理员没有设置密码（环境变量 ASSISTANT_ADMIN_PASSWORD）。"


class WrongPassword(UserError):
    """A wrong admin password (answered after the delay)."""


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).digest()


class AdminGate:
    def __init__(self, settings: Settings) -> None:
        self._digest = _digest(settings.admin_password) if settings.admin_password else None
        self.failures = Throttle(settings.admin_max_failures, settings.admin_lockout_s)
        self.delay_s = settings.admin_failure_delay_s

    @property
    def enabled(self) -> bool:
        return self._digest is not None

    def check(self, password, client: str) -> None:
        """Raise UserError unless ``password`` is the admin password and ``client`` is not locked
        out; a wrong one is counted and logged (:class:`WrongPassword`). Never sleeps."""
        if self._digest is None:
            raise UserError(READ_ONLY)
        wait = self.failures.wait_s(client)
        if wait > 0:
            log.warning("admin action refused: %s is locked out for %.0f s more", client or "?", wait)
            raise UserError(f"管理员密码错误次数过多，已暂时锁定：请 {math.ceil(wait)} 秒后再试。")
        if not isinstance(password, str) or not password:
            raise UserError("请先输入管理员密码。")
        if not hmac.compare_digest(_digest(password), self._digest):
            self.failures.hit(client)
            log.warning("wrong admin password from %s", client or "?")
            raise WrongPassword("管理员密码不正确，请重新输入。")

    async def verify(self, password, client: str) -> None:
        """:meth:`check`, a wrong password answered ``delay_s`` later without holding a thread."""
        try:
            self.check(password, client)
        except WrongPassword:
            await asyncio.sleep(self.delay_s)
            raise


class UploadGuard:
    """ASGI middleware over Gradio's upload endpoints (see the module docstring)."""

    def __init__(self, app, settings: Settings) -> None:
        self.app = app
        self.enabled = bool(settings.admin_password)
        self.max_bytes = settings.max_upload_mb * 1024 * 1024
        self.throttle = Throttle(settings.upload_max_per_minute, 60.0)
        self.root = (settings.root_path or "").rstrip("/")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not self._is_upload(scope["path"]):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("", 0))[0]
        refusal = self._refusal(scope, client)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message = refusal
        log.warning("upload refused (%s) from %s: %s", status, client or "?", message)
        body = json.dumps({"error": message, "detail": message}, ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _is_upload(self, path: str) -> bool:
        path = path[len(self.root):] if self.root and path.startswith(self.root) else path
        return path.rstrip("/") in UPLOAD_PATHS

    def _refusal(self, scope, client: str) -> tuple[int, str] | None:
        if not self.enabled:
            return 403, READ_ONLY + "不接受上传。"
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes * 10 + 1024 * 1024:
            return 413, f"上传的内容过大：单个文件不超过 {self.max_bytes // 1024 // 1024} MB。"
        if not self.throttle.allow(client):
            return 429, f"上传太频繁（每分钟最多 {self.throttle.limit} 次）：请稍等一分钟再上传。"
        return None


__all__ = ["AdminGate", "UploadGuard", "WrongPassword", "READ_ONLY"]
