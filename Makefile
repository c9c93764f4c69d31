# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the VOT challenge's toolkit, in its own environment (constraints-vot.txt says why)
VOT_VENV := .venv-vot
VOT_STAMP := $(VOT_VENV)/.installed

.PHONY: demo test install clean

install: $(STAMP) $(VOT_STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,vot]'
	touch $(STAMP)

$(VOT_STAMP): constraints-vot.txt
	test -x $(VOT_VENV)/bin/python || $(PYTHON) -m venv $(VOT_VENV)
	$(VOT_VENV)/bin/python -m pip install --quiet -c constraints-vot.txt vot-toolkit vot-trax attributee
	touch $(VOT_STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(STAMP) $(VOT_STAMP)
	$(PY) -m pytest -q -n 2

clean:
	rm -rf $(VENV) $(VOT_VENV) build *.egg-info
