"""Gradient-boosted trees on the log-odds, for the answer model's question model: fitted by
scikit-learn's GradientBoostingClassifier, copied node by node into a plain form that the model
file holds as JSON and that scores with plain arithmetic (no scikit-learn, no pickle at run time)."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


# one node of a tree: (feature index, or -1 for a leaf; threshold; left child; right child; leaf value)
Node = tuple[int, float, int, int, float]


@dataclass(frozen=True)
class Trees:
    """Gradient-boosted regression trees on the log-odds (scikit-learn's GradientBoostingClassifier,
    copied out node by node so scoring needs no scikit-learn and no pickle)."""

    features: tuple[str, ...]
    base: float  # the log-odds before any tree
    rate: float  # each tree's leaf values count this much
    trees: tuple[tuple[Node, ...], ...]

    def margin(self, values: dict[str, float]) -> float:
        x = array("f", (values.get(name, 0.0) for name in self.features))  # compared in float32, as scikit-learn does
        z = self.base
        for nodes in self.trees:
            i = 0
            while nodes[i][0] >= 0:
                feature, threshold, left, right, _ = nodes[i]
                i = left if x[feature] <= threshold else right
            z += self.rate * nodes[i][4]
        return z

    def probability(self, values: dict[str, float]) -> float:
        return logistic(self.margin(values))

    def usage(self) -> list[tuple[str, float]]:
        """Each feature's share of the trees' splits, most used first (for reports)."""
        counts = [0] * len(self.features)
        for nodes in self.trees:
            for node in nodes:
                if node[0] >= 0:
                    counts[node[0]] += 1
        total = max(1, sum(counts))
        return sorted(((f, c / total) for f, c in zip(self.features, counts) if c), key=lambda fc: -fc[1])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Trees":
        return cls(tuple(data["features"]), float(data["base"]), float(data["rate"]),
                   tuple(tuple((int(f), float(t), int(lo), int(hi), float(v)) for f, t, lo, hi, v in nodes)
                         for nodes in data["trees"]))


@dataclass(frozen=True)
class TreeConfig:  # defaults and meanings: the training block of Settings
    train_question_trees: int
    train_question_tree_depth: int
    train_question_tree_rate: float
    train_question_trees_share: float


def fit_trees(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], config: TreeConfig) -> Trees | None:
    """scikit-learn's gradient boosting (fixed seed: the same data gives the same trees), copied into
    Trees; the copy must score the training questions exactly as scikit-learn does. None when the
    config asks for no trees or every question has the same outcome (how much the trees count is the
    caller's: training.fit_questions)."""
    from sklearn.ensemble import GradientBoostingClassifier

    if config.train_question_trees <= 0 or len(set(y.tolist())) < 2:
        return None
    clf = GradientBoostingClassifier(n_estimators=config.train_question_trees, max_depth=config.train_question_tree_depth,
                                     learning_rate=config.train_question_tree_rate, subsample=0.8, min_samples_leaf=10,
                                     random_state=0).fit(x, y)
    copied = []
    for estimator in clf.estimators_[:, 0]:
        t = estimator.tree_
        nodes: list[Node] = [(int(t.feature[i]) if t.children_left[i] >= 0 else -1, float(t.threshold[i]),
                              int(t.children_left[i]), int(t.children_right[i]), float(t.value[i][0][0]))
                             for i in range(t.node_count)]
        copied.append(tuple(nodes))
    unbiased = Trees(names, 0.0, float(config.train_question_tree_rate), tuple(copied))
    rows = [dict(zip(names, map(float, row))) for row in x]
    offsets = clf.decision_function(x) - np.asarray([unbiased.margin(r) for r in rows])
    if float(offsets.max() - offsets.min()) > 1e-6:
        raise RuntimeError("boosted trees copied wrongly: their scores differ from scikit-learn's")
    return Trees(names, float(offsets.mean()), unbiased.rate, unbiased.trees)
