"""Generated bad files (issue 10, item 2): zero-byte, binary named .txt, GBK / Big5 / Shift-JIS /
UTF-16 / UTF-32 / Latin-1, truncated .docx and .pdf, decompression bombs, a 50 MB text,
unsupported extensions, hostile names and HTML — through ``python -m assistant build --corpus``
and through the library upload of the real app (Gradio's upload endpoint and ``/library_upload``
on loopback; the 50 MB file through the upload job the endpoint runs).

Pass: a clear Chinese error naming each bad file, the rest of the batch indexed with the right
text (never mojibake), nothing written outside the index and the uploads folder, nothing already
indexed lost, no traceback. The figures go to test-artifacts/reliability/abuse_files.json."""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.abuse_inputs import bad_files, docx_bomb, gradio_call
from tests.reliability import record

pytestmark = pytest.mark.slow  # the real embedding model indexes the good files

CORPUS = PROJECT_ROOT / "corpus"
SEED_ID_TEXT = "江口县委书记杨华祥"
PASSWORD = "abuse-test-密码"
BIG_MB = 50
CJK = re.compile(r"[\u4e00-\u9fff]")
FIGURES = {"tried": 0, "crashed": 0, "written_outside": 0, "by_channel": {}}


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    record("abuse_files", **FIGURES)


def _tally(channel: str, tried: int, failures: list[str], outside: list[str]) -> None:
    FIGURES["tried"] += tried
    FIGURES["crashed"] += len(failures)
    FIGURES["written_outside"] += len(outside)
    FIGURES["by_channel"][channel] = {"tried": tried, "crashed": len(failures), "written_outside": len(outside),
                                      "failures": failures[:20], "outside": outside[:20]}


def _write_big(path: Path, mb: int) -> None:
    """A plain Chinese text of ``mb`` megabytes, written in large blocks (a second or two)."""
    block = ("扶贫工作会议在江口县召开，全体干部参加。\n" * 4000).encode("utf-8")
    with open(path, "wb") as f:
        while f.tell() < mb * 1024 * 1024:
            f.write(block)


def _snapshot(root: Path, skip: tuple[Path, ...]) -> dict[str, str]:
    """Every file under ``root`` outside ``skip``: path → size and content hash."""
    out = {}
    for p in root.rglob("*"):
        if any(p == s or s in p.parents for s in skip) or not p.is_file():
            continue
        out[str(p.relative_to(root))] = f"{p.stat().st_size}:{hashlib.blake2b(p.read_bytes(), digest_size=8).hexdigest()}"
    return out


def _written(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in after if before.get(k) != after[k])


def _expectations():
    for name, data, expect in bad_files():
        kind, _, text = expect.partition(":")
        yield name, data, kind, text


def _check_documents(documents: dict, named: dict[str, str], reported: str) -> list[str]:
    """Each case against what the index holds and what was reported (every message, joined). A
    file to be read is found by its text (the name it is stored under may be sanitised); a file to
    be refused by the name it would be stored under (``named``)."""
    failures = []
    by_file: dict[str, list] = {}
    for d in documents.values():
        by_file.setdefault(Path(d.source.split("#", 1)[0]).name, []).append(d)
    for name, _data, kind, text in _expectations():
        stored = by_file.get(named[name], [])
        mentioned = named[name] in reported
        if kind == "refused":
            if stored:
                failures.append(f"{name}: indexed, should be refused: {stored[0].text[:60]!r}")
            elif not mentioned:
                failures.append(f"{name}: refused without a message naming it")
        elif any(text in d.text for d in documents.values()):
            continue
        elif stored:
            failures.append(f"{name}: indexed as {stored[0].text[:60]!r}, not {text!r} (mojibake?)")
        elif kind == "read":
            failures.append(f"{name}: not indexed ({'reported' if mentioned else 'not even reported'})")
        elif not mentioned:
            failures.append(f"{name}: neither indexed with its text nor reported")
    if not any(SEED_ID_TEXT in d.text for d in documents.values()):
        failures.append("the document indexed before (the seed) was lost")
    return failures


