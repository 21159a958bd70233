"""The CLI contract other tools rely on: ``ask --jsonl`` output shape, ``search --json``, errors."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

from assistant.batch import answer_record
from assistant.settings import PROJECT_ROOT

from .conftest import CORPUS

pytestmark = pytest.mark.slow


def _run(args: list[str], index_dir, stdin: str | None = None,
         extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASSISTANT_INDEX_DIR=str(index_dir), ASSISTANT_CORPUS=str(CORPUS), HF_HUB_OFFLINE="1",
               **(extra_env or {}))
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=600)


def test_answer_record_shape(corpus_assistant):
    out = answer_record(corpus_assistant, {"id": "x1", "question": "江口县县长是谁？"})
    assert set(out) >= {"id", "answer", "refused", "citations", "retrieved", "mode"}
    assert out["id"] == "x1" and out["refused"] is False and out["mode"] == "extractive"
    for c in out["citations"]:
        assert set(c) == {"n", "doc_id", "title", "text", "start", "end", "page", "score"}
        assert c["page"] is None  # a .txt has no pages (scans and PDFs give 1, 2, …)
        doc = corpus_assistant.document(c["doc_id"])
        assert doc.text[c["start"] : c["end"]] == c["text"]
    assert 1 <= len(out["retrieved"]) <= 10
    for r in out["retrieved"]:
        assert {"doc_id", "text", "score"} <= set(r)
        doc = corpus_assistant.document(r["doc_id"])
        assert r["text"] in doc.text
    # passages in the order the answer model ranks them: the one quoted first leads
    first = out["citations"][0]
    assert out["retrieved"][0]["doc_id"] == first["doc_id"] and first["text"] in out["retrieved"][0]["text"]


def test_turns_are_asked_as_one_conversation(corpus_assistant):
    out = answer_record(corpus_assistant, {"id": "t", "turns": ["江口县委书记是谁？", "他在省委党校讲了什么专题？"]})
    assert "提升脱贫攻坚群众认可度" in out["answer"]


def test_bad_records_do_not_stop_the_batch(corpus_assistant):
    out = answer_record(corpus_assistant, {"id": "e", "question": ""})
    assert out["error"].startswith("问题为空") and out["refused"] is True


def test_cli_end_to_end(tmp_path):
    index_dir = tmp_path / "index"
    built = _run(["build"], index_dir)
    assert built.returncode == 0, built.stderr
    assert "索引完成" in built.stdout

    lines = "\n".join([
        json.dumps({"id": "a", "question": "江口县的贫困发生率曾经是多少？"}, ensure_ascii=False),
        "not json",
        json.dumps({"id": "b", "turns": ["“四个下沉”是什么？", "那“四个结合”呢？"]}, ensure_ascii=False),
    ])
    asked = _run(["ask", "--jsonl", "-"], index_dir, stdin=lines)
    rows = [json.loads(line) for line in asked.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["id"] == "a" and "19.85%" in rows[0]["answer"]
    assert rows[1]["id"] is None and "不是合法的 JSON" in rows[1]["error"]
    assert "村民自治与民主法治" in rows[2]["answer"]
    assert asked.returncode == 1  # a bad line is reported in the exit code too

    searched = _run(["search", "四拼四争", "-k", "3", "--json"], index_dir)
    hits = json.loads(searched.stdout)
    assert len(hits) == 3 and any("四拼四争" in h["text"] for h in hits)

    empty = _run(["ask", ""], index_dir)
    assert empty.returncode == 2 and "问题为空" in empty.stderr

    # eval: several files in one run, every held-out set the settings list, or files and those together
    sets = []
    for name, q, key in (("one", "江口县县长是谁？", "杨云"), ("two", "江口县的贫困发生率曾经是多少？", "19.85%")):
        sets.append(tmp_path / f"{name}.jsonl")
        sets[-1].write_text(json.dumps({"id": name, "question": q, "answer_keys": [[key]], "evidence": [],
                                        "source_doc": "seed"}, ensure_ascii=False) + "\n", encoding="utf-8")
    for args, env in ((["eval", *map(str, sets), "--json"], {}),
                      (["eval", "--heldout", "--json"], {"ASSISTANT_HELDOUT_QUESTIONS": ":".join(map(str, sets))}),
                      (["eval", str(sets[0]), "--heldout", "--json"], {"ASSISTANT_HELDOUT_QUESTIONS": str(sets[1])})):
        evaluated = _run(args, index_dir, extra_env=env)
        assert evaluated.returncode == 0, evaluated.stderr
        reports = [json.loads(line) for line in evaluated.stdout.splitlines() if line.startswith("{")]
        assert [r["file"] for r in reports] == list(map(str, sets))
        assert all(r["all"]["correct"] == 1.0 for r in reports)


def test_damaged_index_gives_a_clear_cli_error(tmp_path):
    """A dangling CURRENT with no record of the sources is not rebuilt from the default corpus
    behind the user's back: the message says what is damaged and the one command that rebuilds it."""
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / "CURRENT").write_text("store-missing", encoding="utf-8")
    res = _run(["search", "四拼四争", "--json"], index_dir)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "索引已损坏" in res.stderr and "store-missing" in res.stderr
    command = res.stderr.split("请运行：", 1)[1].strip()
    assert command.startswith("python -m assistant --index") and "build --rebuild --corpus" in command
    rebuilt = _run(shlex.split(command)[3:], index_dir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    res = _run(["search", "四拼四争", "--json"], index_dir)
    assert res.returncode == 0 and json.loads(res.stdout)


def test_a_copy_of_a_training_set_is_cross_validated_as_that_set(tmp_path):
    from assistant.cli import training_stem

    train = tmp_path / "seed-public.jsonl"
    train.write_text('{"id": "p01"}\n', encoding="utf-8")
    copy, other = tmp_path / "questions.jsonl", tmp_path / "mine.jsonl"
    copy.write_bytes(train.read_bytes())
    other.write_text('{"id": "x"}\n', encoding="utf-8")
    assert training_stem((train,), copy) == "seed-public"
    assert training_stem((train,), other) == "mine"
