"""Which functions of the app can reach argon2, read from the source (ast), for
test_hashing_paths.py.

Every function and method of `espace/` is a node. A reference to another function of
the app — a call, or a function handed to anything (a thread pool, a callback) — is an
edge, resolved through the module's imports (`from espace.services.accounts import auth`
then `auth.login`), its own functions, and for `self.x` / `cls.x` the class's real MRO.
A function handed to the hashing pool (`hashing.run`, `hashing.run_for`,
`hashing.run_known`, `SessionState._checked`, `session.checked`) is a *pooled* edge instead: what it does runs in the pool.
A node reaches argon2 when a path of plain edges leads to one of hashing.py's entry
points (`hash_password`, `verify_password`, `burn_time_like_verify`)."""
from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HASHING = "espace.services.accounts.hashing"
SINKS = {(HASHING, "hash_password"), (HASHING, "verify_password"), (HASHING, "burn_time_like_verify")}
POOL_ENTRIES = {(HASHING, "run"), (HASHING, "run_for"), (HASHING, "run_known"),
                ("espace.web.session", "SessionState._checked"), ("espace.web.session", "checked")}
Node = tuple[str, str]  # (module, qualname)


@dataclass
class Module:
    name: str
    tree: ast.Module
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # alias -> (module, name or None)
    defs: dict[str, ast.AST] = field(default_factory=dict)  # qualname -> def


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


class Graph:
    def __init__(self) -> None:
        self.modules: dict[str, Module] = {}
        for path in sorted((ROOT / "espace").rglob("*.py")):
            name = _module_name(path)
            self.modules[name] = self._read(name, ast.parse(path.read_text(), str(path)))
        self.edges: dict[Node, set[Node]] = {}
        self.pooled: dict[Node, set[Node]] = {}
        for module in self.modules.values():
            for qualname, node in module.defs.items():
                self._scan(module, qualname, node)
        self._memo: dict[Node, list[Node] | None] = {}

    # -- reading ---------------------------------------------------------------------
    def _read(self, name: str, tree: ast.Module) -> Module:
        module = Module(name, tree)
        package = name if _is_module(name) and (ROOT.joinpath(*name.split(".")) / "__init__.py").exists() \
            else name.rsplit(".", 1)[0]
        for stmt in ast.walk(tree):
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    module.imports[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0],
                                                                        None)
            elif isinstance(stmt, ast.ImportFrom):
                base = stmt.module or ""
                if stmt.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - stmt.level + 1]
                                    + ([stmt.module] if stmt.module else []))
                for a in stmt.names:
                    full = f"{base}.{a.name}"
                    module.imports[a.asname or a.name] = (full, None) if _is_module(full) else (base, a.name)
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                module.defs[stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        module.defs[f"{stmt.name}.{item.name}"] = item
        return module

    def _lookup(self, module_name: str, name: str, depth: int = 0) -> Node | None:
        module = self.modules.get(module_name)
        if module is None or depth > 5:
            return None
        if name in module.defs:
            return (module_name, name)
        found = module.imports.get(name)
        if found and found[1] is not None:
            return self._lookup(found[0], found[1], depth + 1)
        return None

    def _method(self, module: Module, qualname: str, attr: str) -> Node | None:
        if "." not in qualname:
            return None
        cls = getattr(importlib.import_module(module.name), qualname.split(".")[0], None)
        for klass in getattr(cls, "__mro__", ()):
            if attr in vars(klass) and klass.__module__ in self.modules:
                key = f"{klass.__name__}.{attr}"
                return (klass.__module__, key) if key in self.modules[klass.__module__].defs else None
        return None

    def resolve(self, module: Module, qualname: str, expr: ast.expr) -> Node | None:
        if isinstance(expr, ast.Name):
            return self._lookup(module.name, expr.id)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            base = expr.value.id
            if base in ("self", "cls"):
                return self._method(module, qualname, expr.attr)
            found = module.imports.get(base)
            if found and found[1] is None:
                return self._lookup(found[0], expr.attr)
        return None

    def _scan(self, module: Module, qualname: str, node: ast.AST) -> None:
        me = (module.name, qualname)
        plain, pooled, skip = self.edges.setdefault(me, set()), self.pooled.setdefault(me, set()), set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and self.resolve(module, qualname, sub.func) in POOL_ENTRIES:
                for arg in [*sub.args, *(k.value for k in sub.keywords)]:
                    target = self.resolve(module, qualname, arg)
                    if target is not None:
                        pooled.add(target)
                        skip.add(id(arg))
        for sub in ast.walk(node):
            if id(sub) in skip or not isinstance(sub, (ast.Name, ast.Attribute)):
                continue
            target = self.resolve(module, qualname, sub)
            if target is not None and target != me:
                plain.add(target)

    # -- questions -------------------------------------------------------------------
    def path_to_argon2(self, start: Node) -> list[Node] | None:
        """A chain of plain edges from `start` to an argon2 entry point, or None."""
        if start in SINKS:
            return [start]
        if start in self._memo:
            return self._memo[start]
        self._memo[start] = None  # cycles: not through here
        for nxt in sorted(self.edges.get(start, ())):
            found = self.path_to_argon2(nxt)
            if found is not None:
                self._memo[start] = [start, *found]
                break
        return self._memo[start]

    def pooled_argon2(self, start: Node) -> list[Node]:
        """What `start`, or a function it calls, hands to the hashing pool that reaches argon2."""
        seen, todo, out = {start}, [start], set()
        while todo:
            node = todo.pop()
            out.update(t for t in self.pooled.get(node, ()) if self.path_to_argon2(t) is not None)
            for nxt in self.edges.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return sorted(out)
