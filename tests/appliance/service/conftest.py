"""The `harness` fixture: services built on the emulated hardware, closed after the test; the
`espeak` fixture: espeak-ng, required (never skipped)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.appliance.service.service_harness import Harness


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**kwargs) -> Harness:
        h = Harness(tmp_path, **kwargs)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


@pytest.fixture
def espeak() -> str:
    """espeak-ng itself: scripts/bootstrap.sh installs it, so a machine without it fails the
    prompts' tests, saying so, instead of skipping them."""
    exe = shutil.which("espeak-ng")
    assert exe, "espeak-ng is not installed: run scripts/bootstrap.sh (or make bootstrap)"
    return exe
