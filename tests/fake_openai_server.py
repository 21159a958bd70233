"""A tiny OpenAI-compatible chat-completions server whose "model" is a deterministic script.

No LLM can run on the test machine, so the LLM path (langchain_openai.ChatOpenAI → HTTP → reply →
verification) is exercised against this stand-in instead. It speaks enough of the API for the
openai SDK: ``GET /v1/models``, ``POST /v1/chat/completions`` as one JSON object or, with
``"stream": true``, as server-sent ``chat.completion.chunk`` events ending with ``data: [DONE]``.

The script reads the prompt assistant/llm/prompts.py builds — passages in ``<source id="n">…</source>``
blocks and ``问题：…`` — and behaves according to the requested model name:

``grounded``  the source sharing the most character 2-grams with the question, and its most
              question-overlapping sentence, verbatim, followed by ``[n]``; “资料中没有相关内容”
              when nothing overlaps enough;
``inventor``  the grounded reply plus a sentence with an invented number (``江口县GDP为999亿元[1]。``);
``slow``      the grounded reply, but only after ``slow_seconds`` (longer than the client timeout);
``stall``     starts streaming the grounded reply, then falls silent for ``slow_seconds``
              (non-streaming requests: like ``slow``);
``broken``    HTTP 500 with an OpenAI-style error body;
``garbled``   HTTP 200 whose body (or stream event) is not valid JSON.

A test can add a model of its own: ``server.script("name", reply)`` where ``reply(sources,
question)`` gets the numbered passages (``[(n, text, title)]``) and the question and returns the
reply text — to replay what a real model was seen to answer.

The condense request (“你负责改写追问 …”) is answered with the latest question, unchanged.
Every request is recorded in ``server.requests`` for the tests to count."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REFUSAL = "资料中没有相关内容"
INVENTED = "江口县GDP为999亿元[1]。"
MODELS = ("grounded", "inventor", "slow", "stall", "broken", "garbled")

_SOURCE = re.compile(r'<source id="(\d+)"(?: title="([^"]*)")?>\n(.*?)\n</source>', re.S)
_QUESTION = re.compile(r"问题：(.*?)\n\n请只依据", re.S)
_CONDENSE_QUESTION = re.compile(r"最新问题：(.*?)\n改写后的问题", re.S)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")
# question words carry no topic: they must not make an unrelated passage look relevant
_QUESTION_WORDS = re.compile(
    r"是谁|是什么|什么|多少|哪些|哪个|哪里|哪一年|哪年|怎么样|怎样|怎么|如何|为什么|有没有|是否|请问|吗|呢")
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]+")
MIN_COVERAGE = 0.6  # share of the question's 2-grams the chosen sentence must hold


def _grams(text: str) -> set[str]:
    out: set[str] = set()
    for run in _WORDISH.findall(text.lower()):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def _question_grams(question: str) -> set[str]:
    return _grams(_QUESTION_WORDS.sub(" ", question))


def _score(q: set[str], text: str) -> int:
    g = _grams(text)
    return sum(1 for x in q if x in g)


Source = tuple[int, str, str]  # (n, text, title)
Script = Callable[[list[Source], str], str]


def parse_prompt(user: str) -> tuple[list[Source], str]:
    """The numbered passages and the question of an answer prompt (assistant/llm/prompts.py)."""
    m = _QUESTION.search(user)
    question = m.group(1).strip() if m else ""
    return [(int(n), text, title) for n, title, text in _SOURCE.findall(user)], question


def sentences_of(text: str) -> list[str]:
    return [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def grounded_reply(sources: list[Source], question: str) -> str:
    """The scripted answer: best source, its best sentence verbatim, then ``[n]``."""
    q = _question_grams(question)
    if not q or not sources:
        return REFUSAL + "。"
    # most shared 2-grams wins; ties go to the earlier (better-ranked) source
    n, text, _title = max(sources, key=lambda s: (_score(q, s[1]), -s[0]))
    sentences = sentences_of(text)
    if not sentences:
        return REFUSAL + "。"
    best = max(sentences, key=lambda s: _score(q, s))  # first of equals
    if _score(q, best) / len(q) < MIN_COVERAGE:
        return REFUSAL + "。"
    best = best.rstrip("；;，,、:： ")
    if best[-1] not in "。！？!?”":
        best += "。"
    return f"{best}[{n}]"


@dataclass
class Request:
    path: str
    model: str
    kind: str  # answer | condense | other
    stream: bool
    status: int
    question: str = ""
    reply: str = ""
    auth: str = ""  # the Authorization header
    t: float = 0.0  # time.monotonic() on arrival


def _messages_text(body: dict) -> tuple[str, str]:
    system, user = [], []
    for m in body.get("messages") or []:
        content = m.get("content")
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        (system if m.get("role") in ("system", "developer") else user).append(content or "")
    return "\n".join(system), "\n".join(user)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - keep test output quiet
        pass

    # ------------------------------------------------------------------ plumbing
    def _send_json(self, status: int, obj: object | None = None, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _sse(self, payload: str) -> None:
        data = f"data: {payload}\n\n".encode("utf-8")
        self.wfile.write(f"{len(data):X}\r\n".encode("ascii") + data + b"\r\n")
        self.wfile.flush()

    def _end_sse(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ------------------------------------------------------------------ endpoints
    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") == "/v1/models":
            self.server.record(Request(self.path, "", "other", False, 200))
            self._send_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "tests"} for m in MODELS]})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send_json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
            return
        model = str(body.get("model", ""))
        stream = bool(body.get("stream"))
        system, user = _messages_text(body)
        if "你负责改写追问" in system or "<history>" in user:
            kind = "condense"
            m = _CONDENSE_QUESTION.search(user)
            question = m.group(1).strip() if m else ""
            reply = question
        else:
            kind = "answer" if "<source" in user or "问题：" in user else "other"
            sources, question = parse_prompt(user)
            script = self.server.scripts.get(model)
            reply = script(sources, question) if script else grounded_reply(sources, question)
            if model == "inventor":
                reply += INVENTED
        status = 500 if model == "broken" else 200
        self.server.record(Request(self.path, model, kind, stream, status, question, reply,
                                   self.headers.get("Authorization", "")))

        try:
            if model == "slow" or (model == "stall" and not stream):
                self.server.stopping.wait(self.server.slow_seconds)
            if model == "broken":
                self._send_json(500, {"error": {"message": "internal error (scripted)", "type": "server_error",
                                                "code": None, "param": None}})
            elif model == "garbled":
                if stream:
                    self._start_sse()
                    self._sse('{"id": "x", "object": "chat.completion.chunk", "choices": [{"delta": {"cont')
                    self._sse("[DONE]")
                    self._end_sse()
                else:
                    self._send_json(200, raw=b'{"id": "x", "object": "chat.completion", "choices": [{"mess')
            elif stream:
                self._stream_reply(model, reply)
            else:
                self._send_json(200, self._completion(model, reply))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            self.close_connection = True

    # ------------------------------------------------------------------ OpenAI shapes
    @staticmethod
    def _completion(model: str, reply: str) -> dict:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": len(reply), "total_tokens": 1 + len(reply)},
        }

    def _stream_reply(self, model: str, reply: str) -> None:
        cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        created = int(time.time())

        def chunk(delta: dict, finish: str | None = None) -> str:
            return json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                               "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                            "finish_reason": finish}]}, ensure_ascii=False)

        self._start_sse()
        self._sse(chunk({"role": "assistant", "content": ""}))
        for i in range(0, len(reply), 7):  # several small deltas, as a real model sends
            self._sse(chunk({"content": reply[i : i + 7]}))
            if model == "stall":  # half a sentence out, then silence
                self.server.stopping.wait(self.server.slow_seconds)
        self._sse(chunk({}, "stop"))
        self._sse("[DONE]")
        self._end_sse()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, slow_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.slow_seconds = slow_seconds
        self.stopping = threading.Event()
        self.requests: list[Request] = []
        self.scripts: dict[str, Script] = {}
        self._lock = threading.Lock()

    def handle_error(self, request, client_address) -> None:
        """A client that hung up (it timed out) is expected; anything else is printed as usual."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def record(self, request: Request) -> None:
        request.t = time.monotonic()
        with self._lock:
            self.requests.append(request)


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: ... server.base_url ... server.requests``"""

    def __init__(self, slow_seconds: float = 5.0) -> None:
        self._server = _Server(slow_seconds)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[Request]:
        return list(self._server.requests)

    def script(self, model: str, reply: Script) -> None:
        """Serve ``model`` with ``reply(sources, question)`` (replaces any earlier script of that name)."""
        self._server.scripts[model] = reply

    def clear(self) -> None:
        with self._server._lock:
            self._server.requests.clear()

    def start(self) -> "FakeOpenAIServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()  # wake "slow" handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FakeOpenAIServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
