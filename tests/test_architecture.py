"""The layering of the product's modules, read from their imports (those inside functions too).

Floors, bottom up; a module imports only from its own floor and those below:

1. core: the shared vocabulary (`kb_assistant.core`, `domain`, `ports`, `settings`, `jsonl`);
2. connectors: reading sources;
3. features: ingestion, indexes, retrieval, answering, verification, policy, conversations,
   handoff, FAQ drafts, the report;
4. channels: the Slack app and the widget's files;
5. entry points: the composition root (which builds every adapter), the API and the CLI.

And there is no import cycle anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kb_assistant", "connectors", "ingest")
CORE = ("kb_assistant.core", "kb_assistant.domain", "kb_assistant.ports", "kb_assistant.settings")
CORE_MODULES = (*CORE, "kb_assistant.jsonl", "kb_assistant")
CHANNELS = ("kb_assistant.slack", "kb_assistant.web")
ENTRY = (
    "kb_assistant.composition",
    "kb_assistant.api",
    "kb_assistant.cli",
    "kb_assistant.__main__",
)
FLOORS = ("core", "connectors", "features", "channels", "entry")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The product modules `name` imports (the longest known prefix of each target)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def floor(name: str) -> int:
    """The module's floor (an index into `FLOORS`)."""
    if name in CORE_MODULES or _within(name, CORE):
        return 0
    if _within(name, ("connectors",)):
        return 1
    if _within(name, ENTRY):
        return 4
    if _within(name, CHANNELS):
        return 3
    return 2


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "kb_assistant.assistant" in graph
    assert "kb_assistant.core.replies" in graph["kb_assistant.answering.service"]


def test_there_is_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_from_a_floor_above_its_own() -> None:
    upward = sorted(
        f"{module} ({FLOORS[floor(module)]}) imports {target} ({FLOORS[floor(target)]})"
        for module, targets in _graph().items()
        for target in targets
        if floor(target) > floor(module)
    )
    assert upward == []


def test_the_floors_are_what_they_say() -> None:
    assert FLOORS[floor("kb_assistant.core.text")] == "core"
    assert FLOORS[floor("kb_assistant.domain")] == "core"
    assert FLOORS[floor("connectors.pdf")] == "connectors"
    assert FLOORS[floor("kb_assistant.answering.service")] == "features"
    assert FLOORS[floor("ingest.pipeline")] == "features"
    assert FLOORS[floor("kb_assistant.slack.app")] == "channels"
    assert FLOORS[floor("kb_assistant.composition.stores")] == "entry"
