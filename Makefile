# facedepth — the README's Quick start is `make demo` then `make test`.
PY       ?= python3.11
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
OUT      ?= out
export PYOPENGL_PLATFORM ?= osmesa

.PHONY: demo test setup system-deps lint bench clean

## Set everything up, build the head asset, write a demo dataset and a preview sheet.
demo: setup
	$(BIN)/synth assets build
	$(BIN)/synth generate --n 200 --fast --workers 2 --out $(OUT)/demo
	$(BIN)/synth preview --fast --n 16 --out $(OUT)/preview_fast.png
	@echo "demo dataset: $(OUT)/demo   contact sheet: $(OUT)/preview_fast.png"

## Run the test suite (installs what is missing first).
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q

setup: system-deps $(STAMP)

# Debian's OSMesa for headless CPU rendering (pyrender); installed when root and missing.
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libOSMesa; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			echo "installing libosmesa6"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libosmesa6 libgl1 libegl1 >/dev/null; \
		else \
			echo "warning: libOSMesa not found; install Debian's libosmesa6 (or use EGL on a GPU)"; \
		fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/bench_assets.py
	$(BIN)/python benchmarks/bench_fast.py

clean:
	rm -rf $(OUT) build *.egg-info
