"""Many users at once (issue 10, item 6): on loopback, ``LOAD_USERS`` (16) simulated users ask,
search and rate answers for ``LOAD_SECONDS`` (60) through Gradio's queue API — the same
``/gradio_api/queue/join`` + ``/queue/data`` protocol the page uses, each user its own session —
while an admin uploads documents and rebuilds the index through the password-checked API.

Passes when: no request fails (HTTP error, Gradio error, or a Chinese error notice); every answer
to the control question carries its fact and every search finds the seed document first (an
answer from a half-built index would not); every admin action succeeds; and the feedback file
holds exactly one line per rating the app confirmed (no lost update). p50 / p95 latency of the
user requests are printed and written to test-artifacts/reliability/load.json (tests/reliability.py).
Timings depend on the machine's load: the printout carries ``os.getloadavg()``."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from assistant.pipeline import Assistant
from assistant.settings import Settings

from .conftest import CORPUS
from .reliability import record

pytestmark = pytest.mark.slow

USERS = int(os.environ.get("LOAD_USERS", "16"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
PASSWORD = "load-test-密码"
CONTROL_Q, CONTROL_FACT = "江口县县长是谁？", "杨云"
QUESTIONS = ["“三个四”工作法包括哪些？", "江口县什么时候脱贫？", "群众认可度是多少？", "今天天气怎么样？"]
SEARCHES = ["江口县 脱贫 认可度", "杨华祥 授课", "四拼四争"]
SEED_TITLE_WORD = "江口"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """One browser tab's worth of Gradio session: queue joins and the SSE stream of their results."""

    def __init__(self, url: str, fns: dict[str, int]) -> None:
        self.url, self.fns = url, fns
        self.hash = uuid.uuid4().hex[:11]
        self.http = httpx.Client(timeout=httpx.Timeout(120.0))

    def call(self, name: str, data: list, event_data=None) -> list:
        """Run event ``name`` to the end; its outputs. Raises RuntimeError on any failure."""
        body = {"data": data, "fn_index": self.fns[name], "session_hash": self.hash, "event_data": event_data,
                "trigger_id": None}
        resp = self.http.post(self.url + "gradio_api/queue/join", json=body)
        if resp.status_code != 200:
            raise RuntimeError(f"join {name}: HTTP {resp.status_code} {resp.text[:200]}")
        event_id = resp.json()["event_id"]
        with self.http.stream("GET", self.url + "gradio_api/queue/data", params={"session_hash": self.hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") not in (None, event_id):
                    continue
                if msg.get("msg") == "process_completed":
                    if not msg.get("success", False):
                        raise RuntimeError(f"{name}: {json.dumps(msg.get('output'), ensure_ascii=False)[:300]}")
                    return msg["output"]["data"]
                if msg.get("msg") == "close_stream":
                    break
        raise RuntimeError(f"{name}: the stream ended without a result")

    def upload(self, path: Path) -> dict:
        with open(path, "rb") as fh:
            resp = self.http.post(self.url + "gradio_api/upload", files={"files": (path.name, fh)})
        if resp.status_code != 200:
            raise RuntimeError(f"upload: HTTP {resp.status_code} {resp.text[:200]}")
        return {"path": resp.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture(scope="module")
def server(embedder, tmp_path_factory):
    from assistant.ui import build_app, serve

    root = tmp_path_factory.mktemp("load")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings.from_env(index_dir=root / "index", corpus=(corpus,), host="127.0.0.1", port=_free_port(),
                                 root_path="", admin_password=PASSWORD, feedback_file=root / "feedback.jsonl",
                                 feedback_max_per_minute=1_000_000, admin_max_failures=1_000_000,
                                 upload_max_per_minute=1_000_000)
    demo = build_app(Assistant.open(settings, embedder=embedder), settings)
    serve(demo, settings, prevent_thread_lock=True, quiet=True)
    fns: dict[str, int] = {}
    for i, fn in demo.fns.items():
        fns.setdefault(fn.name, i)
    yield {"url": f"http://127.0.0.1:{settings.port}/", "fns": fns, "settings": settings, "root": root,
           "ctx": demo.app_context}
    demo.close()


def _user(server, stop: float, lat: list, errors: list, rated: list, k: int) -> None:
    s = Session(server["url"], server["fns"])
    turn = 0
    i = k
    while time.monotonic() < stop:
        i += 1
        started = time.monotonic()
        try:
            if i % 3 == 0:
                out = s.call("search", [SEARCHES[i % len(SEARCHES)], 10, [], "", "", True])
                count, results = _text(out[0]), _text(out[1])
                if "notice error" in count or SEED_TITLE_WORD not in results:
                    raise RuntimeError(f"search: {count[:200]}")
            else:
                q = CONTROL_Q if i % 2 == 0 else QUESTIONS[i % len(QUESTIONS)]
                out = s.call("respond", [q, None])
                if "notice error" in _text(out[-1]):
                    raise RuntimeError(f"ask: {_text(out[-1])[:200]}")
                turn += 1
                last = _text(out[0][-1]) if out[0] else ""
                if q == CONTROL_Q and CONTROL_FACT not in last:
                    raise RuntimeError(f"the control question was answered without its fact: {last[:300]}")
                if turn % 2 == 0:  # rate this answer (the bot message of the latest turn)
                    fb = s.call("rate", [None, f"用户{k}第{turn}条"],
                                event_data={"index": 2 * turn - 1, "value": "", "liked": True})
                    if "已记录" not in _text(fb[0]):
                        raise RuntimeError(f"rate: {_text(fb[0])[:200]}")
                    rated.append(f"用户{k}第{turn}条")
            lat.append(time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
            errors.append(f"user {k}: {exc}")


def _admin(server, stop: float, errors: list, actions: list) -> None:
    s = Session(server["url"], server["fns"])
    folder = server["root"] / "to-upload"
    folder.mkdir(exist_ok=True)
    n = 0
    while time.monotonic() < stop:
        n += 1
        try:
            path = folder / f"负载测试材料{n}.txt"
            path.write_text(f"负载测试材料第{n}份：青松村第{n}次议事会决定修建水渠{n}公里。", encoding="utf-8")
            out = s.call("do_upload", [[s.upload(path)], PASSWORD, "", ""])
            if "已加入索引" not in _text(out[0]):
                raise RuntimeError(f"upload: {_text(out[0])[:300]}")
            actions.append("upload")
            out = s.call("do_rebuild", [PASSWORD, False])
            if "索引已重建" not in _text(out[0]):
                raise RuntimeError(f"rebuild: {_text(out[0])[:300]}")
            actions.append("rebuild")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"admin: {exc}")
            time.sleep(1)


def test_many_users_while_the_admin_uploads_and_rebuilds(server):
    stop = time.monotonic() + SECONDS
    lat: list[float] = []
    errors: list[str] = []
    rated: list[str] = []
    actions: list[str] = []
    threads = [threading.Thread(target=_user, args=(server, stop, lat, errors, rated, k)) for k in range(USERS)]
    threads.append(threading.Thread(target=_admin, args=(server, stop, errors, actions)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 600)
    feedback = Path(server["settings"].feedback_file)
    lines = [json.loads(x) for x in feedback.read_text(encoding="utf-8").splitlines()] if feedback.exists() else []
    comments = [x.get("comment", "") for x in lines]
    lost = [c for c in rated if c not in comments]
    q = statistics.quantiles(lat, n=20) if len(lat) >= 20 else [float("nan")] * 19
    p50, p95 = statistics.median(lat) if lat else float("nan"), q[18]
    load = os.getloadavg()
    print(f"\nload test: {USERS} users × {SECONDS:.0f} s, {len(lat)} requests ok, {len(errors)} errors, "
          f"p50 {p50:.2f} s, p95 {p95:.2f} s; admin {actions.count('upload')} uploads, "
          f"{actions.count('rebuild')} rebuilds; {len(rated)} ratings, {len(lines)} feedback lines, {len(lost)} lost; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    record("load", users=USERS, seconds=SECONDS, requests=len(lat) + len(errors), errors=len(errors),
           p50_s=round(p50, 3), p95_s=round(p95, 3), uploads=actions.count("upload"),
           rebuilds=actions.count("rebuild"), ratings=len(rated), feedback_lines=len(lines),
           feedback_lost=len(lost), partial_answers=sum("without its fact" in e or "search:" in e for e in errors),
           loadavg=[round(x, 2) for x in load])
    assert not errors, errors[:10]
    assert actions.count("rebuild") >= 1, "the admin never finished an upload and a rebuild"
    assert not lost and len(lines) == len(rated), f"{len(lost)} ratings lost, {len(lines)} lines for {len(rated)}"
