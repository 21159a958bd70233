"""Is this a question about the documents at all? Greetings, chit-chat, “你是谁” and requests to
write, translate, joke or code get a short help message with example questions, never a quote.

The decision is a logistic regression on the question's embedding (the same e5 vector retrieval
uses) beside the TF-IDF of its character 1–3-grams (the embedding alone blurs a bare search term such
as 电商 with chit-chat such as 测试; the characters of 帮我写、翻译、你好 do not), trained by
``python -m assistant train`` on data/intents/non_questions.txt against the questions of the training
sets and data/intents/document_requests.txt (讲讲…、帮我总结…, bare search terms: questions too); its
weights live in the answer model file beside the answer model's. A text is called a non-question
only when the classifier is confident: at most ``Settings.intent_max_questions_misread`` of the
training questions, scored out of fold, reach the threshold. A text the corpus does not answer gets
the help message too at a looser threshold (``refused_threshold``: at most
``Settings.intent_max_refused_questions_misread`` of them reach it), as the question it might be was
refused anyway. The held-out files in data/intents/ are never trained on (tests/test_intents.py)"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .schema import Answer

HELP_LEAD = "我是{domain}问答助手，只回答资料里有答案的问题，回答都引用资料原文并标注出处。"


NGRAM_SIZES = (1, 2, 3)


def char_ngrams(normalized: str) -> list[str]:
    """The character 1–3-grams of a normalised text, spaces dropped (the classifier's TF-IDF analyser
    both when it is trained and when it is used)."""
    chars = "".join(normalized.split())
    return [chars[i : i + n] for n in NGRAM_SIZES for i in range(len(chars) - n + 1)]


@dataclass(frozen=True)
class IntentModel:
    coef: tuple[float, ...]  # over the L2-normalised query embedding
    intercept: float
    threshold: float  # P(non-question) at or above this → help message
    ngrams: tuple[str, ...] = ()  # the TF-IDF vocabulary (character n-grams) …
    ngram_idf: tuple[float, ...] = ()  # … its inverse document frequencies …
    ngram_coef: tuple[float, ...] = ()  # … and weights
    refused_threshold: float = 2.0  # P at or above this, when the corpus answers nothing → help message (2: never)

    @functools.cached_property
    def _coef(self) -> np.ndarray:
        return np.asarray(self.coef, dtype=np.float32)

    @functools.cached_property
    def _ngram_index(self) -> dict[str, int]:
        return {g: i for i, g in enumerate(self.ngrams)}

    def ngram_score(self, normalized: str) -> float:
        """The n-gram part of the logit: sublinear TF × IDF, L2-normalised (scikit-learn's
        TfidfVectorizer(sublinear_tf=True) over :func:`char_ngrams`), dotted with the weights. Written out
        because the model lives in a JSON file, not a pickled vectorizer tied to one scikit-learn version."""
        index = self._ngram_index
        counts = Counter(i for i in (index.get(g) for g in char_ngrams(normalized)) if i is not None)
        values = {i: (1.0 + math.log(c)) * self.ngram_idf[i] for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        return sum(v * self.ngram_coef[i] for i, v in values.items()) / norm if norm else 0.0

    def probability(self, vector: np.ndarray, normalized: str = "") -> float:
        z = float(np.dot(self._coef, vector)) + self.intercept
        if self.ngrams:
            z += self.ngram_score(normalized)
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def is_non_question(self, vector: np.ndarray, normalized: str = "") -> bool:
        return self.probability(vector, normalized) >= self.threshold


NOT_A_QUESTION_NOTE = "这不是关于资料内容的问题。"
NOT_ANSWERED_NOTE = "资料中没有找到答案，这看起来也不是关于资料内容的问题。"


def help_answer(question: str, domain: str, examples: list[str], note: str = NOT_A_QUESTION_NOTE) -> Answer:
    lines = [HELP_LEAD.format(domain=domain)]
    if examples:
        lines.append("可以这样问：" + "；".join(examples[:4]))
    return Answer(question=question, text="\n".join(lines), refused=True, mode="help", notes=(note,))
