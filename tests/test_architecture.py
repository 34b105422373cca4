"""The plan of the package, checked without building anything: no import cycle among `blog`'s
modules, and no module-level state that a build mutates.

The layers contract itself (which stage may import which) is `lint-imports`, a step of .ci/run;
these two checks are what it cannot see. Each allowlist below is explicit and commented: what is
known, and whether it is accepted or still to go.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from pathlib import Path

import grimp
import pytest
from sites import REPO

PACKAGE = "mathblog"
SOURCE = REPO / "src" / PACKAGE

# Import cycles known and accepted, each a sorted tuple of the modules in it. None today: a
# cycle found by the test is new, and is broken rather than listed here.
ACCEPTED_CYCLES: frozenset[tuple[str, ...]] = frozenset()

# Module-level state, as `module: name`.
ACCEPTED_STATE = frozenset(
    {
        # Pools still running, stopped when the interpreter exits (an atexit hook must find
        # them without being handed them).
        "mathblog.util.parallel: _LIVE_POOLS",
        # A worker process's one context, set by its pool's setup; there is one per process by
        # construction, and the tasks it runs are handed it explicitly.
        "mathblog.util.parallel: _worker_context",
        # The time a build's steps and work took (`--timings`), one clock per process: the work
        # is timed deep in the stages and in workers, which only the pool's results connect.
        "mathblog.util.timings: _clock",
    }
)
STATE_TO_GO: frozenset[str] = frozenset()


# -- import cycles -------------------------------------------------------------------------


def import_cycles(package: str) -> list[tuple[str, ...]]:
    """Every set of `package`'s modules that import each other in a ring (the strongly connected
    components of its import graph with more than one module, or a module importing itself).
    grimp reads every import statement, those inside functions and under TYPE_CHECKING too."""
    graph = grimp.build_graph(package, cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    return sorted(
        tuple(sorted(component))
        for component in strongly_connected(imports)
        if len(component) > 1 or component[0] in imports[component[0]]
    )


def strongly_connected(edges: Mapping[str, Set[str]]) -> Iterator[list[str]]:
    """Tarjan's algorithm, without recursion (an import chain may be long)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    yield component


def test_no_import_cycle_among_the_modules() -> None:
    cycles = [cycle for cycle in import_cycles(PACKAGE) if cycle not in ACCEPTED_CYCLES]
    assert cycles == [], "modules that import each other:\n" + "\n".join(map(str, cycles))


def test_the_cycle_check_finds_a_cycle_through_an_import_inside_a_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "ringpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from ringpkg import b\n")
    (package / "b.py").write_text("def later() -> None:\n    from ringpkg import c\n")
    (package / "c.py").write_text("import ringpkg.a\n")
    (package / "d.py").write_text("import ringpkg.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("ringpkg") == [("ringpkg.a", "ringpkg.b", "ringpkg.c")]


# -- module-level state --------------------------------------------------------------------

# Calls that make a mutable container or object (by the called name's last part).
_MUTABLE_MAKERS = frozenset(
    {
        "list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque",
        "WeakSet", "WeakValueDictionary", "WeakKeyDictionary", "local", "Queue", "SimpleQueue",
        "count", "ChainMap",
    }
)  # fmt: skip
# Methods that change a list, dict, set or deque in place.
_MUTATORS = frozenset(
    {
        "append", "appendleft", "extend", "extendleft", "insert", "add", "update", "setdefault",
        "pop", "popleft", "popitem", "clear", "discard", "remove", "sort", "reverse",
        "difference_update", "intersection_update", "symmetric_difference_update",
        "move_to_end", "__setitem__", "__delitem__",
    }
)  # fmt: skip


@dataclass(frozen=True)
class StateFinding:
    module: str
    name: str
    line: int
    why: str

    @property
    def key(self) -> str:
        return f"{self.module}: {self.name}"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """A module's own statements, those under a module-level `if`/`try`/`with` included, not
    those in functions or classes."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.With | ast.Try):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level_statements(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", []):
                yield from _top_level_statements(handler.body)


def _is_mutable_value(value: ast.expr | None, classes: Set[str] = frozenset()) -> bool:
    """A container, or an object of a class of the module itself (`classes`): whether it is
    state then depends on whether anything changes it."""
    if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp):
        return True
    if isinstance(value, ast.SetComp):
        return True
    if isinstance(value, ast.Call):
        called = value.func
        name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
        return name in _MUTABLE_MAKERS or name in classes
    return False


def _mutable_bindings(tree: ast.Module) -> dict[str, int]:
    """Module-level names bound to a mutable container: name → line."""
    found: dict[str, int] = {}
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    for statement in _top_level_statements(tree.body):
        if isinstance(statement, ast.Assign) and _is_mutable_value(statement.value, classes):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and _is_mutable_value(statement.value, classes):
            targets = [statement.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found.setdefault(target.id, statement.lineno)
    return found


def _local_names(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """Names a function binds itself (parameters, assignments): they shadow the module's."""
    arguments = function.args
    names = {
        a.arg
        for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        + [x for x in (arguments.vararg, arguments.kwarg) if x is not None]
    }
    declared_global = {
        name for node in ast.walk(function) if isinstance(node, ast.Global) for name in node.names
    }
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names - declared_global


def _mutated_names(tree: ast.Module) -> Iterator[tuple[str, int, str]]:
    """(name, line, how) for each in-place change of a name the code does not bind locally:
    `x.append(…)`, `x[k] = …`, `del x[k]`, `x += …`, `x.attr = …`."""
    shadowed_at: dict[int, set[str]] = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            local = _local_names(function)
            for node in ast.walk(function):
                shadowed_at.setdefault(id(node), set()).update(local)

    for node in ast.walk(tree):
        changed: list[tuple[ast.expr, int, str]] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _MUTATORS:
                changed.append((node.func.value, node.lineno, f".{node.func.attr}()"))
        elif isinstance(node, ast.Subscript | ast.Attribute) and isinstance(
            node.ctx, ast.Store | ast.Del
        ):
            changed.append((node.value, node.lineno, "item or attribute set"))
        elif isinstance(node, ast.AugAssign):
            changed.append((node.target, node.lineno, "augmented assignment"))
        for target, line, how in changed:
            if isinstance(target, ast.Name) and target.id not in shadowed_at.get(id(node), ()):
                yield target.id, line, how


def _imported_names(tree: ast.Module, package: str) -> dict[str, tuple[str, str]]:
    """`from mathblog.x import NAME [as alias]`: alias → (blog.x, NAME)."""
    imported: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package):
            for alias in node.names:
                imported[alias.asname or alias.name] = (node.module or "", alias.name)
    return imported


