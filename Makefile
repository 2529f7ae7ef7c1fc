# regdesk: `make run` opens the demo console, `make test` runs every test.
# Both set up everything they need on a fresh Debian machine (venv, packages, fonts, Qt libraries).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SYSSTAMP := $(VENV)/.sysdeps-stamp
TS     := $(wildcard resources/i18n/*.ts)
QM     := $(TS:.ts=.qm)

# Debian packages Qt needs to run (offscreen or on a screen), a CJK font, for screenshots as a
# user sees them a real X server, a window manager and ImageMagick (console/screenshots.py), and for
# the Galera tests' throwaway cluster (tests/galera.py) the Galera library and rsync
SYSTEM_PACKAGES := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 \
	libxcb-render-util0 libxcb-image0 fonts-wqy-microhei xvfb xauth openbox x11-utils xdotool imagemagick \
	rsync galera-4

.PHONY: run test lint setup sysdeps translations ts screenshots bench clean

setup: $(STAMP) $(SYSSTAMP) translations

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# installs only what is missing; needs root (or sudo) and apt-get, else says what to install
$(SYSSTAMP):
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then echo "please install: $$missing" >&2; \
	  elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	fi
	@mkdir -p $(VENV) && touch $(SYSSTAMP)

sysdeps: $(SYSSTAMP)

resources/i18n/%.qm: resources/i18n/%.ts $(STAMP)
	$(VENV)/bin/pyside6-lrelease -silent $< -qm $@

translations: $(QM)

# the console's tr()/translate() strings into the one translation source, resources/i18n/regdesk_zh_CN.ts
# (new ones unfinished: translate them in Qt Linguist, `$(VENV)/bin/pyside6-linguist`, or by hand);
# tests/test_translations.py fails while a string of the code has no Chinese there
ts: $(STAMP)
	$(VENV)/bin/pyside6-lupdate $$(find console -name '*.py' | sort) -ts resources/i18n/regdesk_zh_CN.ts \
	  -no-obsolete -locations none -source-language en -target-language zh_CN

run: setup
	$(PY) main.py --demo

# ruff (rules in pyproject.toml) and vulture (unused code, at 80% confidence) before the tests
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/vulture

test: setup lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

# real framed windows: starts its own Xvfb (1366x768) and openbox, stops them when done
screenshots: setup
	$(PY) -m console.screenshots docs/screenshots

bench: setup
	$(PY) benchmarks/autoapprove.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/console.py
	$(PY) benchmarks/sync.py
	$(PY) benchmarks/export.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/printing.py
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/peak.py --quick
	$(PY) benchmarks/waitlist.py
	$(PY) benchmarks/release.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache resources/i18n/*.qm
