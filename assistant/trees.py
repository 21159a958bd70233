"""Gradient-boosted trees on the log-odds, for the answer model's sentence and question models:
fitted by scikit-learn (HistGradientBoostingClassifier for the sentence model's tens of thousands of
candidate rows, GradientBoostingClassifier for the question model's two thousand questions), copied
node by node into a plain form that the model file holds as JSON and that scores with plain
arithmetic (no scikit-learn, no pickle at run time)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


# one node of a tree: (feature index, or -1 for a leaf; threshold; left child; right child; leaf value)
Node = tuple[int, float, int, int, float]


def _depth(nodes: tuple[Node, ...], i: int = 0) -> int:
    """The number of splits on the longest path from node i down to a leaf."""
    feature, _, left, right, _ = nodes[i]
    return 0 if feature < 0 else 1 + max(_depth(nodes, left), _depth(nodes, right))


@dataclass(frozen=True)
class Trees:
    """Gradient-boosted regression trees on the log-odds (scikit-learn's GradientBoostingClassifier,
    copied out node by node so scoring needs no scikit-learn and no pickle)."""

    features: tuple[str, ...]
    base: float  # the log-odds before any tree
    rate: float  # each tree's leaf values count this much
    trees: tuple[tuple[Node, ...], ...]
    precision: str = "f"  # values compared as float32 ("f", as GradientBoostingClassifier does) or float64 ("d")

    def margin(self, values: dict[str, float]) -> float:
        return self.margins([values])[0]

    def margins(self, rows: Sequence[dict[str, float]]) -> list[float]:
        """The log-odds of many rows at once: every tree walked a level at a time for all rows together."""
        if not rows:
            return []
        feature, threshold, left, right, leaf, roots, depth = self._flat
        dtype = np.float32 if self.precision == "f" else np.float64  # values compared as the fit compared them
        x = np.asarray([[r.get(name, 0.0) for name in self.features] for r in rows], dtype=dtype).astype(np.float64)
        node = np.broadcast_to(roots, (len(rows), len(roots)))
        for _ in range(depth):
            goes_left = np.take_along_axis(x, feature[node], axis=1) <= threshold[node]
            node = np.where(goes_left, left[node], right[node])
        return (self.base + self.rate * leaf[node].sum(axis=1)).tolist()

    @functools.cached_property
    def _flat(self) -> tuple[np.ndarray, ...]:
        """All trees' nodes in flat arrays (a leaf leads to itself), each tree's root, the deepest path."""
        sizes = [len(nodes) for nodes in self.trees]
        roots = np.cumsum([0] + sizes[:-1]).astype(np.int64)
        table = np.asarray([n for nodes in self.trees for n in nodes], dtype=np.float64).reshape(-1, 5)
        offset = np.repeat(roots, sizes)
        is_leaf = table[:, 0] < 0
        own = np.arange(len(table), dtype=np.int64)
        feature = np.where(is_leaf, 0, table[:, 0]).astype(np.int64)
        left = np.where(is_leaf, own, table[:, 2].astype(np.int64) + offset)
        right = np.where(is_leaf, own, table[:, 3].astype(np.int64) + offset)
        leaf = np.where(is_leaf, table[:, 4], 0.0)
        depth = max((_depth(nodes) for nodes in self.trees), default=0)
        return feature, table[:, 1], left, right, leaf, roots, depth

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
        precision = data.get("precision", "f")
        if precision not in ("f", "d"):
            raise ValueError(f"precision {precision!r}")
        return cls(tuple(data["features"]), float(data["base"]), float(data["rate"]),
                   tuple(tuple((int(f), float(t), int(lo), int(hi), float(v)) for f, t, lo, hi, v in nodes)
                         for nodes in data["trees"]), precision)


@dataclass(frozen=True)
class Boosting:
    """One model's trees: how many, how deep, how much each counts, and the share of the blend with
    its regression that they get (0: the regression alone)."""

    trees: int
    depth: int
    rate: float
    share: float
    seed: int = 0  # the random seed of the row sampling (the same data and seed give the same trees)


@dataclass(frozen=True)
class TreeConfig:  # defaults and meanings: the training block of Settings
    train_sentence_trees: int
    train_sentence_tree_depth: int
    train_sentence_tree_rate: float
    train_sentence_trees_share: float
    train_question_trees: int
    train_question_tree_depth: int
    train_question_tree_rate: float
    train_question_trees_share: float
    train_tree_seed: int

    @property
    def sentence(self) -> Boosting:
        return Boosting(self.train_sentence_trees, self.train_sentence_tree_depth, self.train_sentence_tree_rate,
                        self.train_sentence_trees_share, self.train_tree_seed)

    @property
    def question(self) -> Boosting:
        return Boosting(self.train_question_trees, self.train_question_tree_depth, self.train_question_tree_rate,
                        self.train_question_trees_share, self.train_tree_seed)


def fit_trees(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], boosting: Boosting,
              weights: np.ndarray | None = None) -> Trees | None:
    """scikit-learn's gradient boosting (seeded: the same data and seed give the same trees), copied into
    Trees; the copy must score the training rows exactly as scikit-learn does. None when no trees
    are asked for or every row has the same outcome (how much the trees count is the caller's)."""
    from sklearn.ensemble import GradientBoostingClassifier

    if boosting.trees <= 0 or len(set(y.tolist())) < 2:
        return None
    clf = GradientBoostingClassifier(n_estimators=boosting.trees, max_depth=boosting.depth, learning_rate=boosting.rate,
                                     subsample=0.8, min_samples_leaf=10, random_state=boosting.seed).fit(x, y, sample_weight=weights)
    copied = []
    for estimator in clf.estimators_[:, 0]:
        t = estimator.tree_
        nodes: list[Node] = [(int(t.feature[i]) if t.children_left[i] >= 0 else -1, float(t.threshold[i]),
                              int(t.children_left[i]), int(t.children_right[i]), float(t.value[i][0][0]))
                             for i in range(t.node_count)]
        copied.append(tuple(nodes))
    unbiased = Trees(names, 0.0, float(boosting.rate), tuple(copied))
    offsets = _offsets(unbiased, clf, x)
    if float(offsets.max() - offsets.min()) > 1e-6:
        raise RuntimeError("boosted trees copied wrongly: their scores differ from scikit-learn's")
    return Trees(names, float(offsets.mean()), unbiased.rate, unbiased.trees)


def fit_hist_trees(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], boosting: Boosting,
                   weights: np.ndarray | None = None) -> Trees | None:
    """The same from scikit-learn's histogram gradient boosting, for the sentence model's tens of
    thousands of candidate rows: six times faster to fit than GradientBoostingClassifier here, and on
    the held-out questions the better blend. It holds out a tenth of the rows (seeded) to stop adding
    trees once they no longer help; its leaves already include the rate, and it compares in float64."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if boosting.trees <= 0 or len(set(y.tolist())) < 2:
        return None
    clf = HistGradientBoostingClassifier(max_iter=boosting.trees, max_depth=boosting.depth,
                                         learning_rate=boosting.rate, min_samples_leaf=20,
                                         random_state=boosting.seed).fit(x, y, sample_weight=weights)
    # scikit-learn keeps the fitted trees in _predictors (one list per iteration, one tree per class score)
    copied = [tuple((-1 if node["is_leaf"] else int(node["feature_idx"]), float(node["num_threshold"]),
                     int(node["left"]), int(node["right"]), float(node["value"])) for node in iteration[0].nodes)
              for iteration in clf._predictors]
    trees = Trees(names, float(np.ravel(clf._baseline_prediction)[0]), 1.0, tuple(copied), "d")
    if float(np.abs(_offsets(trees, clf, x)).max()) > 1e-6:
        raise RuntimeError("boosted trees copied wrongly: their scores differ from scikit-learn's")
    return trees


def _offsets(trees: Trees, clf: Any, x: np.ndarray) -> np.ndarray:
    """scikit-learn's scores minus the copy's, row by row."""
    return clf.decision_function(x) - np.asarray(trees.margins([dict(zip(trees.features, map(float, row))) for row in x]))
