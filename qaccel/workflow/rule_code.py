"""The qaccel modules that a rule's script runs, found from its imports, and a digest of their text.

Snakemake's ``code`` rerun trigger sees a rule's own script only. Each rule also takes
``library_digest(script, root)`` as a param, so that an edit to any qaccel module the script
imports, directly or through other modules, re-runs exactly the rules whose code uses it (and what
depends on their outputs). Imports are read with ``ast``: nothing is imported, so the Snakefile
parses fast and without torch. (The Verilog a rule builds is an input of its own: rule sim_build.)

The digest covers the package that the jobs import (:func:`package_root_for_jobs`): the work tree
with an editable install, site-packages after ``pip install .``.
"""
from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

PACKAGE = __name__.split(".")[0]
ROOT = Path(__file__).resolve().parents[1]  # this copy of the package


def package_root_for_jobs() -> Path:
    """The directory of the package that a rule's script imports.

    Looked up in a fresh interpreter of the same environment: while parsing, Snakemake puts the
    Snakefile's directory first on sys.path, which a job's script does not have, so the package
    imported here may be another copy than the jobs'.
    """
    lookup = subprocess.run([sys.executable, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
                            cwd=os.path.abspath(os.sep), capture_output=True, text=True)
    if lookup.returncode != 0:
        raise ImportError(f"the workflow's jobs cannot import {PACKAGE} ({lookup.stderr.strip().splitlines()[-1]}): "
                          f"install it (pip install .) or put its checkout on PYTHONPATH")
    return Path(lookup.stdout.strip()).resolve().parent


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source file of module ``name`` (``qaccel.rtl.runner``) in the package at ``root``, or None."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    path = root.joinpath(*name.split(".")[1:])
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def _module_name(path: Path, root: Path) -> str | None:
    try:
        parts = path.resolve().relative_to(root).with_suffix("").parts
    except ValueError:
        return None  # a script outside the package
    return ".".join((PACKAGE, *(parts[:-1] if parts[-1] == "__init__" else parts)))


@lru_cache(maxsize=None)  # rules share most modules; each file is read once per parse
def names_used(path: Path, root: Path = ROOT) -> frozenset[str]:
    """Module names that the Python file at ``path`` imports or names, and their parent packages."""
    name = _module_name(path, root)
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
    parents = {".".join(name.split(".")[:end]) for name in used for end in range(1, name.count(".") + 1)}
    return frozenset(used | parents)


@lru_cache(maxsize=None)
def _text_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def modules_used(script: Path, root: Path = ROOT) -> list[Path]:
    """Every module file of the package at ``root`` that ``script`` runs, directly or through other modules."""
    seen: set[Path] = set()
    pending = [Path(script)]
    while pending:
        for name in names_used(Path(pending.pop()), root):
            path = module_file(name, root)
            if path is not None and path not in seen:
                seen.add(path)
                pending.append(path)
    return sorted(seen)


def library_digest(script: Path, root: Path = ROOT) -> str:
    """``qaccel/export/tiling.py=3f2a9c01d4e5 ...``: each module of the package at ``root`` that ``script`` runs,
    with a digest of its text."""
    return " ".join(f"{path.relative_to(root.parent).as_posix()}={_text_digest(path)}"
                    for path in modules_used(script, root))