# ---------------------------------------------------------------------------------------------- build --corpus
def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, check=False,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}, timeout=1200)


def test_build_corpus_with_bad_files(tmp_path):
    corpus, bad, index = tmp_path / "corpus", tmp_path / "bad", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    bad.mkdir()
    for name, data, _, _ in _expectations():
        (bad / name).write_bytes(data)
    _write_big(bad / "五十兆.txt", BIG_MB)
    first = _cli("--index", str(index), "build", "--corpus", str(corpus))
    assert first.returncode == 0, first.stderr[-2000:]

    before = _snapshot(tmp_path, skip=(index,))
    proc = _cli("--index", str(index), "build", "--corpus", str(corpus), "--corpus", str(bad))
    after = _snapshot(tmp_path, skip=(index,))
    failures = [] if "Traceback" not in proc.stderr else [f"traceback: {proc.stderr[-1500:]}"]
    if proc.returncode != 0:
        failures.append(f"build stopped (exit {proc.returncode}): {proc.stderr[-1500:]}")
    skipped = "\n".join(line for line in proc.stderr.splitlines() if "跳过" in line)
    for line in skipped.splitlines():
        if not CJK.search(line.split("skipped:", 1)[-1]):
            failures.append(f"a skip message that is not Chinese: {line[:200]}")
    if "五十兆.txt" not in skipped or "ASSISTANT_MAX_DOCUMENT_CHARS" not in skipped:
        failures.append("the 50 MB text was not refused by the character limit (ASSISTANT_MAX_DOCUMENT_CHARS)")
    if "ASSISTANT_MAX_UNPACKED_MB" not in skipped:
        failures.append("the .docx that unpacks to 300 MB was not refused by ASSISTANT_MAX_UNPACKED_MB")

    from assistant.index import load_store

    store = load_store(index)
    failures += _check_documents(store.documents, {n: n for n, *_ in _expectations()}, skipped)
    outside = _written(before, after)
    _tally("build_corpus", len(bad_files()) + 1, failures, outside)
    assert not outside, f"build wrote outside its index: {outside}"
    assert not failures, "\n".join(failures)

    # a corpus of nothing but bad files leaves the index as it was, and says why
    only_bad = _cli("--index", str(index), "build", "--corpus", str(bad / "旧版.doc"), "--corpus", str(bad / "随机.txt"))
    assert only_bad.returncode == 1 and "索引保持不变" in only_bad.stderr and "Traceback" not in only_bad.stderr
    assert load_store(index).documents.keys() == store.documents.keys()


def test_limits_come_from_settings(tmp_path):
    """The same files pass or fail as the limit settings say (characters, unpacked size)."""
    from assistant.loaders import load_paths

    text = tmp_path / "短文.txt"
    text.write_text("扶贫" * 200, encoding="utf-8")
    bomb = tmp_path / "炸弹.docx"
    bomb.write_bytes(docx_bomb(40_000))
    tight = Settings.from_env(max_document_chars=100, max_unpacked_mb=1)
    docs, errors = load_paths([text, bomb], tight)
    messages = " ".join(map(str, errors))
    assert not docs and "ASSISTANT_MAX_DOCUMENT_CHARS" in messages and "ASSISTANT_MAX_UNPACKED_MB" in messages
    docs, errors = load_paths([text], Settings.from_env(max_document_chars=1000))
    assert [d.text for d in docs] == ["扶贫" * 200] and not errors


# ---------------------------------------------------------------------------------------------- the library upload
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def library(embedder, tmp_path_factory):
    """The real app over a copy of corpus/ with an admin password, on loopback."""
    from assistant.pipeline import Assistant
    from assistant.ui import build_app, serve

    root = tmp_path_factory.mktemp("upload-abuse")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings.from_env(index_dir=root / "index", corpus=(corpus,), host="127.0.0.1", port=_free_port(),
                                 root_path="", admin_password=PASSWORD, feedback_file=root / "feedback.jsonl",
                                 upload_max_per_minute=10_000)
    assistant = Assistant.open(settings, embedder=embedder)
    demo = build_app(assistant, settings)
    serve(demo, settings, prevent_thread_lock=True, quiet=True)
    yield {"root": root, "settings": settings, "ctx": demo.app_context, "url": f"http://127.0.0.1:{settings.port}/",
           "uploads": corpus / "uploads", "index": root / "index"}
    demo.close()


