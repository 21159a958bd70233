"""The answer model: which sentence answers, and whether the question is answered at all.

Models over named features (features.py):

- the *sentence* model gives each candidate sentence the probability that it holds the answer: the
  log-odds of a logistic regression averaged with those of gradient-boosted trees (the trees weigh a
  reason marker for a “why” question, a number for a “how many”, which one weight per feature cannot);
- the *question* model turns the best candidate's score, the runner-up's, and the best
  candidate's answer-shape and look-alike evidence into a calibrated probability that quoting it
  answers the question correctly — the refusal threshold is set on this probability. It averages
  a logistic regression with gradient-boosted trees over the same features: the trees read
  combinations a weighted sum cannot (a missing place matters for a “where” question, less for a
  “why”), the regression keeps the score smooth where the trees saw few questions.

Their weights, standardisation, the threshold (chosen by cross-validation to keep in-corpus
refusals within a target), the non-question classifier and a fingerprint of the training data live
in one small JSON file committed with the code (``assistant/answer_model.json``);
``python -m assistant train`` writes it again. Scoring is plain arithmetic: no scikit-learn at run
time."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .features import FEATURES, QUESTION_FEATURES
from .intents import IntentModel
from .trees import Trees, logistic

MODEL_FORMAT = 6


class ModelFileError(RuntimeError):
    """The answer model file is missing or does not fit this code."""


@dataclass(frozen=True)
class Linear:
    """A logistic regression over standardised named features."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    # each feature's smallest and largest value in training: a value beyond them (a document far
    # longer than any trained on) scores as the edge, since a linear model must not extrapolate
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()

    def probability(self, values: dict[str, float]) -> float:
        return logistic(self.margin(values))

    def margin(self, values: dict[str, float]) -> float:
        """The log-odds."""
        z = self.intercept
        bounded = len(self.low) == len(self.features)  # a model file from before the bounds has none
        lows = self.low if bounded else itertools.repeat(-math.inf)
        highs = self.high if bounded else itertools.repeat(math.inf)
        for name, mu, sd, w, lo, hi in zip(self.features, self.mean, self.scale, self.coef, lows, highs):
            z += w * (min(max(values.get(name, 0.0), lo), hi) - mu) / sd
        return z

    def weights(self) -> list[tuple[str, float]]:
        """Standardised weights, largest influence first (for reports)."""
        return sorted(zip(self.features, self.coef), key=lambda fw: -abs(fw[1]))

    @classmethod
    def from_weights(cls, features: tuple[str, ...], weights: dict[str, float], intercept: float) -> "Linear":
        n = len(features)
        return cls(features, (0.0,) * n, (1.0,) * n, tuple(weights.get(f, 0.0) for f in features), intercept)


@dataclass(frozen=True)
class SentenceModel:
    """The sentence model's regression and trees, their log-odds averaged at ``trees_share``."""

    linear: Linear
    trees: Trees | None = None
    trees_share: float = 0.0

    def probability(self, values: dict[str, float]) -> float:
        return self.probabilities([values])[0]

    def probabilities(self, rows: list[dict[str, float]]) -> list[float]:
        linear = [self.linear.margin(values) for values in rows]
        if self.trees is None or self.trees_share <= 0:
            return [logistic(z) for z in linear]
        share = self.trees_share
        return [logistic((1 - share) * z + share * t) for z, t in zip(linear, self.trees.margins(rows))]


@dataclass(frozen=True)
class QuestionModel:
    """The question model's regression and trees, their probabilities averaged at ``trees_share``."""

    linear: Linear
    trees: Trees | None = None
    trees_share: float = 0.0

    def probability(self, values: dict[str, float]) -> float:
        p = self.linear.probability(values)
        if self.trees is None or self.trees_share <= 0:
            return p
        return (1 - self.trees_share) * p + self.trees_share * self.trees.probability(values)


