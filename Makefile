# nianbao — the two commands a new user needs:
#   make demo   set everything up and render the bundled unit's report
#   make test   set everything up and run the test suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nianbao-installed
SYSTEM_STAMP := $(VENV)/.system-packages
export GX_ANALYTICS_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup demo test lab lock clean system

setup: $(STAMP)

$(SYSTEM_STAMP): scripts/setup-system.sh
	@mkdir -p $(VENV)
	PYTHON=$(PYTHON) bash scripts/setup-system.sh
	@touch $@

system: $(SYSTEM_STAMP)

$(STAMP): pyproject.toml requirements.lock scripts/jupyter_lab_config.json $(SYSTEM_STAMP)
	@# (re)create the venv unless it has a working pip (a failed earlier attempt leaves a python without pip)
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nianbao)" >/dev/null
	@# JupyterLab offline: no news feed, no update check, no extension search on PyPI
	@mkdir -p $(VENV)/etc/jupyter
	@cp scripts/jupyter_lab_config.json $(VENV)/etc/jupyter/jupyter_lab_config.json
	@touch $@

demo: setup
	$(BIN)/nianbao run --unit zhungeer --year 2022 --formats html,pdf
	@echo "Open outputs/2022/zhungeer/report.html in a browser."

test: setup
	$(BIN)/python -m pytest

lab: setup
	@echo "JupyterLab opens notebooks/annual_report.ipynb; edit data/<year>/<unit>/narrative.md and re-run all cells."
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/annual_report.ipynb

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v -E '^(nianbao|pip|setuptools|wheel)[= @]' > requirements.lock.new
	@{ sed -n '1,2p' requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp && mv requirements.lock.tmp requirements.lock && rm requirements.lock.new

clean:
	rm -rf outputs/*/ .pytest_cache
