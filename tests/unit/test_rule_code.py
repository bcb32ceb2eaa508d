"""Which qaccel modules a rule's script runs, read from its imports (nothing is imported)."""
import shutil
import subprocess
import sys

from support import REPO

from qaccel.workflow.rule_code import (
    ROOT,
    library_digest,
    modules_used,
    package_root_for_jobs,
)


def used(script):
    return sorted(path.relative_to(ROOT).as_posix() for path in modules_used(REPO / "scripts" / script))


def test_direct_and_indirect_imports_and_parent_packages():
    # tile.py imports stage_log, tile_check and tiling; tile_check imports integerize (the exact
    # integer conv), which imports quant, which imports the fused quantizers.
    assert used("tile.py") == ["__init__.py", "export/__init__.py", "export/integerize.py", "export/tile_check.py",
                               "export/tiling.py", "model/__init__.py", "model/fused_quant.py", "model/quant.py",
                               "workflow/__init__.py", "workflow/stage_log.py"]
    # serialize.py: export.serialize, which imports tiling and vectors (relative imports).
    assert used("serialize.py") == ["__init__.py", "export/__init__.py", "export/serialize.py", "export/tiling.py",
                                    "export/vectors.py", "workflow/__init__.py", "workflow/stage_log.py"]


def test_a_rule_runs_the_modules_of_its_package_chain():
    # simulate.py: rtl.layer_sim, which imports the bench runner, the vector set reader, the program
    # compiler (and through it the tiling), the checks and the cycle model.
    modules = used("simulate.py")
    assert {"rtl/__init__.py", "rtl/layer_sim.py", "rtl/bench_run.py", "rtl/build.py", "rtl/vector_set.py",
            "rtl/program.py", "rtl/check.py", "rtl/cycles.py", "export/tiling.py", "export/vectors.py"} <= set(modules)
    assert "training/train.py" not in modules and "workflow/config.py" not in modules


def test_the_parse_time_checks_are_no_rule_code():
    """Editing the config checks or the core's limits must not re-run a job: no script imports them."""
    for script in (REPO / "scripts").glob("*.py"):
        modules = used(script.name)
        assert "workflow/checks.py" not in modules and "rtl/limits.py" not in modules, script.name


def test_the_digest_follows_the_text_of_the_package_that_runs(tmp_path):
    """With a copy of the package first on the path, the digest is the copy's, and changes with its text."""
    shutil.copytree(ROOT, tmp_path / "qaccel", ignore=shutil.ignore_patterns("__pycache__"))

    def digest_of_copy():
        command = [sys.executable, "-c", "import sys; from qaccel.workflow.rule_code import library_digest; "
                   "print(library_digest(sys.argv[1]))", str(REPO / "scripts/tile.py")]
        output = subprocess.run(command, env={"PYTHONPATH": str(tmp_path)}, cwd=tmp_path, capture_output=True, text=True,
                                check=True).stdout
        return dict(entry.split("=") for entry in output.split())

    original = dict(entry.split("=") for entry in library_digest(REPO / "scripts/tile.py").split())
    assert digest_of_copy() == original
    with open(tmp_path / "qaccel/export/tiling.py", "a") as handle:
        handle.write("# an edit\n")
    edited = digest_of_copy()
    assert {name for name in original if edited[name] != original[name]} == {"qaccel/export/tiling.py"}


def test_the_package_of_the_jobs_is_looked_up_on_their_path(tmp_path):
    """Not the copy that parsing imported: a fresh interpreter's, with the environment's PYTHONPATH."""
    shutil.copytree(ROOT, tmp_path / "qaccel", ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-c", "from qaccel.workflow.rule_code import package_root_for_jobs; "
               "print(package_root_for_jobs())"]
    found = subprocess.run(command, env={"PYTHONPATH": str(tmp_path)}, cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == str(tmp_path / "qaccel")  # the child imported the repo's copy (cwd first), its jobs the other
    assert package_root_for_jobs() == ROOT
