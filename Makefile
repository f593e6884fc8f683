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
	cd deploy/ansible && ../../$(VENV)/ansible-lint -q

# On the Pi: sudo make install [OVERLAY=1 DATA=/data] / sudo make uninstall [PURGE=1]
# (see docs/install.md).
install:
	scripts/install.sh

uninstall:
	scripts/uninstall.sh

clean:
	rm -rf out .pytest_cache .ruff_cache

# An emulated Debian Bookworm arm64 root (qemu-user-static + debootstrap), built once into
# .cache/arm64-root; installs Attune there as `make install` does and runs config check,
# hw check and a 5-minute demo. Needs root; 20-40 minutes the first time (docs/install.md).
.PHONY: arm64-check
arm64-check:
	ARM64_ROOT=$(CURDIR)/.cache/arm64-root scripts/arm64-check.sh
