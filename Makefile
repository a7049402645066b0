# Two commands: `make build` and `make test`. Both install what is missing first
# (Debian packages, a virtualenv, the leafgen package) and are quick the second time.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The stamp's name changes whenever what we install changes, so setup reruns then.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml apt-packages.txt | sha1sum | cut -c1-12)

.PHONY: build test setup clean
build: setup
	$(BIN)/leafgen build

test: setup
	$(BIN)/python -m pytest

setup: $(STAMP)

$(STAMP):
	scripts/ensure-apt apt-packages.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned to the CPU build, or argostranslate would pull a CUDA one
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,mt]'
	# liblouis's official Python binding is Debian's python3-louis (pure ctypes): link it in
	ln -sfn /usr/lib/python3/dist-packages/louis \
	  "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/louis"
	# axe-core (the accessibility rules the browser tests inject), pinned, from npm
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node axe-core@4.14.1
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf output $(VENV) .cache