def _notices(status: str) -> list[tuple[str, str]]:
    return [(k, html.unescape(re.sub("<[^>]+>", "", t)))
            for k, t in re.findall(r'<div class="notice (\w+)"[^>]*>(.*?)</div>', status, flags=re.DOTALL)]


def _stored_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.exists() else []


def test_library_upload_of_bad_files(library, tmp_path):
    from gradio_client import Client, handle_file

    from assistant.storage import safe_filename

    src = tmp_path / "src"
    src.mkdir()
    names = {}
    for name, data, _, _ in _expectations():
        (src / name).write_bytes(data)
        names[name] = safe_filename(name, fallback="upload")
    skip = (library["uploads"], library["index"])
    before = _snapshot(library["root"], skip) | _snapshot(tmp_path, ())
    client = Client(library["url"], verbose=False)
    files = [handle_file(str(p)) for p in sorted(src.iterdir())]
    status = client.predict(files, PASSWORD, "", "", api_name="/library_upload")[0]
    after = _snapshot(library["root"], skip) | _snapshot(tmp_path, ())
    notices = _notices(status)
    reported = "\n".join(t for k, t in notices if k in ("error", "warn"))
    failures = [f"not a clear Chinese message: {t[:200]}" for k, t in notices
                if k in ("error", "warn") and (not CJK.search(t) or "程序内部错误" in t or "Traceback" in t)]
    store = library["ctx"].assistant.store
    failures += _check_documents(store.documents, names, reported)
    kept = _stored_names(library["uploads"])
    indexed = {Path(d.source.split("#", 1)[0]).name for d in store.documents.values()}
    failures += [f"{n}: in the uploads folder but not indexed (an orphan)" for n in kept if n not in indexed
                 and not n.endswith(".meta.json")]
    staging = [str(p) for p in (library["uploads"] / ".staging").rglob("*") if p.is_file()] \
        if (library["uploads"] / ".staging").exists() else []
    failures += [f"left in staging: {p}" for p in staging]
    outside = _written(before, after)
    _tally("library_upload", len(bad_files()) + 1, failures, outside)
    assert not outside, f"the upload wrote outside the uploads folder: {outside}"
    assert not failures, "\n".join(failures) + "\n\n" + "\n".join(f"{k}: {t}" for k, t in notices)


HOSTILE_NAMES = ["../../逃逸.txt", "/etc/绝对路径.txt", "..\\..\\反斜杠2.txt", "空\x00字符.txt", "名" * 300 + ".txt",
                 ".staging/JOB.json.txt", "CURRENT.txt", "  .隐藏.txt", "a/../../../tmp/x.txt", "%2e%2e%2f编码.txt"]


