"""The quality report's own parts: the hand-set comparison model and the table lines (the report
itself runs the whole evaluation: `python -m assistant quality`)."""

from __future__ import annotations

from assistant.features import FEATURES, QUESTION_FEATURES
from assistant.evaluation import Report, grade
from assistant.quality_report import _line, refusal_lines, rules_only
from assistant.ranker import AnswerModel, Linear, QuestionModel, SentenceModel


def test_rules_only_keeps_the_threshold_and_drops_learned_weights():
    learned = AnswerModel(SentenceModel(Linear.from_weights(FEATURES, {"focus_rel": 2.0}, 0.5)),
                          QuestionModel(Linear.from_weights(QUESTION_FEATURES, {"cov_doc": 3.0}, 1.0)), threshold=0.4,
                          extra_ratio=0.5, follow_kinds=("effect",))
    hand = rules_only(learned)
    assert hand.threshold == 0.4 and hand.follow_kinds == ()
    assert dict(hand.sentence.linear.weights())["focus_rel"] == 0.0
    assert dict(hand.sentence.linear.weights())["cov_sent"] > 0
    assert dict(hand.question.linear.weights())["top_logit"] == 1.0
    assert hand.sentence.trees is None and hand.question.trees is None


def test_a_table_line_shows_dashes_for_missing_figures():
    figures = {"n": 3, "evidence@k": 1.0, "mrr": None, "correct_concise": 0.5, "refused_ooc": None,
               "refused_in_corpus": 0.0, "citations_support": None, "numbers_grounded": 1.0, "p50_ms": 12.3}
    assert _line("x", figures) == "| x | 3 | 100% | — | 50% | — | 0% | — | 100% | 12 |"


def test_compiled_documents_hold_every_article_in_order(tmp_path):
    import json

    from assistant.quality_report import compile_documents

    source = tmp_path / "news.jsonl"
    source.write_text("".join(json.dumps({"id": f"n{i}", "text": f"第{i}篇"}, ensure_ascii=False) + "\n"
                              for i in range(5)), encoding="utf-8")
    out = compile_documents(source, tmp_path / "long.jsonl", 2)
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["text"] for d in docs] == ["第0篇\n\n第1篇", "第2篇\n\n第3篇", "第4篇"]
    assert len({d["id"] for d in docs}) == 3


def test_refusals_are_split_into_hard_negatives_and_the_rest_and_weighed_at_the_public_mix():
    def refusal(refused: bool, hard: bool):
        q = {"id": "r", "type": "out_of_scope", "expect_refusal": True, "hard_negative": hard}
        return grade(q, {"answer": "", "refused": refused, "citations": [], "retrieved": []})

    # hard negatives: 1 of 4 refused; the rest: 2 of 2
    graded = [refusal(True, True)] + [refusal(False, True)] * 3 + [refusal(True, False)] * 2
    assert [g.hard_negative for g in graded] == [True] * 4 + [False] * 2
    public = Report([refusal(True, True)] * 2 + [refusal(True, False)] * 3)  # 2 of its 5 refusals are hard
    line = refusal_lines({"news": Report(graded)}, public)[-1]
    assert line == "| news | 25% of 4 | 100% of 2 | 50% of 6 | 70% |"  # 0.4 × 25% + 0.6 × 100%
    assert refusal_lines({"news": Report(graded)}, None)[-1].endswith("| — |")
    assert refusal_lines({"news": Report(graded)}, Report([]))[-1].endswith("| — |")  # a public set without refusals
    # an answerable question is never a hard negative, whatever its record says
    assert not grade({"id": "a", "answer_keys": [["x"]], "hard_negative": True},
                     {"answer": "x", "refused": False, "citations": [], "retrieved": []}).hard_negative
