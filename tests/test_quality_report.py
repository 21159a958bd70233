"""The quality report's own parts: the hand-set comparison model and the table lines (the report
itself runs the whole evaluation: `python -m assistant quality`)."""

from __future__ import annotations

from assistant.features import FEATURES, QUESTION_FEATURES
from assistant.quality_report import _line, rules_only
from assistant.ranker import AnswerModel, Linear


def test_rules_only_keeps_the_threshold_and_drops_learned_weights():
    learned = AnswerModel(Linear.from_weights(FEATURES, {"focus_rel": 2.0}, 0.5),
                          Linear.from_weights(QUESTION_FEATURES, {"cov_doc": 3.0}, 1.0), threshold=0.4,
                          extra_ratio=0.5, follow_kinds=("effect",))
    hand = rules_only(learned)
    assert hand.threshold == 0.4 and hand.follow_kinds == ()
    assert dict(hand.sentence.weights())["focus_rel"] == 0.0 and dict(hand.sentence.weights())["cov_sent"] > 0
    assert dict(hand.question.weights()) ["top_logit"] == 1.0


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
