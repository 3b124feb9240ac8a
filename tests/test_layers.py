"""The modules of src/hilt import each other without a circle, and each layer imports only the
layers below it (DESIGN.md, "Layers").

The graph is read from the source with :mod:`ast`, so it holds every import: those at the top
of a module, those inside a function (a late import still ties the two modules together) and
those under ``if TYPE_CHECKING:`` (a type that only the other module defines is a dependency
too). A package's ``__init__`` counts as a module of its own: ``from hilt.features import X``
depends on ``hilt.features``, ``from hilt.features import registry`` on the submodule.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "hilt"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """``{module: the hilt modules it imports}`` for every module of src/hilt."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "hilt":
                        targets.add(alias.name if alias.name in modules else alias.name.rpartition(".")[0])
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the package, level - 1 packages up
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                if base.split(".")[0] != "hilt":
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
        graph[name] = {target for target in targets if target != name and target in modules}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative), each sorted; a graph without circles has none.

    Examples
    --------
    >>> cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    >>> cycles({"a": {"b"}, "b": set()})
    []
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
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
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert "hilt.settings" in graph["hilt.cluster.connect"]  # at the top
    assert "hilt.project.worker" in graph["hilt.project._retrain_process"]  # inside main()
    assert "hilt.simulate.curves" in graph["hilt.simulate.plot"]  # under TYPE_CHECKING
    assert "hilt.project.core" in graph["hilt.project"]  # a package's lazy __getattr__


def test_no_module_of_hilt_imports_itself_round_a_circle():
    found = cycles(import_graph())
    assert found == [], "import circles (break each by moving the shared piece into the lower module):\n" + "\n".join(
        " <-> ".join(component) for component in found)


#: The layers from the bottom up, by the top-level module or package of src/hilt; a layer may
#: import its own modules and those of any layer below it. A module not named here (one added
#: since) is not checked until it is placed.
LAYERS = [
    {"hilt", "errors", "_version"},
    {"settings"},  # below everything: hilt.sampling reads HILT_NO_NUMBA through it
    {"sampling", "datasets", "image_columns", "importing"},
    {"features"},
    {"models"},
    {"strategies", "quality"},
    {"tasks"},  # the shape of an answer: its rule, model (models) and agreement (quality)
    {"learner", "store"},
    {"cluster"},
    {"project"},
    {"simulate", "server"},
    {"cli"},
]


def _layer(module: str) -> int | None:
    top = module.split(".")[1] if "." in module else "hilt"
    return next((rank for rank, layer in enumerate(LAYERS) if top in layer), None)


def test_each_layer_imports_only_the_layers_below_it():
    upward = []
    for module, targets in sorted(import_graph().items()):
        for target in sorted(targets):
            mine, theirs = _layer(module), _layer(target)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_the_cycle_finder_finds_a_circle_through_several_modules():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}) == [["a", "b", "c"]]
