# Every target bootstraps what it needs itself (system packages, .venv, the project).
.PHONY: demo test bench lint install uninstall clean bootstrap

VENV := .venv/bin

bootstrap:
	@scripts/bootstrap.sh dev

demo: bootstrap
	$(VENV)/attune demo --out out/demo

test: bootstrap
	$(VENV)/python -m pytest -q

bench:
	@ATTUNE_BENCH=1 scripts/bootstrap.sh dev
	$(VENV)/python -m bench

lint: bootstrap
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

# On the Pi: sudo make install [OVERLAY=1 DATA=/data] / sudo make uninstall [PURGE=1]
# (see docs/install.md).
install:
	scripts/install.sh

uninstall:
	scripts/uninstall.sh

clean:
	rm -rf out .pytest_cache .ruff_cache
