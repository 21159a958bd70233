"""Is this a question about the documents at all? Greetings, chit-chat, “你是谁” and requests to
write, translate, joke or code get a short help message with example questions, never a quote.

The decision is a logistic regression on the question's embedding (the same e5 vector retrieval
uses), trained by ``python -m assistant train`` on data/intents/non_questions.txt against the
questions of the training sets and data/intents/document_requests.txt (讲讲…、帮我总结… are
questions); its weights live in the answer model file beside the answer model's. A text is called a
non-question only when the classifier is confident: at most ``Settings.intent_max_questions_misread``
of the training questions, scored out of fold, reach the threshold. The held-out files in
data/intents/ are never trained on (tests/test_intents.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .schema import Answer

HELP_LEAD = "我是{domain}问答助手，只回答资料里有答案的问题，回答都引用资料原文并标注出处。"


@dataclass(frozen=True)
class IntentModel:
    coef: tuple[float, ...]  # over the L2-normalised query embedding
    intercept: float
    threshold: float  # P(non-question) at or above this → help message

    def probability(self, vector: np.ndarray) -> float:
        z = float(np.dot(np.asarray(self.coef, dtype=np.float32), vector)) + self.intercept
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def is_non_question(self, vector: np.ndarray) -> bool:
        return self.probability(vector) >= self.threshold


def help_answer(question: str, domain: str, examples: list[str]) -> Answer:
    lines = [HELP_LEAD.format(domain=domain)]
    if examples:
        lines.append("可以这样问：" + "；".join(examples[:4]))
    return Answer(question=question, text="\n".join(lines), refused=True, mode="help",
                  notes=("这不是关于资料内容的问题。",))