def module_state(root: Path) -> list[StateFinding]:
    """Module-level state in the package at `root`: every `global` statement (a function
    rebinding a module's name), and every module-level list, dict or set (literal or
    constructed) that any module changes in place. A table that is never changed is a constant
    and passes; so do frozensets, tuples and compiled patterns. A change made through another
    name (an alias, an argument) is not seen."""
    trees = {_module_name(path, root): ast.parse(path.read_text(encoding="utf-8"), str(path))
             for path in sorted(root.rglob("*.py"))}  # fmt: skip
    bindings = {module: _mutable_bindings(tree) for module, tree in trees.items()}
    findings: set[StateFinding] = set()
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                for name in node.names:
                    findings.add(StateFinding(module, name, node.lineno, "`global` statement"))
        imported = _imported_names(tree, root.name)
        for name, line, how in _mutated_names(tree):
            owner, owned = (
                (module, name) if name in bindings[module] else imported.get(name, ("", ""))
            )
            if owned in bindings.get(owner, {}):
                where = f" (in {module}, line {line})" if owner != module else f" (line {line})"
                first = bindings[owner][owned]
                findings.add(StateFinding(owner, owned, first, f"changed by {how}{where}"))
    by_key: dict[str, StateFinding] = {}
    for finding in sorted(findings, key=lambda f: (f.module, f.name, f.line, f.why)):
        by_key.setdefault(finding.key, finding)
    return list(by_key.values())


@pytest.fixture(scope="module")
def findings() -> list[StateFinding]:
    return module_state(SOURCE)


def test_no_module_level_mutable_state(findings: list[StateFinding]) -> None:
    new = [f for f in findings if f.key not in ACCEPTED_STATE | STATE_TO_GO]
    assert new == [], "module-level state:\n" + "\n".join(
        f"{f.module}:{f.line}: {f.name}: {f.why}" for f in new
    )


def test_the_state_allowlists_name_only_what_is_there(findings: list[StateFinding]) -> None:
    """An entry for state that has gone is dropped, so the lists stay the truth."""
    present = {f.key for f in findings}
    assert sorted((ACCEPTED_STATE | STATE_TO_GO) - present) == []


def test_the_state_check_finds_globals_and_changed_containers_but_not_tables(
    tmp_path: Path,
) -> None:
    package = tmp_path / "statepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "import re\n"
        "SEEN: set[str] = set()\n"
        "_CACHE = {}\n"
        "_COUNTS = []\n"
        "TABLE = {'a': 1}\n"  # never changed: a constant
        "PATTERN = re.compile('x')\n"
        "_slot = None\n"
        "def remember(key):\n"
        "    _CACHE[key] = 1\n"
        "def count():\n"
        "    _COUNTS.append(1)\n"
        "def shadowing(_COUNTS):\n"
        "    _COUNTS.append(2)\n"  # a parameter, not the module's list
        "def set_slot(value):\n"
        "    global _slot\n"
        "    _slot = value\n"
    )
    (package / "b.py").write_text("from statepkg.a import SEEN\ndef note(x):\n    SEEN.add(x)\n")
    found = {(f.module, f.name): f.why for f in module_state(package)}
    assert found == {
        ("statepkg.a", "SEEN"): "changed by .add() (in statepkg.b, line 3)",
        ("statepkg.a", "_CACHE"): "changed by item or attribute set (line 9)",
        ("statepkg.a", "_COUNTS"): "changed by .append() (line 11)",
        ("statepkg.a", "_slot"): "`global` statement",
    }


if __name__ == "__main__":  # print what the checks see, to write an allowlist entry
    for cycle in import_cycles(PACKAGE):
        print("cycle:", " ".join(cycle))
    for finding in module_state(SOURCE):
        print(f"{finding.module}:{finding.line}: {finding.name}: {finding.why}")
