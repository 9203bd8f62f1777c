"""Count import cycles among checker's modules: `python bench/import_cycles.py [PACKAGE_DIR]`.

Every import counts, function-level ones included; imports under `if TYPE_CHECKING:` do not (they
never run). A cycle is a strongly connected group of two or more modules (or a module importing
itself). Prints each group and the total; exit status 1 when there is any. Also lists the modules
below checker.api that import it (nothing should).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package modules `name` (at `path`) imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                out.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            for a in node.names:
                out.add(f"{base}.{a.name}")  # `from pkg import module`
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in out if m in modules and m != name}


def graph(root: Path) -> dict[str, set[str]]:
    files = {module_name(root, p): p for p in root.rglob("*.py")}
    modules = set(files)
    return {name: imports(p, name, modules) for name, p in files.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            strong(v)
    return out


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "checker").resolve()
    g = graph(root)
    found = cycles(g)
    for c in found:
        print("cycle:", " -> ".join(c))
    api = f"{root.name}.api"
    # the layers built on validate(): the CLI and its commands, changed-only runs, package and verify
    above = {f"{root.name}.{m}" for m in ("cli", "changed", "package.builder", "package.verify")} | {
        m for m in g if m.startswith(f"{root.name}.commands")}
    importers = sorted(m for m, deps in g.items() if api in deps and m not in above and m != api)
    for m in importers:
        print("imports api from below it:", m)
    print(f"{len(found)} import cycle(s) among {len(g)} modules; {len(importers)} module(s) below api import it")
    return 1 if found or importers else 0


if __name__ == "__main__":
    sys.exit(main())
