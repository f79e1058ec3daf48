"""The shape of the house (/work/plan/SHAPE.md, the README's architecture section), checked on the
source itself: modules stay under 500 lines, packages keep no `global` state, every domain
package has the same rooms, and no package assigns to another package's module-level objects
(state is handed in by the composition root, `pos/app.py`, never set from outside)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "cards", "inventory", "clothing_exchange", "pos")
MAX_LINES = 500

# Domain packages whose rooms are checked. `pos/printing` (the print queue inside pos: models,
# services and pages, no API or command group of its own) is not one of them.
DOMAIN_PACKAGES: list[str] = ["cards", "inventory", "clothing_exchange", "pos"]

# Each room, as the file or the folder that may hold it.
ROOMS: dict[str, tuple[str, ...]] = {
    "models": ("models.py",),
    "services": ("services.py", "services/__init__.py"),
    "api": ("api.py", "api/__init__.py"),
    "views": ("views.py", "views/__init__.py"),
    "cli": ("cli.py",),
}

_SKIPPED_DIRS = {"__pycache__", "node_modules", "build", "dist"}


def _python_files() -> Iterator[Path]:
    """Every Python module of the repository, tests, bench and scripts included (not the
    virtualenv, hidden folders or build output)."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts[:-1]
        if any(p.startswith(".") or p in _SKIPPED_DIRS or p.endswith(".egg-info") for p in parts):
            continue
        yield path


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _package_of(path: Path) -> str | None:
    top = path.relative_to(ROOT).parts[0]
    return top if top in PACKAGES else None


def _is_migration(path: Path) -> bool:
    return _name(path).startswith("pos/migrations/versions/")


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


# --- size ---------------------------------------------------------------------------------------


def test_no_module_passes_500_lines() -> None:
    too_long = {
        _name(path): _lines(path)
        for path in _python_files()
        if not _is_migration(path) and _lines(path) > MAX_LINES
    }
    assert too_long == {}, f"split these modules by concept (at most {MAX_LINES} lines)"


# --- no global state ----------------------------------------------------------------------------


def _package_modules() -> list[Path]:
    return [path for path in _python_files() if _package_of(path) is not None]


def test_no_global_statement_in_a_package() -> None:
    found = [
        f"{_name(path)}:{node.lineno}"
        for path in _package_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Global)
    ]
    assert found == [], "hand state in (pos/app.py builds it) instead of `global`"


# --- rooms --------------------------------------------------------------------------------------


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_a_domain_package_has_every_room(package: str) -> None:
    missing = [
        room
        for room, places in ROOMS.items()
        if not any((ROOT / package / place).is_file() for place in places)
    ]
    assert missing == [], f"{package} lacks its {', '.join(missing)} (see SHAPE.md)"


# --- no state set from another package ----------------------------------------------------------

_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "update",
        "setdefault",
        "add",
        "discard",
        "remove",
        "pop",
        "popitem",
        "clear",
    }
)


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


@dataclass(frozen=True)
class Foreign:
    """A module-level name bound by an import to another package's module or object."""

    package: str
    what: str  # the dotted name imported


def _foreign_imports(tree: ast.Module, own: str | None) -> dict[str, Foreign]:
    """The names that `import` and `from ... import` bind to another of our packages (anywhere
    in the module: an import inside a function binds the same thing)."""
    bound: dict[str, Foreign] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in PACKAGES and top != own:
                    name = alias.asname or top
                    bound[name] = Foreign(top, alias.name if alias.asname else top)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.split(".")[0]
            if top in PACKAGES and top != own:
                for alias in node.names:
                    bound[alias.asname or alias.name] = Foreign(top, f"{node.module}.{alias.name}")
    return bound


def _root(node: ast.expr) -> ast.Name | None:
    """The name an attribute or item chain starts from (`a` in `a.b[c].d`); None when it
    starts from a call or anything else (what a function returns is not module state)."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _local_names(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    args = function.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    body = function.body if isinstance(function.body, list) else [function.body]
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


class _StateWrites(ast.NodeVisitor):
    """Assignments, deletions, `setattr` and mutating calls (`.append`, `.update`, ...) whose
    target is reached from a name bound to another package (not shadowed by a local)."""

    def __init__(self, foreign: dict[str, Foreign]) -> None:
        self.foreign = foreign
        self.shadowed: list[set[str]] = []
        self.found: list[tuple[int, str]] = []

    def _check(self, target: ast.expr, line: int, *, bare: bool = False) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for item in target.elts:
                self._check(item, line)
            return
        if not bare and not isinstance(target, ast.Attribute | ast.Subscript):
            return  # rebinding a name changes nothing elsewhere
        root = _root(target)
        if root is None or root.id not in self.foreign:
            return
        if any(root.id in names for names in self.shadowed):
            return
        self.found.append((line, f"{ast.unparse(target)} (from {self.foreign[root.id].what})"))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.shadowed.append(_local_names(node))
        self.generic_visit(node)
        self.shadowed.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check(target, node.lineno)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check(node.target, node.lineno)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check(node.target, node.lineno)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check(target, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and node.args:
            self._check(node.args[0], node.lineno, bare=True)
        elif isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
            self._check(func.value, node.lineno, bare=True)
        self.generic_visit(node)


def _state_writes(source: str, own: str | None) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    foreign = _foreign_imports(tree, own)
    if not foreign:
        return []
    visitor = _StateWrites(foreign)
    visitor.visit(tree)
    return visitor.found


def test_no_module_sets_another_packages_state() -> None:
    """Package modules, and tests, bench and scripts too (which own no package: `monkeypatch`,
    which undoes itself, is how a test replaces something)."""
    found = [
        f"{_name(path)}:{line}: {what}"
        for path in _python_files()
        for line, what in _state_writes(path.read_text(encoding="utf-8"), _package_of(path))
    ]
    assert found == [], "hand it in through the composition root (pos/app.py) instead"


@pytest.mark.parametrize(
    "source",
    [
        "import cards.services\ncards.services.provider = object()",
        "from cards import services\nservices.provider = object()",
        "from cards.services import topup as t\nt.RATES['x'] = 1",
        "from cards.views import NAV\nNAV.append(('x', 'y', ()))",
        "import core.web\ndef f():\n    setattr(core.web, 'clock', None)",
        "from inventory.models import Product\nProduct.balance = 0",
        "from core import web\ndef f():\n    web.STATUS_BY_CODE |= {}",
    ],
)
def test_a_write_to_another_package_is_found(source: str) -> None:
    assert _state_writes(source, "pos") != []


@pytest.mark.parametrize(
    "source",
    [
        "import cards.services\ncards.services.provider = object()",  # its own package
        "from core.web import settings\ndef f(settings):\n    settings.tz = None",  # a local
        "from core.web import app_state\napp_state().extras['x'] = 1",  # per app, handed in
        "from cards.views import NAV\nmenu = []\nmenu.extend(NAV)",  # read, not written
    ],
)
def test_own_state_locals_and_reads_are_not_writes(source: str) -> None:
    own = "cards" if source.startswith("import cards") else "pos"
    assert _state_writes(source, own) == []
