"""The evaluation itself, then the quality bar on the real model with 1,677 distractor articles."""

from __future__ import annotations

import pytest

from assistant.batch import answer_record
from assistant.evaluation import evaluate, format_table, grade, load_questions, question_turns, squash

from .conftest import PUBLIC_QUESTIONS, QUESTIONS


def _result(answer: str, refused: bool = False, cited=(), retrieved=()):
    return {"answer": answer, "refused": refused, "citations": [{"text": t} for t in cited],
            "retrieved": [{"text": t} for t in retrieved]}


def test_grade_counts_key_groups_evidence_and_refusal():
    q = {"id": "q", "type": "fact", "answer_keys": [["杨云"], ["县长", "县委"]], "evidence": ["县长杨云"]}
    good = grade(q, _result("江口县县长杨云[1]", cited=["江口县县长杨云到…"], retrieved=["x", "江口县 县长,杨云"]))
    assert good.correct and good.evidence_rank == 2 and good.evidence_in_top_k and good.citations_support
    half = grade(q, _result("杨云[1]", cited=["杨云"], retrieved=["无关"]))
    assert not half.correct and half.keys_recall == 0.5 and half.evidence_rank is None
    refused = grade({"id": "r", "expect_refusal": True}, _result("资料中没有相关内容", refused=True))
    assert refused.correct is True


def test_grade_catches_invented_and_forbidden_numbers():
    q = {"id": "m", "evidence": ["名机关干部与名村干部"], "forbid_regex": r"\d+\s*名机关干部"}
    bad = grade(q, _result("派出了200名机关干部[1]", cited=["名机关干部与名村干部组成个驻村工作队"]))
    assert not bad.forbid_ok and not bad.numbers_grounded and bad.correct is False
    ok = grade(q, _result("原文未给出具体数字。名机关干部与名村干部[1]", cited=["名机关干部与名村干部组成"]))
    assert ok.forbid_ok and ok.numbers_grounded and ok.correct


def test_evidence_alternatives_and_squash():
    assert squash("干部培训全覆盖, 入户走访") == squash("干部培训全覆盖，入户走访")
    q = {"id": "a", "evidence": [["甲乙", "丙丁"]]}
    assert grade(q, _result("x", cited=["丙丁"], retrieved=["丙，丁"])).evidence_rank == 1


def test_question_turns_is_the_conversation_or_the_one_question():
    assert question_turns({"question": "江口县有多少个贫困村？"}) == ["江口县有多少个贫困村？"]
    assert question_turns({"question": "unused", "turns": ["谁提出的？", "那他后来呢？"]}) == ["谁提出的？", "那他后来呢？"]
    assert question_turns({}) == [""]


def test_question_files_parse():
    for path in sorted(QUESTIONS.glob("*.jsonl")):
        qs = load_questions(path)
        assert len(qs) >= 20, path
        assert all("question" in q or "turns" in q for q in qs)


# the quality issue's bar for the seed public set, with the news QA corpus as distractors
SEED_PUBLIC_BAR = {"evidence@k": 0.97, "correct_concise": 0.95, "refused_ooc": 1.0, "numbers_grounded": 1.0}
# held-out sets, never trained or tuned on: floors a few points under what they measured when the
# committed answer model was trained (docs/quality.md), so a regression that generalises badly fails
HELDOUT_FLOORS = {
    "seed-b.jsonl": {"evidence@k": 0.85, "correct_concise": 0.70, "refused_ooc": 0.60, "refused_in_corpus_max": 0.20},
    "news-b.jsonl": {"evidence@k": 0.90, "correct_concise": 0.80, "refused_ooc": 0.50, "refused_in_corpus_max": 0.10},
}


def _report(assistant, path):
    report = evaluate(load_questions(path), lambda q: answer_record(assistant, q), k=3)
    print("\n" + format_table(report, title=path.name))
    return report


def _wrong(report) -> list:
    return [(g.id, g.answer[:80]) for g in report.graded if g.correct is False]


@pytest.mark.slow
def test_seed_public_bar_among_the_news_distractors(news_assistant):
    report = _report(news_assistant, PUBLIC_QUESTIONS)
    figures = report.figures()
    for name, floor in SEED_PUBLIC_BAR.items():
        assert figures[name] >= floor, (name, figures[name], _wrong(report))
    assert figures["refused_in_corpus"] <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HELDOUT_FLOORS))
def test_held_out_questions_stay_above_their_floors(news_assistant, name):
    report = _report(news_assistant, QUESTIONS / name)
    figures, floors = report.figures(), HELDOUT_FLOORS[name]
    for key, floor in floors.items():
        if key.endswith("_max"):
            assert figures[key[:-4]] <= floor, (key, figures[key[:-4]], _wrong(report))
        else:
            assert figures[key] >= floor, (key, figures[key], _wrong(report))
    assert figures["numbers_grounded"] == 1.0
