"""The qaccel modules that a rule's script runs, found from its imports, and a digest of their text.

Snakemake's ``code`` rerun trigger sees a rule's own script only. Each rule also takes
``library_digest(script)`` as a param, so that an edit to any qaccel module the script imports,
directly or through other modules, re-runs exactly the rules whose code uses it (and what depends on
their outputs). Imports are read with ``ast``: nothing is imported, so the Snakefile parses fast and
without torch. A string that is exactly a module name counts as an import, because that is how a
module is loaded by name (the simulator loads the cocotb bench ``"qaccel.rtl.bench"``).

The digest covers the package that runs (this file's own copy: the work tree, or site-packages
after ``pip install .``), so it follows what a job would really import.
"""
from __future__ import annotations

import ast
import hashlib
import re
from functools import lru_cache
from pathlib import Path

PACKAGE = __name__.split(".")[0]
ROOT = Path(__file__).resolve().parent
_MODULE_NAME = re.compile(rf"{PACKAGE}(\.[A-Za-z_]\w*)*")


def module_file(name: str) -> Path | None:
    """The source file of module ``name`` (``qaccel.rtl.runner``) in this package, or None."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    path = ROOT.joinpath(*name.split(".")[1:])
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def _module_name(path: Path) -> str | None:
    try:
        parts = path.resolve().relative_to(ROOT).with_suffix("").parts
    except ValueError:
        return None  # a script outside the package
    return ".".join((PACKAGE, *(parts[:-1] if parts[-1] == "__init__" else parts)))


@lru_cache(maxsize=None)  # rules share most modules; each file is read once per parse
def names_used(path: Path) -> frozenset[str]:
    """Module names that the Python file at ``path`` imports or names, and their parent packages."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0] if name else None
    used: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            used.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1] if package else []
                base = ".".join(anchor + ([node.module] if node.module else []))
            used.add(base)
            used.update(f"{base}.{alias.name}" for alias in node.names)  # ``from qaccel import data``
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_NAME.fullmatch(node.value):
            used.add(node.value)
    parents = {".".join(name.split(".")[:end]) for name in used for end in range(1, name.count(".") + 1)}
    return frozenset(used | parents)


@lru_cache(maxsize=None)
def _text_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def modules_used(script: Path) -> list[Path]:
    """Every module file of this package that ``script`` runs, directly or through other modules."""
    seen: set[Path] = set()
    pending = [Path(script)]
    while pending:
        for name in names_used(Path(pending.pop())):
            path = module_file(name)
            if path is not None and path not in seen:
                seen.add(path)
                pending.append(path)
    return sorted(seen)


def library_digest(script: Path) -> str:
    """``qaccel/tiling.py=3f2a9c01d4e5 ...``: each module ``script`` runs, with a digest of its text."""
    return " ".join(f"{path.relative_to(ROOT.parent).as_posix()}={_text_digest(path)}" for path in modules_used(script))