def test_hostile_file_names_through_gradio_upload(library, tmp_path):
    """Names with ../, /, NUL, 300 characters, or a staging path, as a script sends them in the
    multipart header of Gradio's upload endpoint, then uploaded to the library: saved only inside
    the uploads folder (or refused with a clear message), nothing written anywhere else."""
    import httpx

    skip = (library["uploads"], library["index"])
    before = _snapshot(library["root"], skip) | _snapshot(library["root"].parent, (library["root"],))
    failures = []
    with httpx.Client(base_url=library["url"], timeout=120) as http:
        for i, name in enumerate(HOSTILE_NAMES):
            body = f"第{i}号文件：白马村推行“一事一议”，村民共同商量修路。".encode()
            try:
                r = http.post("gradio_api/upload", files={"files": (name, body, "text/plain")})
                if r.status_code != 200:
                    if r.status_code >= 500 or "Traceback" in r.text:
                        failures.append(f"{name!r}: upload HTTP {r.status_code} {r.text[:200]}")
                    continue
                path = r.json()[0]
                data = {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
                status = gradio_call(http, "library_upload", [data], PASSWORD, "", "")[0]
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{name!r}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            notices = _notices(status)
            if not notices or any(not CJK.search(t) or "程序内部错误" in t for _, t in notices):
                failures.append(f"{name!r}: {notices or status[:200]}")
    after = _snapshot(library["root"], skip) | _snapshot(library["root"].parent, (library["root"],))
    outside = _written(before, after)
    uploads = library["uploads"].resolve()
    stray = [str(p) for p in library["root"].rglob("*逃逸*") if uploads not in p.resolve().parents]
    stray += [str(p) for p in Path("/etc").glob("绝对路径*")]
    stray += [str(d.source) for d in library["ctx"].assistant.store.documents.values()
              if not Path(d.source.split("#", 1)[0]).resolve().is_relative_to(uploads)
              and "uploads" in d.source]
    _tally("hostile_names", len(HOSTILE_NAMES), failures, outside + stray)
    assert not outside and not stray, f"written outside the uploads folder: {outside + stray}"
    assert not failures, "\n".join(failures)


def test_oversize_files_are_refused_by_the_endpoint_and_the_job(library, tmp_path):
    """A 25 MB file (over max_upload_mb) is refused by Gradio's upload endpoint and kept nowhere;
    the 50 MB text given straight to the upload job the endpoint runs is refused by its size check."""
    import httpx

    from assistant.ui.uploads import UploadJob

    big = tmp_path / "五十兆.txt"
    _write_big(big, BIG_MB)
    failures = []
    r = httpx.post(library["url"] + "gradio_api/upload", timeout=120,
                   files={"files": ("二十五兆.txt", big.read_bytes()[: 25 * 1024 * 1024], "text/plain")})
    if r.status_code not in (400, 413):
        failures.append(f"25 MB through Gradio's upload endpoint: HTTP {r.status_code} {r.text[:200]}")
    before = set(library["ctx"].assistant.store.documents)
    messages = UploadJob(library["ctx"].assistant).run([big])
    if not (messages and messages[0][0] == "error" and "文件过大" in messages[0][1]):
        failures.append(f"50 MB through the upload job: {messages}")
    if set(library["ctx"].assistant.store.documents) != before:
        failures.append("the index changed")
    if "五十兆.txt" in _stored_names(library["uploads"]):
        failures.append("the refused file was kept in the uploads folder")
    _tally("oversize", 2, failures, [])
    assert not failures, failures


def test_uploads_work_when_the_corpus_is_one_file(embedder, tmp_path):
    """Issue 10: a single-file ASSISTANT_CORPUS made every upload fail with NotADirectoryError.
    The upload lands in the index folder's uploads/, and a rebuild keeps it."""
    from assistant.pipeline import Assistant
    from assistant.ui.uploads import UploadJob

    seed = tmp_path / "seed.txt"
    shutil.copy(CORPUS / "000_549b184018a73f24.txt", seed)
    settings = Settings.from_env(index_dir=tmp_path / "index", corpus=(seed,))
    assistant = Assistant.open(settings, embedder=embedder)
    new = tmp_path / "incoming" / "白马村.txt"
    new.parent.mkdir()
    new.write_text("白马村推行“一事一议”，村民共同商量修路。" * 3, encoding="utf-8")
    before = _snapshot(tmp_path, (tmp_path / "index",))
    messages = UploadJob(assistant).run([new])
    failures = [] if any("已加入索引" in m for _, m in messages) else [f"upload failed: {messages}"]
    outside = _written(before, _snapshot(tmp_path, (tmp_path / "index",)))
    report = assistant.build(None)
    if not any("一事一议" in d.text for d in assistant.store.documents.values()) or report.n_documents != 2:
        failures.append(f"the rebuild lost the upload: {report}")
    _tally("single_file_corpus", 1, failures, outside)
    assert not outside and not failures, (outside, failures)


def test_enough_bad_files_were_tried():
    """The issue's bar: at least 50 generated bad files (counted over the tests above)."""
    assert FIGURES["tried"] >= 50, FIGURES
