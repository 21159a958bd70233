"""The library tab's admin actions, attacked the way a script would: straight through Gradio's API
(gradio_client and plain HTTP against a real Gradio server on loopback), never through the page.

- every admin action (upload, delete, rebuild, cancel) without / with a wrong / with a non-text
  password is refused by the server and changes nothing (index, uploads folder);
- wrong passwords are answered after a delay, logged, and lock the client out after a few;
- with no admin password the admin endpoints do not exist and Gradio's upload endpoint takes nothing;
- Gradio's upload endpoint refuses oversize requests and floods;
- an upload is a job: cancelled, failed or killed, it leaves no file behind (no orphan a rebuild
  would add).

The figures (admin calls tried / accepted without the password) go to
test-artifacts/reliability/auth.json for the reliability table (see tests/reliability.py).
The embedder is the fast stand-in: what is tested is who may write, not what is retrieved."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from assistant.pipeline import Assistant
from assistant.schema import Document
from assistant.settings import defaults
from assistant.ui import build_app, serve
from assistant.ui.uploads import JOB_FILE, STAGING, Cancelled, UploadJob, recover_staging

from .fakes import FakeEmbedder
from .reliability import record

PASSWORD = "管理员-test-pw"
DOCS = [Document("d1", "江口县", "seed.txt", "江口创新运用“三个四”新时代群众工作法。责任体系下沉。"),
        Document("d2", "坝梅村", "seed2.txt", "坝梅村推行“一学二访三会四评”群众工作法。")]
BAD_PASSWORDS = ["", "wrong", PASSWORD + " ", PASSWORD.upper(), "管理员", "\x00", "' OR 1=1 --"]
ADMIN_CALLS = {"attempts": 0, "accepted": 0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(root: Path, **changes):
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    settings = defaults().replace(index_dir=root / "index", corpus=(corpus,), host="127.0.0.1",
                                  port=_free_port(), root_path="", feedback_file=root / "feedback.jsonl",
                                  **changes)
    assistant = Assistant(settings, embedder=FakeEmbedder())
    assistant.add_documents(DOCS)
    demo = build_app(assistant, settings)
    serve(demo, settings, prevent_thread_lock=True, quiet=True)
    return demo, settings, f"http://127.0.0.1:{settings.port}/"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("admin")
    demo, settings, url = _start(root, admin_password=PASSWORD, admin_failure_delay_s=0.3,
                                 admin_max_failures=10_000, max_upload_mb=1, upload_max_per_minute=10_000)
    yield {"demo": demo, "settings": settings, "url": url, "ctx": demo.app_context}
    demo.close()
    record("auth", tried=ADMIN_CALLS["attempts"], accepted_without_password=ADMIN_CALLS["accepted"])


@pytest.fixture(scope="module")
def client(app):
    return Client(app["url"], verbose=False)


def _state(app) -> tuple:
    """What an admin action could change: the documents indexed, the store on disk, the uploads folder."""
    ctx, settings = app["ctx"], app["settings"]
    uploads = Path(settings.corpus[0]) / "uploads"
    files = sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*")) if uploads.exists() else []
    current = (Path(settings.index_dir) / "CURRENT").read_text()
    return tuple(sorted(ctx.assistant.store.documents)), current, tuple(files)


def _refused(app, call) -> str:
    """Run one admin call that must be refused; count it; return the status the server gave."""
    before = _state(app)
    try:
        out = call()
    except Exception as exc:  # noqa: BLE001 - the server refusing the call outright is a refusal too
        out = f"error: {exc}"
    status = out[0] if isinstance(out, (list, tuple)) else out
    ADMIN_CALLS["attempts"] += 1
    accepted = _state(app) != before or "已加入索引" in str(status) or "已删除" in str(status) or "已重建" in str(status)
    ADMIN_CALLS["accepted"] += accepted
    assert not accepted, f"an admin call was accepted without the password: {status}"
    return str(status)


@pytest.mark.slow  # 37 calls through a real Gradio server: ~12 s
def test_every_admin_action_is_refused_without_the_password(app, client, tmp_path):
    doc = tmp_path / "新文档.txt"
    doc.write_text("新上传的文档：四拼四争。", encoding="utf-8")
    for pw in BAD_PASSWORDS:
        calls = {
            "upload": lambda pw=pw: client.predict([handle_file(str(doc))], pw, "", "", api_name="/library_upload"),
            "delete": lambda pw=pw: client.predict("d1", pw, api_name="/library_delete"),
            "rebuild": lambda pw=pw: client.predict(pw, True, api_name="/library_rebuild"),
            "cancel": lambda pw=pw: client.predict(pw, api_name="/library_cancel"),
        }
        for name, call in calls.items():
            status = _refused(app, call)
            assert "密码" in status, f"{name} with {pw!r}: {status}"
    # a password that is not text at all (a script posting JSON) is refused too, without a traceback
    for pw in (None, 123, ["x"], {"a": 1}):
        resp = httpx.post(app["url"] + "gradio_api/call/library_rebuild", json={"data": [pw, False]}, timeout=30)
        if resp.status_code == 200:
            event = resp.json()["event_id"]
            stream = httpx.get(app["url"] + f"gradio_api/call/library_rebuild/{event}", timeout=60).text
            _refused(app, lambda s=stream: s)
            assert "Traceback" not in stream
        else:
            ADMIN_CALLS["attempts"] += 1
    assert ADMIN_CALLS["accepted"] == 0


def test_the_right_password_uploads_deletes_and_rebuilds(app, client, tmp_path):
    doc = tmp_path / "上传测试.txt"
    doc.write_text("上传测试文档：第一书记驻村，四拼四争。", encoding="utf-8")
    status = client.predict([handle_file(str(doc))], PASSWORD, "上传的标题", "2021-03-04",
                            api_name="/library_upload")[0]
    assert "已加入索引" in status, status
    store = app["ctx"].assistant.store
    added = [d for d in store.documents.values() if d.title == "上传的标题"]
    assert len(added) == 1 and added[0].date.startswith("2021-03-04")
    uploads = Path(app["settings"].corpus[0]) / "uploads"
    assert (uploads / "上传测试.txt").exists()
    assert not any((uploads / STAGING).glob("*/*")), "the staging folder is emptied"
    status = client.predict(PASSWORD, False, api_name="/library_rebuild")[0]
    assert "索引已重建" in status and added[0].doc_id in app["ctx"].assistant.store.documents
    status = client.predict(added[0].doc_id, PASSWORD, api_name="/library_delete")[0]
    assert "已删除" in status and not (uploads / "上传测试.txt").exists()
    assert "没有正在进行的上传" in client.predict(PASSWORD, api_name="/library_cancel")


def test_a_wrong_password_is_delayed_and_logged_without_blocking_the_admin(app, client, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.ui.auth")
    delay = app["settings"].admin_failure_delay_s
    start = time.monotonic()
    _refused(app, lambda: client.predict("guess", api_name="/library_cancel"))
    assert time.monotonic() - start >= delay
    assert any("wrong admin password" in r.getMessage() for r in caplog.records)
    # eight guesses at once do not hold the workers: the admin's own call still answers at once
    guesses = [threading.Thread(target=lambda: client.predict("guess", api_name="/library_cancel")) for _ in range(8)]
    for t in guesses:
        t.start()
    start = time.monotonic()
    assert "没有正在进行的上传" in client.predict(PASSWORD, api_name="/library_cancel")
    admin_s = time.monotonic() - start
    for t in guesses:
        t.join()
    assert admin_s < 8 * delay, f"the admin waited {admin_s:.1f} s behind the guesses"


@pytest.mark.slow  # waits out the wrong-password delays: ~4 s
def test_guessing_locks_the_client_out(tmp_path):
    demo, settings, url = _start(tmp_path, admin_password=PASSWORD, admin_failure_delay_s=0.05,
                                 admin_max_failures=3, admin_lockout_s=2.0)
    try:
        c = Client(url, verbose=False)
        answers = [c.predict(f"guess{i}", api_name="/library_cancel") for i in range(4)]
        assert all("不正确" in a for a in answers[:3]), answers
        assert "锁定" in answers[3] and "秒后再试" in answers[3]
        assert "锁定" in c.predict(PASSWORD, api_name="/library_cancel"), "locked out means the right one too"
        time.sleep(2.2)
        assert "没有正在进行的上传" in c.predict(PASSWORD, api_name="/library_cancel")
    finally:
        demo.close()


def test_without_a_password_there_are_no_admin_endpoints_and_no_uploads(tmp_path):
    demo, settings, url = _start(tmp_path, admin_password="")
    try:
        info = httpx.get(url + "gradio_api/info", timeout=30).json()
        names = set(info.get("named_endpoints", {}))
        assert names and not any(n.startswith("/library_") and n != "/refresh" for n in names
                                 if n not in ("/refresh_ro",)), names
        for name in ("library_upload", "library_delete", "library_rebuild", "library_cancel"):
            resp = httpx.post(url + f"gradio_api/call/{name}", json={"data": []}, timeout=30)
            ADMIN_CALLS["attempts"] += 1
            ADMIN_CALLS["accepted"] += resp.status_code == 200
            assert resp.status_code != 200
        resp = httpx.post(url + "gradio_api/upload", files={"files": ("a.txt", b"x" * 100)}, timeout=30)
        assert resp.status_code == 403 and "只读" in resp.json()["detail"]
    finally:
        demo.close()


def test_gradio_upload_endpoint_is_limited(tmp_path):
    demo, settings, url = _start(tmp_path, admin_password=PASSWORD, max_upload_mb=1, upload_max_per_minute=3)
    try:
        big = b"x" * (12 * 1024 * 1024)
        resp = httpx.post(url + "gradio_api/upload", files={"files": ("big.txt", big)}, timeout=60)
        assert resp.status_code in (400, 413), resp.text[:200]
        codes = [httpx.post(url + "gradio_api/upload", files={"files": ("a.txt", b"abc")}, timeout=30).status_code
                 for _ in range(4)]
        assert codes.count(429) >= 1 and "429" not in str(codes[:2]), codes
    finally:
        demo.close()


# -------------------------------------------------------------------------- the upload job itself
@pytest.fixture
def assistant(tmp_path):
    settings = defaults().replace(index_dir=tmp_path / "index", corpus=(tmp_path / "corpus",))
    (tmp_path / "corpus").mkdir()
    a = Assistant(settings, embedder=FakeEmbedder())
    a.add_documents(DOCS)
    return a


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize("stage", ["读取", "正在向量化新文档……", "新向量化"])
def test_a_cancelled_upload_adds_nothing_and_leaves_no_file(assistant, tmp_path, stage):
    src = tmp_path / "长文.txt"
    src.write_text("。".join(f"第{i}段：扶贫干部驻村走访群众" for i in range(400)), encoding="utf-8")
    job = UploadJob(assistant)
    job.progress = lambda fraction, text: job.cancel.set() if stage in text else None
    before = set(assistant.store.documents)
    with pytest.raises(Cancelled):
        job.run([src])
    assert set(assistant.store.documents) == before
    assert _files(tmp_path / "corpus") == []


def test_a_failed_upload_leaves_no_file(assistant, tmp_path):
    src = tmp_path / "坏.txt"
    src.write_bytes(b"\x00\x01\x02binary" * 100)
    messages = UploadJob(assistant).run([src])
    assert messages and messages[0][0] == "error"
    assert _files(tmp_path / "corpus") == []


def test_a_killed_upload_is_finished_or_undone_at_start(assistant, tmp_path):
    """What a process killed mid-upload leaves: a staged file whose document reached the index is
    moved into place; one that did not is deleted — no orphan for the next rebuild."""
    uploads = tmp_path / "corpus" / "uploads"
    job_dir = uploads / STAGING / "job1"
    job_dir.mkdir(parents=True)
    done, lost = job_dir / "done.txt", job_dir / "lost.txt"
    done.write_text("已入索引的上传：乡村振兴。", encoding="utf-8")
    lost.write_text("没有入索引的上传。", encoding="utf-8")
    final = uploads / "done.txt"
    assistant.add_documents([Document("up1", "done", str(final), done.read_text(encoding="utf-8"))])
    (job_dir / JOB_FILE).write_text(json.dumps({"moves": [[str(done), str(final)],
                                                          [str(lost), str(uploads / "lost.txt")]]}))
    (uploads / STAGING / "job2").mkdir()  # killed before it wrote its job file
    (uploads / STAGING / "job2" / "x.txt").write_text("x")
    assert recover_staging(assistant) == 1
    assert _files(uploads) == ["done.txt"]
