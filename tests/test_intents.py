"""Non-questions: a confident classifier on the question's embedding, and a help message that
never quotes the corpus."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.evaluation import load_questions
from assistant.intents import IntentModel, help_answer
from assistant.normalize import normalize
from assistant.ranker import AnswerModel
from assistant.settings import defaults
from assistant.train import intent_lines


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


@pytest.mark.slow
def test_the_committed_classifier_catches_held_out_non_questions_and_reads_every_held_out_question_as_one(embedder):
    """Scored on texts it was never trained on: the held-out non-questions (requests to write, translate,
    chat…), the held-out requests about the documents (讲讲…、帮我总结…) and every held-out graded question."""
    settings = defaults()
    intent = AnswerModel.load(settings.answer_model).intent(embedder.dim)
    assert intent is not None

    def flagged(texts: list[str]) -> list[str]:
        vectors = embedder.embed_queries([normalize(t) for t in texts])
        return [t for t, v in zip(texts, vectors) if intent.is_non_question(v)]

    non_questions = intent_lines(settings.heldout_non_questions)
    assert len(flagged(non_questions)) >= 0.6 * len(non_questions)
    assert flagged(intent_lines(settings.heldout_document_requests)) == []
    questions = [(q.get("turns") or [q.get("question", "")])[-1] for path in settings.heldout_questions
                 for q in load_questions(path) if q.get("type") != "non_question"]
    assert len(questions) > 1000 and flagged(questions) == []
