"""Seeded mutations of the shipped example config and listener profile: each is accepted or
refused with Problems naming the file, never another exception, never a hang.

Each case parses under a 5 s alarm: that guards against a hang (it is not a timing assertion).
"""

from __future__ import annotations

import random
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from appliance.config import ConfigError, load_config
from appliance.config.yamlread import MAX_BYTES
from appliance.listeners.profile import parse_profile

PROJECT = Path(__file__).resolve().parents[3]
CONFIG = (PROJECT / "config" / "attune.yaml").read_bytes()
PROFILE = (PROJECT / "config" / "listeners" / "example.yaml").read_bytes()
CASES = 1000  # per file: 2000 in all
GUARD_S = 5


class Hung(Exception):
    pass


@contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise Hung

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _value_spot(rng: random.Random, text: bytes) -> int:
    """Just after a `key: `, where a value starts (or anywhere, when there is none)."""
    spots = [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == b": "]
    return rng.choice(spots) if spots else rng.randrange(len(text) + 1)


def _insert(rng: random.Random, text: bytes, what: bytes) -> bytes:
    at = _value_spot(rng, text)
    return text[:at] + what + text[at:]


def flip(rng: random.Random, text: bytes) -> bytes:
    at = rng.randrange(len(text))
    return text[:at] + bytes([rng.randrange(256)]) + text[at + 1 :]


def delete(rng: random.Random, text: bytes) -> bytes:
    at = rng.randrange(len(text))
    return text[:at] + text[at + rng.randint(1, 40) :]


def duplicate(rng: random.Random, text: bytes) -> bytes:
    lines = text.splitlines(keepends=True)
    start = rng.randrange(len(lines))
    chunk = b"".join(lines[start : start + rng.randint(1, 6)])
    at = rng.randrange(len(lines) + 1)
    return b"".join(lines[:at]) + chunk + b"".join(lines[at:])


def deep(rng: random.Random, text: bytes) -> bytes:
    n = rng.choice((17, 100, 1000, 20000))
    opener, closer = rng.choice(((b"[", b"]"), (b"{a: ", b"}"), (b"- ", b"")))
    return _insert(rng, text, opener * n + b"1" + closer * n)


def aliases(rng: random.Random, text: bytes) -> bytes:
    bomb = b"[&a [x,x,x,x,x,x,x,x,x], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], [*b,*b,*b,*b,*b,*b]]"
    return _insert(rng, text, rng.choice((bomb, b"&self [*self]", b"*nowhere", b"&x 1")))


def huge(rng: random.Random, text: bytes) -> bytes:
    digits = str(rng.randint(1, 9)).encode() * rng.choice((16, 400, 4301, 30000))
    number = rng.choice((digits, b"-" + digits, b"1e999", b"-.inf", b".nan", b"0x" + digits))
    return _insert(rng, text, number + b" ")


def tagged(rng: random.Random, text: bytes) -> bytes:
    tags = (b"!!float ", b"!!int ", b"!!bool ", b"!!binary ", b"!!timestamp ", b"!!set ")
    other = (b"!!python/object/apply:os.system ", b"!local ", b"!!omap ", b"!<tag:x> ")
    return _insert(rng, text, rng.choice(tags + other))


def control(rng: random.Random, text: bytes) -> bytes:
    code = rng.choice([*range(32), *range(127, 160), 0x2028, 0x202E, 0xFEFF])
    at = rng.randrange(len(text) + 1)
    return text[:at] + chr(code).encode() + text[at:]


def bad_date(rng: random.Random, text: bytes) -> bytes:
    year, month, day = rng.randint(0, 9999), rng.randint(0, 19), rng.randint(0, 39)
    return _insert(rng, text, f"{year:04d}-{month:02d}-{day:02d}\n".encode())


def oversize(rng: random.Random, text: bytes) -> bytes:
    return text + b"# " + b"x" * (MAX_BYTES + rng.randint(0, 100)) + b"\n"


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    flip,
    flip,
    delete,
    duplicate,
    deep,
    aliases,
    huge,
    tagged,
    control,
    bad_date,
    oversize,
]


def mutants(seed: int, text: bytes) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    for case in range(CASES):
        mutated = text
        names = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            mutation = rng.choice(MUTATIONS)
            names.append(mutation.__name__)
            mutated = mutation(rng, mutated) if mutated else mutated
        yield f"seed {seed} case {case} ({'+'.join(names)})", mutated


def load_config_case(path: Path) -> list[str]:
    try:
        load_config(path)
    except ConfigError as error:
        assert error.problems, "a ConfigError names its problems"
        return [str(p) for p in error.problems]
    return []


def load_profile_case(path: Path) -> list[str]:
    profile, problems = parse_profile(path)
    assert (profile is None) == bool(problems)
    return [str(p) for p in problems]


@pytest.mark.parametrize(
    ("original", "load", "seed"),
    [(CONFIG, load_config_case, 11), (PROFILE, load_profile_case, 12)],
    ids=["config", "profile"],
)
def test_every_mutation_is_accepted_or_refused_clearly(
    tmp_path: Path, original: bytes, load: Callable[[Path], list[str]], seed: int
) -> None:
    path = tmp_path / "mutant.yaml"
    escaped: list[str] = []
    refused = 0
    for name, text in mutants(seed, original):
        path.write_bytes(text)
        try:
            with alarm(GUARD_S):
                problems = load(path)
        except Hung:
            escaped.append(f"{name}: still parsing after {GUARD_S} s")
            continue
        except Exception as error:  # what the test is for: nothing else may escape
            escaped.append(f"{name}: {type(error).__name__}: {error}"[:300])
            continue
        refused += bool(problems)
        # A clear answer names the file it is about (or the shipped defaults it collides with).
        assert all(str(path) in p or "defaults" in p for p in problems), (name, problems)
    assert escaped == []
    assert CASES // 2 < refused < CASES  # the mutations bite, and some leave a valid file
