# Two commands: `make build` and `make test`. Each installs what it is missing first,
# from the committed locks only, and is quick the second time:
#   make build   Debian packages in apt/build.txt, then requirements/build.txt
#   make test    that, plus apt/test.txt, requirements/test.txt (test tools and the
#                machine-translation extra with CPU torch) and package-lock.json (npm);
#                then the type check (mypy, strict on leafgen/) and the tests
#   make mt      machine translation for real use (torch, about 1.5 GB)
#   make lock    refresh the locks from pyproject.toml (the only step that resolves)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check
# Plain `torch` on PyPI is the CUDA build (several GB); the lock names the CPU build,
# which is on PyTorch's own index.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

# A stamp's name holds a digest of what it installs from, so a changed lock, package list
# or Makefile reinstalls.
digest = $(shell cat $(1) | sha1sum | cut -c1-12)
BUILD_STAMP := $(VENV)/.build-$(call digest,Makefile pyproject.toml requirements/build.txt apt/build.txt)
TEST_STAMP  := $(VENV)/.test-$(call digest,Makefile requirements/test.txt requirements/torch-cpu.constraint apt/test.txt package-lock.json)
MT_STAMP    := $(VENV)/.mt-$(call digest,Makefile requirements/test.txt requirements/torch-cpu.constraint)

.PHONY: build test mt lock test-latest setup setup-test clean
build: setup
	$(BIN)/leafgen build

test: setup-test
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

setup: $(BUILD_STAMP)
setup-test: $(TEST_STAMP)
mt: $(MT_STAMP)

$(BUILD_STAMP):
	scripts/ensure-apt apt/build.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes --no-deps -r requirements/build.txt
	$(PIP) --no-deps --no-build-isolation -e .
	# liblouis's official Python binding is Debian's python3-louis (pure ctypes): link it in
	ln -sfn /usr/lib/python3/dist-packages/louis \
	  "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/louis"
	rm -f $(VENV)/.build-*
	touch $@

# Machine translation: torch (CPU build) first, on its own, from the lock; then the rest.
$(MT_STAMP): $(BUILD_STAMP)
	$(BIN)/python -c 'import torch' 2>/dev/null || \
	  $(PIP) --require-hashes --no-deps -r requirements/torch-cpu.lock 2>/dev/null || \
	  $(PIP) --require-hashes --no-deps -r requirements/torch-cpu.lock --extra-index-url $(TORCH_INDEX)
	$(PIP) --require-hashes --no-deps -r requirements/test.txt
	rm -f $(VENV)/.mt-*
	touch $@

$(TEST_STAMP): $(MT_STAMP)
	scripts/ensure-apt apt/test.txt
	# axe-core (the accessibility rules the browser tests inject), exactly as locked
	npm ci --ignore-scripts --silent --no-audit --no-fund
	rm -f $(VENV)/.test-*
	touch $@

# Refresh the locks: resolve pyproject.toml's ranges to the newest releases, with hashes.
# The test lock is constrained by the build lock, so both install the same runtime.
LOCK_VENV := .cache/lock-venv
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet pip-tools==7.6.2; }
	$(LOCK_VENV)/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --all-build-deps \
	  -o requirements/build.txt pyproject.toml
	$(LOCK_VENV)/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --extra test --extra mt \
	  -c requirements/build.txt -c requirements/torch-cpu.constraint \
	  -o requirements/test.txt pyproject.toml
	grep -A1 '^torch==' requirements/test.txt > requirements/torch-cpu.lock
	npm install --ignore-scripts --package-lock-only --no-audit --no-fund

# The canary (weekly in examples/github-publish.yml): the newest release of everything,
# ignoring the locks, so that a breaking release shows up before a lock refresh.
test-latest: $(TEST_STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager \
	  -c requirements/torch-cpu.constraint -e '.[test,mt]'
	npm install --ignore-scripts --no-save --silent --no-audit --no-fund axe-core@latest @daisy/ace@latest
	$(BIN)/python -m pytest

clean:
	rm -rf output $(VENV) .cache node_modules
