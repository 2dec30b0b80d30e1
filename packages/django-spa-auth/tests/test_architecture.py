"""The layout of ``spa_auth.internal`` that ARCHITECTURE.md describes, read from the code.

Each sub-package of ``internal`` is a wing. Imports between wings point one way, down:
``tokens, throttling <- sessions <- accounts <- mfa, devices <- login <- api``. Every import
counts, at module level or inside a function. A public module of ``spa_auth`` that
imports a wing (``backends`` imports ``mfa``) lends that wing to every wing importing
it, so no wing reaches one above it through a public module either.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "spa_auth"
INTERNAL = "spa_auth.internal"

# The wings from the bottom up; wings of one rank import neither each other nor anything
# above. ``clock`` (the time source every wing reads) sits under them all.
RANKS = {
    "": 0,
    "tokens": 1,
    "throttling": 1,
    "captcha": 2,
    "sessions": 2,
    "accounts": 3,
    "mfa": 4,
    "devices": 4,
    "providers": 5,
    "login": 6,
    "api": 7,
}
ROOT_MODULES = {INTERNAL, f"{INTERNAL}.clock"}
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def wing_of(module: str) -> str | None:
    """The wing of an internal module; None for every other module."""
    if module != INTERNAL and not module.startswith(INTERNAL + "."):
        return None
    if module == INTERNAL:
        return ""
    rest = module[len(INTERNAL) + 1 :].split(".")
    is_package = MODULES[module].name == "__init__.py"
    return rest[0] if len(rest) > 1 or is_package else ""


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


@cache
def imports_of(module: str) -> frozenset[str]:
    """The spa_auth modules that ``module`` imports, anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            # ``from package import module`` names the module; ``from module import name``
            # the module.
            names = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source
                for alias in node.names
            ]
        else:
            continue
        found.update(name for name in names if name in MODULES and name != module)
    return frozenset(found)


@cache
def wings_reached(module: str) -> frozenset[tuple[str, str]]:
    """(internal module, through) for each internal module ``module`` imports, directly or
    through public modules of spa_auth."""
    reached: set[tuple[str, str]] = set()
    for imported in imports_of(module):
        if wing_of(imported) is not None:
            reached.add((imported, ""))
        elif imported not in _visiting:
            _visiting.add(imported)
            try:
                reached.update((target, imported) for target, _ in wings_reached(imported))
            finally:
                _visiting.discard(imported)
    return frozenset(reached)


_visiting: set[str] = set()


def test_every_internal_module_belongs_to_a_known_wing():
    unknown = {module for module in MODULES if wing_of(module) not in (None, *RANKS)}
    assert not unknown, f"add the wing to RANKS and to ARCHITECTURE.md: {sorted(unknown)}"
    # Beside the wings, only the time source: a new module goes into the wing it serves.
    loose = {module for module in MODULES if wing_of(module) == ""} - ROOT_MODULES
    assert not loose, f"move into a wing: {sorted(loose)}"


def test_imports_between_wings_point_down():
    upward = []
    for module in MODULES:
        wing = wing_of(module)
        if wing is None:
            continue
        for target, through in wings_reached(module):
            target_wing = wing_of(target)
            assert target_wing is not None
            if target_wing == wing:
                continue
            if RANKS[target_wing] >= RANKS[wing]:
                via = f" (through {through})" if through else ""
                upward.append(f"{module} ({wing}) imports {target} ({target_wing}){via}")
    assert not upward, "imports that point up or sideways:\n" + "\n".join(sorted(upward))


def test_the_graph_sees_function_level_and_relative_imports():
    # The guard of the test itself: a relative import inside a function is found.
    assert "spa_auth.internal.mfa.services" in imports_of("spa_auth.apps")
    assert "spa_auth.internal.sessions.store" in imports_of("spa_auth.internal.api.session_views")


def test_no_module_is_over_the_size_limit():
    long = {
        module: count
        for module, path in MODULES.items()
        if (count := len(path.read_text().splitlines())) > MAX_LINES and "migrations" not in module
    }
    assert not long, f"split these into a package (ARCHITECTURE.md): {long}"


def test_the_rules_of_mfa_are_added_to_accounts_at_startup():
    # accounts may not import mfa; mfa adds its rules when apps.ready imports it.
    from spa_auth.internal.accounts import services as accounts

    added = {
        "address": {rule.__module__ for rule in accounts._address_rules.values()},
        "first proof": {rule.__module__ for rule in accounts._first_proof_rules.values()},
    }
    assert added == {
        "address": {"spa_auth.internal.mfa.enrolment"},
        "first proof": {"spa_auth.internal.mfa.services", "spa_auth.internal.providers.links"},
    }
