"""The answer model file: scoring arithmetic, a round trip through JSON, and clear errors."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from assistant.features import FEATURES, QUESTION_FEATURES
from assistant.intents import IntentModel
from assistant.ranker import AnswerModel, Linear, ModelFileError, QuestionModel, SentenceModel
from assistant.trees import Trees


def _model(**weights: float) -> AnswerModel:
    return AnswerModel(sentence=SentenceModel(Linear.from_weights(FEATURES, weights, -1.0)),
                       question=QuestionModel(Linear.from_weights(QUESTION_FEATURES, {"top_logit": 1.0}, 0.0)),
                       threshold=0.3, extra_ratio=0.6)


def _blend(model: AnswerModel, part: str, trees: Trees, share: float) -> AnswerModel:
    """``model`` with trees in its sentence or question model."""
    return dataclasses.replace(model, **{part: dataclasses.replace(getattr(model, part), trees=trees, trees_share=share)})


def test_probability_is_the_logistic_of_the_weighted_features():
    m = _model(cov_sent=2.0, type_ok=1.0)
    assert m.probability({}) == pytest.approx(1 / (1 + math.e))
    assert m.probability({"cov_sent": 1.0, "type_ok": 1.0}) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert m.sentence.linear.weights()[0] == ("cov_sent", 2.0)
    assert m.probability({"cov_sent": -100.0}) == 0.0
    assert m.answered({"top_logit": 0.0}) == pytest.approx(0.5)
    scaled = Linear(("x",), (1.0,), (2.0,), (1.0,), 0.0)
    assert scaled.probability({"x": 3.0}) == pytest.approx(1 / (1 + math.exp(-1.0)))


def test_a_value_beyond_the_training_range_scores_as_its_edge():
    """A document ten times longer than any trained on must not push the score past what the
    longest one earned: the model does not extrapolate."""
    bounded = Linear(("doc_len_log", "x"), (7.0, 0.0), (1.0, 1.0), (0.5, 1.0), 0.0, (6.0, -1.0), (8.5, 1.0))
    edge = bounded.probability({"doc_len_log": 8.5, "x": 0.2})
    assert bounded.probability({"doc_len_log": 12.0, "x": 0.2}) == pytest.approx(edge)
    assert bounded.probability({"doc_len_log": 2.0, "x": 0.2}) == pytest.approx(bounded.probability(
        {"doc_len_log": 6.0, "x": 0.2}))
    inside = bounded.probability({"doc_len_log": 7.5, "x": 0.2})
    assert inside == pytest.approx(1 / (1 + math.exp(-(0.5 * 0.5 + 0.2))))
    unbounded = Linear(("doc_len_log", "x"), (7.0, 0.0), (1.0, 1.0), (0.5, 1.0), 0.0)  # a model without bounds
    assert unbounded.probability({"doc_len_log": 12.0, "x": 0.2}) > edge


# one stump on top_logit (left when ≤ 0.5) and one on cov_doc
_TREES = Trees(QUESTION_FEATURES, -0.5, 0.1, (
    ((QUESTION_FEATURES.index("top_logit"), 0.5, 1, 2, 0.0), (-1, 0.0, -1, -1, -2.0), (-1, 0.0, -1, -1, 3.0)),
    ((QUESTION_FEATURES.index("cov_doc"), 0.25, 1, 2, 0.0), (-1, 0.0, -1, -1, -1.0), (-1, 0.0, -1, -1, 1.0))))


def test_the_question_model_averages_the_regression_and_the_trees():
    m = _blend(_model(), "question", _TREES, 0.5)
    values = {"top_logit": 2.0, "cov_doc": 0.0}
    linear = 1 / (1 + math.exp(-2.0))
    trees = 1 / (1 + math.exp(0.5 - 0.2))
    assert m.answered(values) == pytest.approx(0.5 * linear + 0.5 * trees)
    assert _blend(m, "question", _TREES, 0.0).answered(values) == pytest.approx(linear)


# one stump on cov_sent, compared in float64 as the sentence model's histogram trees are
_SENTENCE_TREES = Trees(FEATURES, 0.2, 1.0, (
    ((FEATURES.index("cov_sent"), 0.5, 1, 2, 0.0), (-1, 0.0, -1, -1, -1.0), (-1, 0.0, -1, -1, 2.0)),), "d")


def test_the_sentence_model_averages_the_log_odds_of_the_regression_and_the_trees():
    m = _blend(_model(cov_sent=2.0), "sentence", _SENTENCE_TREES, 0.25)
    values = {"cov_sent": 1.0}
    linear, trees = 2.0 - 1.0, 0.2 + 2.0  # log-odds
    assert m.probability(values) == pytest.approx(1 / (1 + math.exp(-(0.75 * linear + 0.25 * trees))))
    assert m.probability({"cov_sent": 0.0}) == pytest.approx(1 / (1 + math.exp(-(0.75 * -1.0 + 0.25 * -0.8))))
    assert _blend(m, "sentence", _SENTENCE_TREES, 0.0).probability(values) == pytest.approx(
        1 / (1 + math.exp(-linear)))


def test_save_and_load_round_trip(tmp_path):
    intent = IntentModel((0.5, -0.5), 0.1, 0.9, ngrams=("你", "你好"), ngram_idf=(1.2, 1.7), ngram_coef=(0.3, 0.8))
    m = dataclasses.replace(_model(cov_sent=1.5), non_question=intent,
                            figures={"cross_validated": {"all": {"correct": 0.9}}})
    m = _blend(_blend(m, "question", _TREES, 0.4), "sentence", _SENTENCE_TREES, 0.5)
    n = len(FEATURES)
    bounded = dataclasses.replace(m.sentence.linear, low=(-1.0,) * n, high=(2.0,) * n)
    m = dataclasses.replace(m, sentence=dataclasses.replace(m.sentence, linear=bounded))
    m.save(tmp_path / "m.json")
    back = AnswerModel.load(tmp_path / "m.json")
    assert back == m
    assert back.probability({"cov_sent": 1.0}) == pytest.approx(m.probability({"cov_sent": 1.0}))
    assert back.intent(2) is not None and back.intent(384) is None
    assert back.intent(2).ngram_score("你好") == pytest.approx((0.3 * 1.2 + 0.8 * 1.7) / math.hypot(1.2, 1.7))


def test_a_model_for_other_features_or_format_is_refused_with_the_command_to_run(tmp_path):
    path = tmp_path / "m.json"
    data = json.loads(_model().to_json())
    data["sentence"]["linear"]["features"] = data["sentence"]["linear"]["features"][:-1]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match="assistant train"):
        AnswerModel.load(path)
    trees_for_other_features = json.loads(_blend(
        _model(), "question", dataclasses.replace(_TREES, features=QUESTION_FEATURES[:-1]), 0.5).to_json())
    broken_trees = json.loads(_blend(_model(), "question", _TREES, 0.5).to_json())
    broken_trees["question"]["trees"]["trees"][0][0] = ["x", 0.5]
    sentence_trees_for_other_features = json.loads(_blend(
        _model(), "sentence", dataclasses.replace(_SENTENCE_TREES, features=FEATURES[:-1]), 0.5).to_json())
    unknown_precision = json.loads(_blend(_model(), "sentence", _SENTENCE_TREES, 0.5).to_json())
    unknown_precision["sentence"]["trees"]["precision"] = "half"
    for data in (trees_for_other_features, broken_trees, sentence_trees_for_other_features, unknown_precision):
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(ModelFileError, match="assistant train"):
            AnswerModel.load(path)
    flat = json.loads(_model().to_json())  # the flat layout of format 4 and before, under the current number
    flat["sentence"] = flat["sentence"]["linear"]
    for broken in ("{not json", "[]", json.dumps({"format": 2}), json.dumps(flat)):
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(ModelFileError, match="assistant train"):
            AnswerModel.load(path)
    with pytest.raises(ModelFileError):
        AnswerModel.load(tmp_path / "missing.json")


def test_the_prior_never_refuses_and_prefers_coverage():
    prior = AnswerModel.prior()
    assert prior.threshold == 0.0
    assert prior.probability({"cov_sent": 1.0, "cov_ctx": 1.0}) > prior.probability({"cov_sent": 0.2})
