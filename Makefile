# make demo: set everything up, then carry out a command in the simulator.
# make test: set everything up, then run the whole test suite.
VENV := .venv
PY := $(VENV)/bin/python
INTERFACES := $(wildcard ros2_ws/src/griptalk_interfaces/*/*) ros2_ws/src/griptalk_interfaces/CMakeLists.txt

.PHONY: setup demo test bench clean

setup: $(VENV)/.interfaces $(VENV)/.griptalk

# cmake and g++ build the interface package; install them where they are missing.
$(PY):
	@command -v cmake >/dev/null && command -v g++ >/dev/null || \
		(apt-get update -q && apt-get install -y -q cmake g++)
	python3 -m venv $(VENV)

# torch first, from the CPU build: a plain dependency on torch would pull CUDA.
$(VENV)/.deps: requirements.txt requirements-nodeps.txt constraints.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $@

$(VENV)/.interfaces: $(VENV)/.deps $(INTERFACES) ros2_ws/build_interfaces.sh
	bash ros2_ws/build_interfaces.sh $(VENV)
	touch $@

$(VENV)/.griptalk: $(VENV)/.deps pyproject.toml
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

demo: setup
	$(VENV)/bin/griptalk run --scene tabletop "put the red cube in the green bowl"

test: setup
	$(PY) -m pytest -ra tests

clean:
	rm -rf $(VENV)
