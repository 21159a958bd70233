"""Non-questions: a confident classifier on the question's embedding, and a help message that
never quotes the corpus."""

from __future__ import annotations

import numpy as np

from assistant.intents import IntentModel, help_answer


def test_only_a_confident_classifier_calls_a_text_a_non_question():
    model = IntentModel(coef=(4.0, -4.0), intercept=0.0, threshold=0.9)
    assert model.is_non_question(np.array([1.0, 0.0], dtype=np.float32))
    assert not model.is_non_question(np.array([0.3, 0.2], dtype=np.float32))
    assert not model.is_non_question(np.array([0.0, 1.0], dtype=np.float32))


def test_the_help_message_gives_examples_and_no_citations():
    answer = help_answer("你好", "扶贫案例资料", ["“四拼四争”是什么？", "江口县县长是谁？"])
    assert answer.refused and answer.mode == "help" and not answer.citations
    assert "扶贫案例资料" in answer.text and "“四拼四争”是什么？" in answer.text
    assert help_answer("你好", "案例资料", []).text.count("可以这样问") == 0
