"""The house's one-way flow: imports only point down the layers DESIGN names, and never in a circle.

Walks every import statement (module level and inside functions, `TYPE_CHECKING` blocks too:
a type annotation is a dependency a reader has to follow) with `ast`, so a back-reference fails
here, naming the file and line, before anyone has to find it by reading.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("appliance", "drivers", "models")

# Higher floors may import lower ones (and their own floor); never the reverse. Longest prefix
# wins. Offline model work sits above the runtime it replays and below the CLI that runs it.
FLOORS: dict[str, int] = {
    "drivers": 0,
    "appliance.clock": 0,
    "appliance.vocabulary": 0,
    "appliance.fsutil": 0,
    "appliance.numeric": 0,  # numpy stand-ins for the SciPy routines a session uses
    "appliance.ui": 1,
    "appliance.config": 1,
    "appliance.signals": 1,
    "appliance.affect": 2,
    "appliance.music": 2,
    "appliance.sequencer": 3,
    "appliance.store": 4,
    "appliance.session": 5,
    "appliance.listeners": 5,
    "appliance.report": 5,
    "appliance.simulate": 6,
    "appliance.usb": 6,  # a plugged stick: the store, the library, the listeners, reports
    "appliance.app": 7,
    "appliance.parts": 7,  # the composition root's hardware
    "appliance.hwcheck": 8,
    "appliance.service": 8,
    "models": 9,
    "appliance.commands": 10,
    "appliance.cli": 10,
    "appliance": 10,  # the package's own __init__
}


def floor_of(module: str) -> int:
    best = max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len)
    return FLOORS[best]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every project import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from pkg import submodule` depends on the submodule.
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append(
                    (
                        sub
                        if (ROOT / sub.replace(".", "/")).exists()
                        or (ROOT / (sub.replace(".", "/") + ".py")).exists()
                        else target,
                        node.lineno,
                    )
                )
    return [(m, line) for m, line in found if m.split(".")[0] in SOURCES]


def source_files() -> list[Path]:
    return sorted(p for top in SOURCES for p in (ROOT / top).rglob("*.py"))


def test_every_module_has_a_floor():
    for path in source_files():
        floor_of(module_name(path))  # raises ValueError (empty max) for a module with no floor


def test_imports_point_down():
    back = []
    for path in source_files():
        mine = floor_of(module_name(path))
        for target, line in imports_of(path):
            if floor_of(target) > mine:
                back.append(
                    f"{path.relative_to(ROOT)}:{line} imports {target} "
                    f"(floor {floor_of(target)} above {mine})"
                )
    assert not back, "imports that run back up:\n" + "\n".join(back)


def _graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in source_files()}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for name, path in files.items():
        for target, _ in imports_of(path):
            # An import of a package's name is an import of its __init__.
            if target in files and target != name:
                graph[name].add(target)
    return graph


def test_no_import_circles():
    graph = _graph()
    state: dict[str, int] = {}
    circles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not circles, "import circles:\n" + "\n".join(circles)


@pytest.mark.parametrize(
    "module, floor",
    [("appliance.sequencer.rules", 3), ("drivers.emulated.smbus", 0), ("appliance", 10)],
)
def test_floor_lookup_takes_the_longest_prefix(module, floor):
    assert floor_of(module) == floor


# The front hall: the composition root (app, parts), the CLI and ground-floor helpers only.
FRONT_HALL = {
    "__init__.py",
    "app.py",
    "parts.py",
    "cli.py",
    "clock.py",
    "fsutil.py",
    "vocabulary.py",
}
LONG_MODULE_LINES = 300


def test_the_front_hall_holds_only_the_root_the_cli_and_ground_floor_helpers():
    loose = {p.name for p in (ROOT / "appliance").glob("*.py")}
    assert loose <= FRONT_HALL, f"move these into their wing: {sorted(loose - FRONT_HALL)}"


def test_a_long_module_says_at_its_top_why_it_is_long():
    unexplained = []
    for path in source_files():
        text = path.read_text()
        if text.count("\n") > LONG_MODULE_LINES:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if f"{LONG_MODULE_LINES} lines" not in doc:
                unexplained.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert not unexplained, "split by concern, or say why at the top:\n" + "\n".join(unexplained)


@pytest.mark.parametrize(
    "lower, upper",
    [("appliance.store", "appliance.sequencer"), ("appliance.sequencer", "appliance.store")],
)
def test_the_store_and_the_sequencer_know_each_other_only_through_protocols(lower, upper):
    crossing = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in source_files()
        if module_name(path).startswith(lower + ".")
        for target, line in imports_of(path)
        if target == upper or target.startswith(upper + ".")
    ]
    assert not crossing, "\n".join(crossing)
