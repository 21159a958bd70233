# 案例知识助手 — two commands do all set-up: `make run` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | sha256sum | cut -c1-12)

.PHONY: install model index run test test-fast reliability eval train bench browser-deps clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

model: install
	$(BIN)/python -m assistant model

index: model
	$(BIN)/python -m assistant build

run: index
	$(BIN)/python app.py

# Debian's Chromium drives the browser tests, with a Chinese font for the screenshots; installed once
# when missing (never downloaded by a test tool)
browser-deps:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver fonts-wqy-microhei; }

test: install model browser-deps
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

# issue 10's reliability tier alone (make test runs it too): hostile questions and files, XSS in Chromium,
# admin calls without the password, kill -9 during builds, 16 users for 60 s. Every pytest session ends
# with the table of these figures (tests/reliability.py, from test-artifacts/reliability/*.json).
RELIABILITY_TESTS = $(wildcard tests/test_abuse_*.py tests/test_xss_browser.py) tests/test_ui_admin.py \
	tests/test_integrity.py tests/test_recovery.py tests/test_kill9.py tests/test_load.py
reliability: install model browser-deps
	$(BIN)/python -m pytest $(RELIABILITY_TESTS)

# the evaluation index: the seed corpus + the news QA corpus (sources of the news questions + distractors)
EVAL_INDEX := .cache/index-train
EVAL_CORPUS := --corpus corpus --corpus ../shared/corpus-news/news-qa-corpus.jsonl

eval: model
	$(BIN)/python -m assistant --index $(EVAL_INDEX) build $(EVAL_CORPUS)
	# training sets: each question answered by a model that never saw its fold (--cv)
	$(BIN)/python -m assistant --index $(EVAL_INDEX) eval data/questions/seed-public.jsonl --cv
	$(BIN)/python -m assistant --index $(EVAL_INDEX) eval ../shared/eval/news-questions.jsonl --cv
	# held-out sets: never trained or tuned on
	$(BIN)/python -m assistant --index $(EVAL_INDEX) eval data/questions/seed-b.jsonl
	$(BIN)/python -m assistant --index $(EVAL_INDEX) eval data/questions/news-b.jsonl

# re-train the answer model (assistant/answer_model.json) and regenerate docs/quality.md
train: model
	$(BIN)/python -m assistant train
	$(BIN)/python -m assistant quality --out docs/quality.md

# embedding and cold-start figures in one table (≤ 15 minutes on 2 cores; see assistant/bench.py)
bench: model
	$(BIN)/python -m assistant bench

clean:
	rm -rf index .cache test-artifacts
