"""The qaccel modules that a rule's script runs, found from its imports, and a digest of what in each
can change a result; and the one copy of qaccel that parsing, jobs and digests share.

Snakemake's ``code`` rerun trigger sees a rule's own script only. Each rule therefore also takes, as
inputs, one small file per qaccel module that its script imports, directly or through other modules:
``resources/code/qaccel/export/tiling.py.sha256``, the digest of the module's normalised syntax tree
(:func:`normalised_tree`). The Snakefile rewrites such a file while it parses, and only when the
digest changed; Snakemake then re-runs exactly the rules whose code uses the module (and what
depends on their outputs), and says why: "Updated input files: resources/code/qaccel/export/tiling.py.sha256".

The normalised tree leaves out what cannot change a result: comments and formatting (a syntax tree
has neither), docstrings, and messages (the text given to ``raise``, ``assert`` and the log calls
of :data:`LOG_CALLS`). The modules of :data:`RESULT_FREE` compute nothing that a result holds: no
rule depends on them. Imports are read with ``ast``: nothing is imported, so the Snakefile parses
fast and without torch. (The Verilog a rule builds is an input of its own: rule sim_build.)
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

PACKAGE = __name__.split(".")[0]
ROOT = Path(__file__).resolve().parents[1]  # this copy of the package: the one the workflow parses with
# Modules that compute nothing a result holds, and whose imports are for their own use.
RESULT_FREE = frozenset({f"{PACKAGE}.workflow.stage_log", f"{PACKAGE}.training.progress"})
# Calls whose text arguments are messages: progress lines, log files, warnings.
LOG_CALLS = frozenset({"print", "log", "self.log", "log.write", "warnings.warn"})
MESSAGE = "<message>"  # what a message becomes in the normalised tree
CODE_DIR = "resources/code"  # the digest files, relative to the working directory


def package_root_for_jobs() -> Path:
    """The directory of the package that a rule's script imports, with this process's PYTHONPATH.

    Looked up in a fresh interpreter of the same environment, started outside any checkout: while
    parsing, Snakemake puts the Snakefile's directory first on sys.path, which a job's script does
    not have, so the package imported here may be another copy than the jobs'.
    """
    lookup = subprocess.run([sys.executable, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
                            cwd=os.path.abspath(os.sep), capture_output=True, text=True)
    if lookup.returncode != 0:
        raise ImportError(f"the workflow's jobs cannot import {PACKAGE} ({lookup.stderr.strip().splitlines()[-1]}): "
                          f"install it (pip install .) or put its checkout on PYTHONPATH")
    return Path(lookup.stdout.strip()).resolve().parent


def use_one_copy(workflow_dir: str | Path) -> Path:
    """Make the jobs import the package that the workflow parses with, and return its directory.

    ``workflow_dir`` (the Snakefile's directory, which holds the checkout's package) goes first on
    PYTHONPATH, which the jobs inherit (local script jobs and cluster jobs alike). A fresh
    interpreter then checks that the jobs import this copy, :data:`ROOT`; if they would import
    another (an installed copy that something puts ahead of PYTHONPATH), the workflow refuses,
    naming both, before any job.
    """
    entries = [str(workflow_dir), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(entry for entry in entries if entry))
    jobs = package_root_for_jobs()
    if jobs != ROOT:
        raise ImportError(f"two copies of {PACKAGE}: the workflow is parsed with {ROOT}, but its jobs would import "
                          f"{jobs}; remove one (pip uninstall {PACKAGE}) or install the checkout with pip install -e")
    return ROOT


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


def _type_checking_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:``: imports for annotations, which run no code."""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(statements):
    """The import statements among ``statements`` and the blocks they hold (imports are statements)."""
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not _type_checking_only(node):
            for block in ("body", "orelse", "finalbody", "handlers", "cases"):
                yield from _import_nodes(getattr(node, block, ()))


def _imports(tree: ast.Module, path: Path, root: Path) -> frozenset[str]:
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0] if name else None
    used: set[str] = set()
    for node in _import_nodes(tree.body):
        if isinstance(node, ast.Import):
            used.update(alias.name for alias in node.names)
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1] if package else []
                base = ".".join(anchor + ([node.module] if node.module else []))
            used.add(base)
            used.update(f"{base}.{alias.name}" for alias in node.names)  # ``from qaccel import data``
    parents = {".".join(name.split(".")[:end]) for name in used for end in range(1, name.count(".") + 1)}
    return frozenset(used | parents)


@lru_cache(maxsize=None)  # rules share most modules; each file is read once per parse
def names_used(path: Path, root: Path = ROOT) -> frozenset[str]:
    """Module names that the Python file at ``path`` imports or names, and their parent packages."""
    return _imports(ast.parse(path.read_text(), str(path)), path, root)