@dataclass(frozen=True)
class AnswerModel:
    sentence: SentenceModel
    question: QuestionModel
    threshold: float  # answer when the question model's probability reaches this
    extra_ratio: float  # a further sentence joins the answer at this share of the best one's probability
    follow_kinds: tuple[str, ...] = ()  # kinds whose answer also quotes the sentence after the chosen one
    other_language_threshold: float = 0.5  # the threshold for questions not in Chinese (training.choose_thresholds)
    trained_on: dict[str, Any] = field(default_factory=dict)  # fingerprint of data and code
    figures: dict[str, Any] = field(default_factory=dict)  # cross-validated figures at training time
    non_question: IntentModel | None = None  # the non-question classifier (intents.py), over query embeddings

    def probability(self, features: dict[str, float]) -> float:
        """That this candidate sentence holds the answer."""
        return self.sentence.probability(features)

    def probabilities(self, rows: list[dict[str, float]]) -> list[float]:
        """The same for many candidates at once (their trees walked together)."""
        return self.sentence.probabilities(rows)

    def threshold_for(self, language: str) -> float:
        return self.threshold if language == "zh" else self.other_language_threshold

    def answered(self, question_features: dict[str, float]) -> float:
        """That quoting the best candidate answers the question (calibrated)."""
        return self.question.probability(question_features)

    def intent(self, dim: int) -> IntentModel | None:
        """The non-question classifier, when trained for embeddings of this size."""
        found = self.non_question
        return found if found is not None and len(found.coef) == dim else None

    @classmethod
    def prior(cls) -> "AnswerModel":
        """The untrained reading used only while collecting training data (earlier turns of a
        conversation must be answered to resolve the last one): coverage of the question and the
        asked answer shape, never refusing."""
        sentence = Linear.from_weights(FEATURES, {"cov_sent": 3.0, "cov_ctx": 1.5, "type_ok": 1.0, "unit_match": 1.0,
                                                  "term_defined": 1.0}, -3.0)
        question = Linear.from_weights(QUESTION_FEATURES, {}, 0.0)
        return cls(SentenceModel(sentence), QuestionModel(question), threshold=0.0, extra_ratio=1.01,
                   trained_on={"prior": True})

    def to_json(self) -> str:
        data = asdict(self)
        data["format"] = MODEL_FORMAT
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def save(self, path: Path) -> None:
        from .storage import atomic_write_text

        atomic_write_text(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> "AnswerModel":
        retrain = "请运行 `python -m assistant train` 重新训练。"
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"无法读取答案模型 {path}：{exc}。{retrain}") from exc
        if not isinstance(data, dict) or data.pop("format", None) != MODEL_FORMAT:
            raise ModelFileError(f"答案模型 {path} 的格式与本程序不符。{retrain}")
        try:
            sentence, question = (_blended(kind, data.pop(name)) for name, kind in
                                  (("sentence", SentenceModel), ("question", QuestionModel)))
            intent = data.pop("non_question", None)
            non_question = IntentModel(**_tuples(intent)) if intent is not None else None
            model = cls(sentence, question, non_question=non_question, **_tuples(data))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFileError(f"答案模型 {path} 缺少字段（{exc}）。{retrain}") from exc
        if not (_reads(model.sentence, FEATURES) and _reads(model.question, QUESTION_FEATURES)):
            raise ModelFileError(f"答案模型 {path} 的特征与本程序不一致（代码更新后未重新训练）。{retrain}")
        return model


def _blended(kind: type, data: dict[str, Any]) -> SentenceModel | QuestionModel:
    """A sentence or question model from its JSON: the regression, the trees if any, their share."""
    linear = Linear(**_tuples(data["linear"]))
    trees = Trees.from_dict(data["trees"]) if data.get("trees") is not None else None
    return kind(linear, trees, float(data["trees_share"]))


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    """JSON's lists as the tuples the frozen dataclasses hold."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def _reads(model: SentenceModel | QuestionModel, features: tuple[str, ...]) -> bool:
    """Whether the regression and the trees both read these features."""
    return model.linear.features == features and (model.trees is None or model.trees.features == features)
