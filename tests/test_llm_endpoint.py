"""The LLM path over real HTTP: ``python -m assistant ask --jsonl`` against an OpenAI-compatible
server running in this process (tests/fake_openai_server.py), since no real model runs here.

The server's "model" is a deterministic script (best source, best sentence verbatim, ``[n]``), with
misbehaving variants chosen by the model name: ``inventor`` adds an invented number, ``slow``
outlives the client timeout, ``stall`` falls silent mid-stream, ``broken`` answers HTTP 500,
``garbled`` answers malformed JSON. The CLI is configured only through ASSISTANT_LLM_* environment
variables, as a user would, and reuses the training index (seed + news QA corpus, kept current
by the ``news_assistant`` fixture). The grounded run prints its graded figures (``pytest -s``).

Two scripted models replay what a real 0.5B model got past the old verification: a person given
another place's title (江口县党委书记杨坤 for 怒溪镇*委书记杨坤) and a list answer with a verbatim
sentence of an unrelated news article appended; both must be dropped (claims, relevance)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from assistant.evaluation import Report, format_table, grade, load_questions
from assistant.llm import make_llm
from assistant.settings import PROJECT_ROOT, Settings

from .conftest import CORPUS, NEWS, PUBLIC_QUESTIONS
from .fake_openai_server import INVENTED, REFUSAL, FakeOpenAIServer, Source, grounded_reply, sentences_of

INDEX = Settings.from_env().train_index_dir
API_KEY = "sk-test-endpoint"
SLOW_SECONDS = 8.0  # how long the "slow"/"stall" models stay silent ...
SLOW_TIMEOUT = 1.0  # ... and the client timeout they outlive
FOUNDATION_BAR = {"evidence@k": 0.90, "correct_concise": 0.80, "numbers_grounded": 1.0}
MIN_OOC_REFUSED = 3  # of the 4 out-of-corpus questions

CITATION_KEYS = {"n", "doc_id", "title", "text", "start", "end", "page", "score"}
RETRIEVED_KEYS = {"doc_id", "text", "score"}
RECORD_KEYS = {"id", "answer", "refused", "mode", "citations", "retrieved"}
_MARKER = re.compile(r"\[(\d+)\]")

# a few questions for the failure modes: facts, a number, an out-of-corpus one and a follow-up
FAILURE_IDS = ("p02", "p05", "p37", "p42")
FAILURE_NOTES = {"slow": "超时", "stall": "超时", "broken": "服务出错", "garbled": "回复格式异常"}


@dataclass
class Run:
    rows: list[dict]
    returncode: int
    stderr: str
    seconds: float


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(slow_seconds=SLOW_SECONDS) as s:
        yield s


@pytest.fixture(scope="module")
def documents(news_assistant):
    """Every indexed document by id (the fixture also brings the training index up to date)."""
    return news_assistant.store.documents


@pytest.fixture(scope="module")
def public_questions():
    return load_questions(PUBLIC_QUESTIONS)


def ask_cli(server: FakeOpenAIServer, model: str, questions: list[dict] | None = None,
            timeout: float = 20.0) -> Run:
    """``ask --jsonl`` in a subprocess, the LLM configured only through the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_LLM_")}
    env.update(
        ASSISTANT_INDEX_DIR=str(INDEX),
        ASSISTANT_CORPUS=os.pathsep.join([str(CORPUS), str(NEWS)]),
        ASSISTANT_LLM_BASE_URL=server.base_url,
        ASSISTANT_LLM_MODEL=model,
        ASSISTANT_LLM_API_KEY=API_KEY,
        ASSISTANT_LLM_TIMEOUT=str(timeout),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    if questions is None:
        args, stdin = [str(PUBLIC_QUESTIONS)], None
    else:
        args, stdin = ["-"], "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "assistant", "ask", "--jsonl", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=900)
    seconds = time.perf_counter() - t0
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return Run(rows, proc.returncode, proc.stderr, seconds)


def check_run(run: Run, questions: list[dict], documents: dict) -> None:
    """Exit code, clean stderr, one line per question in order, the JSONL contract, verbatim quotes."""
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert [r.get("id") for r in run.rows] == [q["id"] for q in questions]
    for row in run.rows:
        assert RECORD_KEYS <= set(row), row
        assert "error" not in row, row
        assert isinstance(row["answer"], str) and row["answer"].strip(), row
        assert row["mode"] in ("llm", "extractive", "help")  # help: a request that is not a question
        if row["mode"] == "help":
            assert row["refused"] and not row["citations"], row
        ns = [c["n"] for c in row["citations"]]
        assert ns == list(range(1, len(ns) + 1)), (row["id"], ns)
        assert {int(n) for n in _MARKER.findall(row["answer"])} <= set(ns), (row["id"], row["answer"], ns)
        if not row["refused"]:
            assert row["citations"], (row["id"], row["answer"])
        for c in row["citations"]:
            assert set(c) == CITATION_KEYS, c
            doc = documents[c["doc_id"]]
            assert doc.text[c["start"] : c["end"]] == c["text"], (row["id"], c)
        assert 1 <= len(row["retrieved"]) <= 10 or (row["mode"] == "help" and not row["retrieved"]), row
        for r in row["retrieved"]:
            assert RETRIEVED_KEYS <= set(r), r
            doc = documents[r["doc_id"]]
            assert doc.text[r["start"] : r["end"]] == r["text"], (row["id"], r)


def _body(text: str) -> str:
    return _MARKER.sub("", text).strip()


def _llm_requests(server: FakeOpenAIServer, model: str, kind: str) -> list:
    return [r for r in server.requests if r.model == model and r.kind == kind]


# ---------------------------------------------------------------------------- the server itself (fast)
def _post(base_url: str, body: dict) -> tuple[int, str, str]:
    req = urllib.request.Request(base_url + "/chat/completions", data=json.dumps(body).encode("utf-8"),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8")


def test_fake_server_speaks_the_openai_wire_format():
    """What the scripted model answers, in the JSON and SSE shapes the openai SDK parses."""
    from assistant.llm import ANSWER_PROMPT, CONDENSE_PROMPT

    sources = ('<source id="1" title="甲">\n梵净山下风景很好。\n</source>\n\n'
               '<source id="2" title="乙">\n江口县有80个贫困村。江口县县长杨云到省*府作发言；\n</source>')

    def messages(prompt, **inputs) -> list[dict]:
        roles = {"system": "system", "human": "user"}
        return [{"role": roles[m.type], "content": m.content} for m in prompt.format_messages(**inputs)]

    answer = messages(ANSWER_PROMPT, domain="扶贫案例资料", sources=sources, question="江口县县长是谁？")
    off_topic = messages(ANSWER_PROMPT, domain="扶贫案例资料", sources=sources, question="遵义会议是哪一年召开的？")
    condense = messages(CONDENSE_PROMPT, history="用户：江口县委书记是谁？\n助手：杨华祥", question="他讲了什么专题？")
    with FakeOpenAIServer(slow_seconds=0.1) as server:
        with urllib.request.urlopen(server.base_url + "/models", timeout=10) as resp:
            assert "grounded" in [m["id"] for m in json.load(resp)["data"]]

        status, ctype, text = _post(server.base_url, {"model": "grounded", "messages": answer})
        reply = json.loads(text)
        assert status == 200 and ctype.startswith("application/json")
        assert reply["object"] == "chat.completion" and reply["choices"][0]["finish_reason"] == "stop"
        assert reply["choices"][0]["message"]["content"] == "江口县县长杨云到省*府作发言。[2]"

        status, ctype, text = _post(server.base_url, {"model": "inventor", "messages": answer, "stream": True})
        events = [line[len("data: "):] for line in text.split("\n\n") if line.startswith("data: ")]
        assert status == 200 and ctype.startswith("text/event-stream") and events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        assert all(c["object"] == "chat.completion.chunk" for c in chunks)
        content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert content == "江口县县长杨云到省*府作发言。[2]" + INVENTED and len(chunks) > 3

        assert json.loads(_post(server.base_url, {"model": "grounded", "messages": off_topic})[2])[
            "choices"][0]["message"]["content"] == REFUSAL + "。"
        assert json.loads(_post(server.base_url, {"model": "grounded", "messages": condense})[2])[
            "choices"][0]["message"]["content"] == "他讲了什么专题？"
        assert _post(server.base_url, {"model": "broken", "messages": answer})[0] == 500
        with pytest.raises(ValueError):
            json.loads(_post(server.base_url, {"model": "garbled", "messages": answer})[2])
        assert [(r.model, r.kind, r.stream) for r in server.requests[1:]] == [
            ("grounded", "answer", False), ("inventor", "answer", True), ("grounded", "answer", False),
            ("grounded", "condense", False), ("broken", "answer", False), ("garbled", "answer", False)]


# ---------------------------------------------------------------------------- grounded
@pytest.mark.slow
def test_grounded_model_through_the_cli_meets_the_foundation_bar(server, documents, public_questions):
    server.clear()
    run = ask_cli(server, "grounded")
    check_run(run, public_questions, documents)

    # the server really answered: one streamed answer request per turn, the follow-up condensed once
    answers = _llm_requests(server, "grounded", "answer")
    condense = _llm_requests(server, "grounded", "condense")
    n_turns = sum(len(q.get("turns") or [q]) for q in public_questions)
    refused = sum(1 for r in run.rows if r["refused"])  # a refusal never asks the model
    assert refused >= 1 and len(answers) == n_turns - refused and all(r.stream for r in answers)
    assert len(condense) == sum(len(q.get("turns") or [q]) - 1 for q in public_questions) >= 1
    assert all(not r.stream for r in condense)
    assert all(r.auth == f"Bearer {API_KEY}" for r in answers + condense)  # ASSISTANT_LLM_API_KEY is sent

    # what the CLI printed in llm mode is the server's reply (renumbered), not the extractive answer
    replies = {r.question: r.reply for r in answers}
    llm_rows = [r for r in run.rows if r["mode"] == "llm"]
    answered = [r for r in run.rows if not r["refused"]]
    for row in llm_rows:
        assert _body(row["answer"]) == _body(replies[row["resolved_question"]]), row["id"]
        assert row["notes"] == [] or all("大模型" not in n for n in row["notes"]), row
    assert len(llm_rows) >= 0.5 * len(answered), (len(llm_rows), len(answered))

    by_id = {r["id"]: r for r in run.rows}
    report = Report([grade(q, by_id[q["id"]], k=3) for q in public_questions])
    figures = report.figures()
    print("\n" + format_table(report, title=f"{PUBLIC_QUESTIONS.name} — LLM path, model 'grounded' over HTTP"))
    print(f"figures: {json.dumps({k: v for k, v in figures.items() if not k.endswith('_ms')})}")
    print(f"llm-mode answers: {len(llm_rows)}/{len(run.rows)}; answer requests {len(answers)}, condense "
          f"{len(condense)}; CLI run {run.seconds:.1f}s")
    failed = [(g.id, g.answer[:80]) for g in report.graded if g.correct is False]
    for name, floor in FOUNDATION_BAR.items():
        assert figures[name] >= floor, (name, figures[name], failed)
    ooc = [g for g in report.graded if g.expect_refusal]
    assert sum(g.refused for g in ooc) >= MIN_OOC_REFUSED, [(g.id, g.answer[:80]) for g in ooc]


# ---------------------------------------------------------------------------- invented numbers
@pytest.mark.slow
def test_invented_numbers_never_reach_the_output(server, documents, public_questions):
    server.clear()
    run = ask_cli(server, "inventor")
    check_run(run, public_questions, documents)
    sent = _llm_requests(server, "inventor", "answer")
    assert sent and all(INVENTED in r.reply for r in sent)  # the lie was really offered every time
    for row in run.rows:
        assert "999" not in row["answer"] and "GDP为" not in row["answer"], (row["id"], row["answer"])
        if not row["refused"]:
            assert _MARKER.search(row["answer"]) and row["citations"], row
    # the invented sentence was cut out of otherwise verified replies (not just a blanket fallback)
    trimmed = [r for r in run.rows if r["mode"] == "llm" and any("已删去 1 句" in n for n in r["notes"])]
    assert len(trimmed) >= 0.5 * len(run.rows), [(r["id"], r["mode"], r["notes"]) for r in run.rows]


# ---------------------------------------------------------------------------- service failures
@pytest.mark.slow
@pytest.mark.parametrize("model", list(FAILURE_NOTES))
def test_service_failures_fall_back_to_the_extractive_answer(server, documents, news_assistant,
                                                             public_questions, model):
    from assistant.batch import answer_record

    questions = [q for q in public_questions if q["id"] in FAILURE_IDS]
    assert len(questions) == len(FAILURE_IDS)
    server.clear()
    run = ask_cli(server, model, questions, timeout=SLOW_TIMEOUT if model in ("slow", "stall") else 20.0)
    check_run(run, questions, documents)
    assert _llm_requests(server, model, "answer"), "the server was never asked"
    reason = FAILURE_NOTES[model]
    for q, row in zip(questions, run.rows):
        assert row["mode"] == "extractive", row
        plain = answer_record(news_assistant, q)  # the same question without an LLM
        note = f"大模型服务不可用（{reason}）"
        # a refusal never asks the model, so only answered questions carry the service note
        assert any(n.startswith(note) for n in row["notes"]) != plain["refused"], (row["id"], row["notes"])
        assert plain["mode"] == "extractive"
        assert (row["answer"], row["refused"], row["citations"]) == (
            plain["answer"], plain["refused"], plain["citations"]), row["id"]
    if model in ("slow", "stall"):  # each call was cut off at the client timeout, not waited out
        times = [r.t for r in server.requests if r.model == model]
        gaps = [y - x for x, y in zip(times, times[1:])]
        assert len(times) >= len(questions) and max(gaps) < SLOW_SECONDS - 2, gaps


# ---------------------------------------------------------------------------- non-streaming, in-process
@pytest.mark.slow
def test_improve_over_http_in_process(server, news_assistant, documents):
    """LLMAnswerer.improve (non-streaming ``invoke``) through make_llm and the same server."""
    settings = Settings.from_env(llm_base_url=server.base_url, llm_model="grounded", llm_timeout=20.0)
    llm = make_llm(settings)
    assert llm is not None
    server.clear()
    for question, key in [("江口县县长是谁？", "杨云"), ("梵瑞社区有多少幢高楼？", "47幢")]:
        hits = news_assistant.search(question)
        extractive = news_assistant.ask(question, use_llm=False)
        answer = llm.improve(question, hits, extractive)
        assert answer.mode == "llm" and key in answer.text, answer
        for c in answer.citations:
            assert documents[c.doc_id].text[c.start : c.end] == c.text
    answers = _llm_requests(server, "grounded", "answer")
    assert len(answers) == 2 and not any(r.stream for r in answers)
    # a question the sources do not answer: the extractive refusal stands and the model is not asked
    question = "遵义会议是哪一年召开的？"
    extractive = news_assistant.ask(question, use_llm=False)
    n_requests = len(server.requests)
    answer = llm.improve(question, news_assistant.search(question), extractive)
    assert extractive.refused and answer is extractive and len(server.requests) == n_requests


# ---------------------------------------------------------------------------- what a real 0.5B model got past verification
def misattributed_title(sources: list[Source], question: str) -> str:
    """The right sentence, then the title of one place given to a person of another: the passage
    says 怒溪镇*委书记杨坤, the reply 江口县党委书记杨坤."""
    n = next(n for n, text, _title in sources if "杨坤" in text)
    return grounded_reply(sources, question) + f"杨坤是江口县党委书记[{n}]。"


def appended_distractor(sources: list[Source], question: str) -> str:
    """A list answer, then a verbatim sentence of an unrelated article among the sources."""
    reply = grounded_reply(sources, question)
    cited = int(_MARKER.findall(reply)[-1])
    title = next(t for n, _text, t in sources if n == cited)
    n, text, _title = next(s for s in sources if s[2] != title)
    return reply + f"{max(sentences_of(text), key=len).rstrip('；;，,')}[{n}]"


def _scripted(server: FakeOpenAIServer, model: str, script) -> "LLMAnswerer":  # noqa: F821
    server.script(model, script)
    llm = make_llm(Settings.from_env(llm_base_url=server.base_url, llm_model=model, llm_timeout=30.0))
    assert llm is not None
    return llm


def _dropped(caplog, status: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if f"LLM sentence dropped ({status})" in r.getMessage()]


@pytest.mark.slow
def test_a_title_given_to_the_wrong_person_never_reaches_the_user(server, news_assistant, documents, caplog):
    llm = _scripted(server, "misattributor", misattributed_title)
    server.clear()
    with caplog.at_level(logging.INFO, logger="assistant.llm"):
        answer = news_assistant.with_settings(llm=llm).ask("杨坤是谁？")
    (request,) = _llm_requests(server, "misattributor", "answer")
    assert "杨坤是江口县党委书记" in request.reply  # the wrong claim was really offered, over HTTP
    assert "江口县党委书记" not in answer.text and "杨坤" in answer.text, answer
    # the true sentence stays (as LLM prose), the wrong one is dropped, the citation is verbatim
    assert answer.mode == "llm" and "已删去 1 句无法在资料中核实的内容。" in answer.notes, answer
    for c in answer.citations:
        assert documents[c.doc_id].text[c.start : c.end] == c.text
    (why,) = _dropped(caplog, "wrong_claim")
    assert "杨坤是江口县党委书记" in why and "江口" in why.split("没有：")[1], why


@pytest.mark.slow
def test_a_distractor_sentence_appended_to_a_list_answer_never_reaches_the_user(server, news_assistant, caplog):
    question = "八大攻坚战包括哪些？"
    llm = _scripted(server, "appender", appended_distractor)
    plain = news_assistant.ask(question, use_llm=False)
    server.clear()
    with caplog.at_level(logging.INFO, logger="assistant.llm"):
        answer = news_assistant.with_settings(llm=llm).ask(question)
    (request,) = _llm_requests(server, "appender", "answer")
    distractor = _MARKER.split(request.reply)[-3]  # the appended sentence, verbatim from a news article
    assert distractor and distractor not in plain.text
    assert any(distractor in d.text and d.doc_id.startswith("news-") for d in news_assistant.store.documents.values())
    assert distractor not in answer.text, answer
    assert "八大攻坚战" in answer.text and not answer.refused
    if answer.mode == "llm":  # the list sentence kept, the distractor dropped …
        assert "已删去 1 句无法在资料中核实的内容。" in answer.notes, answer
    else:  # … or, when it outweighs the rest, the extractive answer instead
        assert answer.text == plain.text and "未通过来源核对" in answer.notes[0], answer
    (why,) = _dropped(caplog, "irrelevant")
    assert distractor in why
    # verification against the passages alone lets the verbatim sentence through: relevance catches it
    hits = news_assistant.search(question)
    alone = llm.improve(question, hits, plain)
    assert alone.mode == "llm" and distractor in alone.text, alone


@pytest.mark.slow
def test_a_question_about_the_document_is_not_handed_to_the_llm(server, news_assistant):
    """Its author or its opening is quoted exactly; the passages retrieved for “这篇文章” are not that
    document, so a model summing them up would sum up others."""
    llm = _scripted(server, "summariser", grounded_reply)
    server.clear()
    for question in ("这篇文章主要讲了什么？", "这篇文章的作者是谁？"):
        plain = news_assistant.ask(question, use_llm=False)
        answer = news_assistant.with_settings(llm=llm).ask(question)
        assert answer.mode == plain.mode != "llm" and answer.text == plain.text, answer
    assert _llm_requests(server, "summariser", "answer") == []
    assert "杨坤" in news_assistant.with_settings(llm=llm).ask("杨坤是谁？").text
    assert _llm_requests(server, "summariser", "answer")  # other questions still reach it