def modules_used(script: Path, root: Path = ROOT, names=names_used) -> list[Path]:
    """Every module file of the package at ``root`` that ``script`` runs, directly or through other
    modules, and that can change a result (not those of RESULT_FREE, nor what only they import).
    ``names(path, root)``: the module names a file imports."""
    seen: set[Path] = set()
    pending = [Path(script)]
    while pending:
        for name in names(Path(pending.pop()), root):
            path = module_file(name, root)
            if path is not None and path not in seen and name not in RESULT_FREE:
                seen.add(path)
                pending.append(path)
    return sorted(seen)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _is_text(node: ast.AST) -> bool:
    """A message: a string literal, an f-string, or text joined to them with + or %."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)) and (
        _is_text(node.left) or _is_text(node.right))


class _Normaliser(ast.NodeTransformer):
    """Drops docstrings and replaces messages by MESSAGE; everything else is kept as it is."""

    def _without_docstring(self, node):
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = node.body[1:]
        return self.generic_visit(node)

    visit_Module = visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _without_docstring

    @staticmethod
    def _silence(call: ast.Call) -> None:
        call.args = [ast.Constant(MESSAGE) if _is_text(arg) else arg for arg in call.args]

    def visit_Raise(self, node: ast.Raise):
        if isinstance(node.exc, ast.Call):
            self._silence(node.exc)
        return self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert):
        node.msg = None
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call):
        if _dotted(node.func) in LOG_CALLS:
            self._silence(node)
        return self.generic_visit(node)


def _normalised_digest(tree: ast.Module) -> str:
    normalised = _Normaliser().visit(tree)
    return hashlib.sha256(ast.dump(normalised, annotate_fields=False, include_attributes=False).encode()).hexdigest()


def normalised_tree(source: str, filename: str = "<source>") -> str:
    """The syntax tree of ``source`` without what cannot change a result, as text."""
    tree = _Normaliser().visit(ast.parse(source, filename))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def digest_file(module: Path, root: Path = ROOT) -> str:
    """``resources/code/qaccel/export/tiling.py.sha256``: where the digest of ``module`` lives."""
    return f"{CODE_DIR}/{module.relative_to(root.parent).as_posix()}.sha256"


class _SourceStamps:
    """What each source file imports and its normalised digest, kept in resources/code/stamps.json
    with the file's time stamp and size: a parse after no edit reads no source file."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.entries = json.loads(path.read_text())
        except (OSError, ValueError):  # none yet, or cut short: everything is read afresh
            self.entries = {}
        self.changed = False

    def _entry(self, source: Path, root: Path) -> dict:
        status = source.stat()
        stamp = [status.st_mtime_ns, status.st_size]
        entry = self.entries.get(str(source))
        if entry is None or entry["stamp"] != stamp:
            tree = ast.parse(source.read_text(), str(source))
            entry = {"stamp": stamp, "names": sorted(_imports(tree, source, root)), "digest": _normalised_digest(tree)}
            self.entries[str(source)] = entry
            self.changed = True
        return entry

    def names(self, source: Path, root: Path) -> list[str]:
        return self._entry(source, root)["names"]

    def digest(self, source: Path, root: Path) -> str:
        return self._entry(source, root)["digest"]

    def save(self) -> None:
        if self.changed:
            replace_text(self.path, json.dumps(self.entries, indent=0, sort_keys=True))
            self.changed = False


def replace_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all, through a partial file of this process (parses
    of one working directory may run at once: cluster jobs parse too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")  # cluster jobs parse too
    partial.write_text(text)
    partial.replace(path)


@lru_cache(maxsize=None)
def _stamps(working_directory: str) -> _SourceStamps:
    return _SourceStamps(Path(working_directory, CODE_DIR, "stamps.json"))


def code_inputs(script: Path, root: Path = ROOT) -> list[str]:
    """The digest files of the modules that ``script`` runs, each rewritten first if its digest
    changed (only then, so that Snakemake sees a newer input only then)."""
    stamps = _stamps(os.getcwd())
    files = [_current_digest_file(module, root, stamps.digest(module, root))
             for module in modules_used(script, root, names=stamps.names)]
    stamps.save()
    return files


@lru_cache(maxsize=None)  # rules share most modules: each digest file is looked at once per parse
def _current_digest_file(module: Path, root: Path, digest: str) -> str:
    path = Path(digest_file(module, root))
    if not path.is_file() or path.read_text() != digest + "\n":
        replace_text(path, digest + "\n")
    return path.as_posix()
