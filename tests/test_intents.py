"""Non-questions: a confident classifier on the question's embedding, and a help message that
never quotes the corpus."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.evaluation import load_questions, question_turns
from assistant.intents import IntentModel, char_ngrams, help_answer
from assistant.normalize import normalize
from assistant.ranker import AnswerModel
from assistant.settings import defaults
from assistant.train import intent_lines


def test_only_a_confident_classifier_calls_a_text_a_non_question():
    model = IntentModel(coef=(4.0, -4.0), intercept=0.0, threshold=0.9)
    assert model.is_non_question(np.array([1.0, 0.0], dtype=np.float32))
    assert not model.is_non_question(np.array([0.3, 0.2], dtype=np.float32))
    assert not model.is_non_question(np.array([0.0, 1.0], dtype=np.float32))


def test_the_ngram_part_scores_as_scikit_learn_trained_it():
    """The classifier is fitted with scikit-learn's TfidfVectorizer over char_ngrams and run without it:
    the run-time logit must be the fitted one."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = ["你好", "你好呀", "帮我写一首诗", "给我写一首歌", "江口县有多少贫困村？", "电商", "电商 扶贫", "四拼四争是什么？"]
    y = [1, 1, 1, 1, 0, 0, 0, 0]
    vectorizer = TfidfVectorizer(analyzer=char_ngrams, min_df=1, sublinear_tf=True)
    clf = LogisticRegression(C=10.0).fit(vectorizer.fit_transform(texts), y)
    model = IntentModel((), float(clf.intercept_[0]), 0.5, tuple(vectorizer.get_feature_names_out()),
                        tuple(vectorizer.idf_), tuple(clf.coef_[0]))
    for text in texts + ["写一首关于电商的诗吧", "未见过的字", ""]:
        expected = clf.predict_proba(vectorizer.transform([text]))[0, 1]
        assert model.probability(np.zeros(0, dtype=np.float32), text) == pytest.approx(expected, abs=1e-9)
    assert char_ngrams("写 诗") == ["写", "诗", "写诗"]


def test_the_looser_threshold_is_fitted_below_the_strict_one():
    """The help message for a text nothing answers uses a threshold at most the strict one."""
    model = AnswerModel.load(defaults().answer_model)
    assert model.non_question is not None
    assert model.non_question.refused_threshold <= model.non_question.threshold
    assert IntentModel(coef=(1.0,), intercept=0.0, threshold=0.9).refused_threshold > 1.0  # older files: never


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
        return [t for t, v in zip(texts, vectors) if intent.is_non_question(v, normalize(t))]

    non_questions = intent_lines(settings.heldout_non_questions)
    assert len(flagged(non_questions)) >= 0.6 * len(non_questions)
    assert flagged(intent_lines(settings.heldout_document_requests)) == []
    questions = [question_turns(q)[-1] for path in settings.heldout_questions
                 for q in load_questions(path) if q.get("type") != "non_question"]
    assert len(questions) > 1000 and flagged(questions) == []
