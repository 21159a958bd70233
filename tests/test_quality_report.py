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
