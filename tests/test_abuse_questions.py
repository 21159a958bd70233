"""Generated bad questions (issue 10, item 1): empty, whitespace, 100k characters, control
characters and NUL, lone surrogates, emoji, mixed scripts, HTML and <script>, markdown and
javascript: links, SQL-like strings, prompt injection, values that are no text, broken JSON Lines,
non-UTF-8 bytes, a BOM, UTF-16 — through the Python API, the CLI (``ask`` and ``ask --jsonl``) and
the web API of the real Gradio app on loopback.

Pass: no crash and no traceback anywhere; each case gets a normal answer or a clear Chinese error
(not the catch-all “程序内部错误”); ``ask --jsonl`` writes exactly one line per input line.
The figures go to test-artifacts/reliability/abuse_questions.json (tried / crashed, per channel).
The cases come from tests/abuse_inputs.py (fixed seed) and from hypothesis (derandomized)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.settings import PROJECT_ROOT
from tests.abuse_inputs import bad_questions, broken_jsonl_lines, gradio_call, not_text_questions
from tests.reliability import record

pytestmark = pytest.mark.slow  # the real embedding model answers every case

CJK = re.compile(r"[\u4e00-\u9fff]")
CRASH_MARKS = ("Traceback", "程序内部错误", "Exception", "Error:")
GOOD = "江口县委书记是谁？"
CLI_TIMEOUT = 900  # s: one process answers a whole batch (a loaded 2-core machine)

FIGURES: dict[str, dict[str, int]] = {}
FAILURES: dict[str, list[str]] = {}


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    tried = sum(f["tried"] for f in FIGURES.values())
    crashed = sum(f["crashed"] for f in FIGURES.values())
    record("abuse_questions", tried=tried, crashed=crashed, by_channel=FIGURES,
           failures={k: v[:20] for k, v in FAILURES.items() if v})


def _tally(channel: str, tried: int, failures: list[str]) -> None:
    f = FIGURES.setdefault(channel, {"tried": 0, "crashed": 0})
    f["tried"] += tried
    f["crashed"] += len(failures)
    FAILURES.setdefault(channel, []).extend(failures)


def clear_chinese_error(message: object) -> bool:
    """A message written for the user: Chinese, no traceback, not the catch-all internal error."""
    return isinstance(message, str) and bool(CJK.search(message)) and not any(m in message for m in CRASH_MARKS)


def _show(value: object) -> str:
    return ascii(value)[:80]


# ---------------------------------------------------------------------------------------------- Python API
def _api_case(assistant, value) -> str | None:
    """Why asking and searching ``value`` failed the bar, or None."""
    from assistant.pipeline import QuestionError

    for what, call in (("ask", assistant.ask), ("search", assistant.search)):
        try:
            out = call(value)
        except QuestionError as exc:
            if not clear_chinese_error(str(exc)):
                return f"{what}: unclear error {str(exc)[:100]!r}"
            continue
        except Exception as exc:  # noqa: BLE001 - this is what the test counts
            return f"{what}: {type(exc).__name__}: {str(exc)[:100]}"
        if what == "ask" and not (isinstance(out.text, str) and out.text.strip()):
            return "ask: an empty answer"
        if what == "search" and not isinstance(out, list):
            return f"search: returned {type(out).__name__}"
    return None


def test_python_api_survives_every_bad_question(corpus_assistant):
    cases = bad_questions() + not_text_questions()
    failures = []
    for kind, value in cases:
        why = _api_case(corpus_assistant, value)
        if why:
            failures.append(f"{kind} {_show(value)}: {why}")
    _tally("python_api", len(cases), failures)
    assert not failures, "\n".join(failures)


HOSTILE = st.one_of(
    st.text(max_size=600),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp", "So", "Mn"]), max_size=80),
    st.builds(lambda a, b: a + GOOD + b, st.text(max_size=40), st.text(max_size=40)),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "surrogateescape")),
)
HYPOTHESIS_EXAMPLES = 60
_generated: list[str] = []


@hsettings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True, database=None,
           suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=HOSTILE)
def test_python_api_survives_generated_text(corpus_assistant, text):
    why = _api_case(corpus_assistant, text)
    _generated.append(text)
    _tally("python_api_hypothesis", 1, [f"{_show(text)}: {why}"] if why else [])
    assert why is None, why


# ---------------------------------------------------------------------------------------------- CLI
def _cli(index_dir: Path, *args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "assistant", "--index", str(index_dir), *args], input=stdin,
                          capture_output=True, cwd=PROJECT_ROOT, env=env, timeout=CLI_TIMEOUT, check=False)


def _record_line(case_id: str, value: object) -> bytes:
    return json.dumps({"id": case_id, "question": value}, ensure_ascii=True).encode("ascii")


def _jsonl_cases() -> list[tuple[str, bytes]]:
    """Every input line of the batch, a good question first, between the sorts and last."""
    lines = [("good", _record_line("good-first", GOOD))]
    lines += [(f"q{i} {kind}", _record_line(f"q{i}", q)) for i, (kind, q) in enumerate(bad_questions())]
    lines.append(("good", _record_line("good-middle", GOOD)))
    lines += [(f"v{i} {kind}", _record_line(f"v{i}", v)) for i, (kind, v) in enumerate(not_text_questions())
              if not isinstance(v, bytes)]
    lines += [(f"line {kind}", raw) for kind, raw in broken_jsonl_lines()]
    lines.append(("good", _record_line("good-last", GOOD)))
    return lines


def _strict(name: str):
    raise ValueError(f"{name} is not JSON")


def _check_output_line(label: str, line: str) -> str | None:
    """A line of ``ask --jsonl`` output: strict JSON (no NaN, issue 10), an answer or a clear error."""
    try:
        out = json.loads(line, parse_constant=_strict)
    except ValueError as exc:
        return f"{label}: output is not JSON ({exc}): {line[:120]!r}"
    if not isinstance(out, dict):
        return f"{label}: output is not an object"
    if "error" in out:
        return None if clear_chinese_error(out["error"]) else f"{label}: unclear error {out['error'][:120]!r}"
    if not (isinstance(out.get("answer"), str) and out["answer"].strip()):
        return f"{label}: neither an answer nor an error: {line[:120]!r}"
    return None


def _out_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """JSON Lines output split as a JSONL reader does: at "\\n" only (a JSON string may hold a raw
    U+2028 or U+0085, which str.splitlines would split at)."""
    return [line for line in proc.stdout.decode("utf-8").split("\n") if line.strip()]


def _check_batch(label: str, cases: list[tuple[str, bytes]], proc: subprocess.CompletedProcess) -> list[str]:
    stderr = proc.stderr.decode("utf-8", "replace")
    failures = [f"{label}: traceback on stderr: {stderr[-600:]}"] if "Traceback" in stderr else []
    out_lines = _out_lines(proc)
    if len(out_lines) != len(cases):
        failures.append(f"{label}: {len(cases)} lines in, {len(out_lines)} out (exit {proc.returncode}); "
                        f"stderr: {stderr[-400:]}")
        return failures
    failures += [why for (kind, _), line in zip(cases, out_lines) if (why := _check_output_line(kind, line))]
    return failures


def test_cli_jsonl_batch_answers_every_line(corpus_assistant, tmp_path):
    cases = _jsonl_cases()
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(raw for _, raw in cases) + b"\n\n   \n")  # blank lines are no input lines
    proc = _cli(corpus_assistant.settings.index_dir, "ask", "--no-llm", "--jsonl", str(path))
    failures = _check_batch("jsonl", cases, proc)
    out = [json.loads(x) for x in _out_lines(proc)] if not failures else []
    good = [o for o in out if str(o.get("id", "")).startswith("good-")]
    if out and (len(good) != 3 or not all("杨华祥" in o["answer"] for o in good)):
        failures.append(f"the good questions around the bad lines were not answered: {good}")
    # issue 10's findings: a question or turns that are no text are errors, not answers (turns
    # "江口县" was asked character by character); a line that is no record is an error with id null
    must_fail = {"t1", "t2", "t3", "t4", "t5", "n1", "n2", "n3", "n4"} | {f"v{i}" for i in range(11)}
    failures += [f"{o['id']}: answered, should be an error: {str(o)[:160]}" for o in out
                 if isinstance(o.get("id"), str) and o["id"] in must_fail and "error" not in o]
    n_line_errors = sum(1 for o in out if o.get("id") is None and "error" in o)
    if out and n_line_errors < 15:
        failures.append(f"only {n_line_errors} lines reported as not being records")
    _tally("cli_jsonl", len(cases), failures)
    assert proc.returncode in (0, 1) and not failures, "\n".join(failures)


def _encoded_batches() -> list[tuple[str, bytes, int]]:
    """(name, file bytes, input lines): whole files in encodings a user may save them in. A file
    without a UTF-16/32 BOM is read as UTF-8 lines split at b"\\n" (a bad line is an error line)."""
    text = "\n".join(json.dumps({"id": i, "question": q}, ensure_ascii=False) for i, q in
                     enumerate((GOOD, "<script>alert(1)</script>", "😀", "")))
    files = [("utf-8 bom", b"\xef\xbb\xbf" + text.encode("utf-8")), ("utf-16 le bom", text.encode("utf-16")),
             ("utf-16 be bom", b"\xfe\xff" + text.encode("utf-16-be")), ("utf-32 bom", text.encode("utf-32")),
             ("gbk", text.encode("gbk", "replace")), ("utf-16 without bom", text.encode("utf-16-le")),
             ("odd utf-16", b"\xff\xfe" + text.encode("utf-16-le")[:-1]),
             ("crlf", text.replace("\n", "\r\n").encode("utf-8")), ("cr only", text.replace("\n", "\r").encode("utf-8")),
             ("binary", bytes(range(256)) * 4)]
    wide = {"utf-16 le bom": 4, "utf-16 be bom": 4, "utf-32 bom": 4, "odd utf-16": 1}
    return [(name, data, wide.get(name, sum(1 for seg in data.split(b"\n") if seg.strip()))) for name, data in files]


def test_cli_jsonl_reads_any_encoding(corpus_assistant, tmp_path):
    """A whole file in another encoding (one process each): a BOM'd UTF-16/32 file is read, any
    other file gives one output line per input line, the bad ones as error objects."""
    failures: list[str] = []
    tried = 0
    for name, data, n_lines in _encoded_batches():
        tried += 1
        path = tmp_path / f"{name.replace(' ', '_')}.jsonl"
        path.write_bytes(data)
        proc = _cli(corpus_assistant.settings.index_dir, "ask", "--no-llm", "--jsonl", str(path))
        stderr = proc.stderr.decode("utf-8", "replace")
        lines = _out_lines(proc)
        if "Traceback" in stderr or len(lines) != n_lines:
            failures.append(f"{name}: {n_lines} lines expected, {len(lines)} out; stderr {stderr[-300:]!r}")
            continue
        failures += [f"{name}: {why}" for line in lines if (why := _check_output_line(name, line))]
        readable = name in ("utf-8 bom", "utf-16 le bom", "utf-16 be bom", "utf-32 bom", "crlf")
        if readable and "杨华祥" not in json.loads(lines[0]).get("answer", ""):
            failures.append(f"{name}: the first (good) line was not answered: {lines[0][:200]}")
    _tally("cli_jsonl_files", tried, failures)
    assert not failures, "\n".join(failures)


def test_cli_ask_argument_and_odd_jsonl_paths(corpus_assistant, tmp_path):
    """``ask "…"`` with bad text as the argument (bytes the shell passes, not UTF-8 too), and
    ``--jsonl`` given a folder, a missing file or standard input."""
    index = corpus_assistant.settings.index_dir
    argv_cases: list[tuple[str, list[str | bytes], bytes | None]] = [
        ("empty", ["ask", ""], None), ("whitespace", ["ask", " \t\u3000 "], None), ("long", ["ask", "a" * 100_000], None),
        ("html", ["ask", "<script>alert(1)</script>江口县委书记是谁？"], None), ("emoji", ["ask", "😀🎉"], None),
        ("control", ["ask", "\x1b[31m江口\x07县"], None), ("not utf-8", [b"ask", b"\xff\xfe\xfa\xe6"], None),
        ("encoded surrogate", [b"ask", b"\xed\xa0\x80"], None), ("json", ["ask", "--json", "\x01扶贫\x7f"], None),
        ("no question", ["ask"], None), ("folder", ["ask", "--jsonl", str(tmp_path)], None),
        ("mistyped index", ["ask", "--index", str(tmp_path / "no-such-index"), GOOD], None),
        ("missing", ["ask", "--jsonl", str(tmp_path / "nope.jsonl")], None),
        ("stdin", ["ask", "--jsonl", "-"], b"\xff\xfa\n{\n" + _record_line("s", "\ud800江口县") + b"\n[[[\n"),
    ]
    failures = []
    for name, args, stdin in argv_cases:
        proc = _cli(index, *args, "--no-llm", stdin=stdin)
        out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        if "Traceback" in err or "Traceback" in out:
            failures.append(f"{name}: traceback: {err[-400:]}")
        elif proc.returncode == 0 and name != "stdin":
            if not out.strip():
                failures.append(f"{name}: exit 0 with no answer")
        elif name == "stdin":
            lines = _out_lines(proc)
            if len(lines) != 4 or any(_check_output_line(name, x) for x in lines):
                failures.append(f"stdin: 4 lines in, {lines!r} out")
        elif not clear_chinese_error(err.strip()):
            failures.append(f"{name}: exit {proc.returncode}, unclear message {err[-200:]!r}")
    if (tmp_path / "no-such-index").exists():
        failures.append("a mistyped --index made a new index instead of saying it is not there")
    _tally("cli_ask", len(argv_cases), failures)
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------------------------- web API
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web(corpus_assistant, tmp_path_factory):
    """The real app over the corpus index, on loopback; a gradio_client for it."""
    from gradio_client import Client

    from assistant.ui import build_app, serve

    root = tmp_path_factory.mktemp("web-abuse")
    settings = corpus_assistant.settings.replace(host="127.0.0.1", port=_free_port(), root_path="",
                                                 admin_password="", feedback_file=root / "feedback.jsonl")
    demo = build_app(corpus_assistant, settings)
    serve(demo, settings, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{settings.port}/"
    yield {"url": url, "client": Client(url, verbose=False)}
    demo.close()


def _web_sample() -> list[tuple[str, str]]:
    """The web API gets every other bad question (each is a round trip through the queue)."""
    return bad_questions()[::2]


def _chat_failure(outputs: list) -> str | None:
    history, status = outputs[0], outputs[4]
    if isinstance(status, str) and "notice" in status:
        return None if clear_chinese_error(re.sub("<[^>]+>", "", status)) else f"unclear error {status[:200]!r}"
    if not history or history[-1]["role"] != "assistant":
        return f"no answer and no error: {str(outputs)[:200]}"
    return None


def _html_failure(*outputs) -> str | None:
    html = " ".join(o for o in outputs if isinstance(o, str))
    if any(m in html for m in CRASH_MARKS):
        return f"crash shown: {html[:300]!r}"
    if "notice error" in html and not clear_chinese_error(re.sub("<[^>]+>", "", html)):
        return f"unclear error {html[:200]!r}"
    return None


def test_web_api_chat_search_outline_and_glossary(web):
    """Every other bad question to 问答 over HTTP, a third of those also to 检索, 备课 and 术语."""
    import httpx

    failures = []
    calls = 0
    with httpx.Client(base_url=web["url"], timeout=120) as http:
        for i, (kind, q) in enumerate(_web_sample()):
            try:
                why = _chat_failure(gradio_call(http, "respond", q, None))
                calls += 1
                if why is None and i % 3 == 0:
                    why = _html_failure(*gradio_call(http, "search", q, 20, [], "", "", True)[:2])
                    why = why or _html_failure(*gradio_call(http, "generate", q)[:2])
                    why = why or _html_failure(*gradio_call(http, "render", q))
                    calls += 3
            except Exception as exc:  # noqa: BLE001 - an error event or a broken connection is a crash here
                why = f"{type(exc).__name__}: {str(exc)[:200]}"
            if why:
                failures.append(f"{kind} {_show(q)}: {why}")
    _tally("web_api", calls, failures)
    assert not failures, "\n".join(failures)


def test_web_api_values_that_are_no_text_then_gradio_client(web):
    """A question that is a number, list, object, null, deeply nested, lone surrogates or 100k
    characters: a normal answer or a Chinese message, never an error event; afterwards the app
    still answers (through gradio_client, as a Python caller would)."""
    import httpx

    nested: object = "江口县"
    for _ in range(200):
        nested = [nested]
    payloads = [42, 3.5, True, None, [], ["江口县"], {"question": "江口县"}, nested, "\ud800" * 3, "x" * 100_000]
    failures = []
    with httpx.Client(base_url=web["url"], timeout=120) as http:
        for value in payloads:
            try:
                why = _chat_failure(gradio_call(http, "respond", value, None))
            except Exception as exc:  # noqa: BLE001
                why = f"{type(exc).__name__}: {str(exc)[:200]}"
            if why:
                failures.append(f"{_show(value)}: {why}")
    history = web["client"].predict(GOOD, api_name="/respond")[0]
    if "杨华祥" not in json.dumps(history[-1]["content"], ensure_ascii=False):
        failures.append(f"the app stopped answering after the raw calls: {history[-1]}")
    _tally("web_raw_http", len(payloads), failures)
    assert not failures, "\n".join(failures)


def test_enough_bad_questions_were_tried():
    """The issue's bar: at least 200 generated bad questions (counted over the tests above)."""
    tried = sum(f["tried"] for f in FIGURES.values())
    assert tried >= 200, f"only {tried} bad questions were tried: {FIGURES}"
