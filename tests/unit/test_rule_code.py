"""Which qaccel modules a rule's script runs (read from its imports, nothing is imported), the
normalised digest that leaves out what cannot change a result, and the one copy of the package."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from support import REPO

from qaccel.workflow.rule_code import (
    MESSAGE,
    ROOT,
    code_inputs,
    modules_used,
    normalised_tree,
    package_root_for_jobs,
)


def used(script, root=ROOT):
    return sorted(path.relative_to(root).as_posix() for path in modules_used(REPO / "scripts" / script, root))


def test_direct_and_indirect_imports_and_parent_packages():
    # tile.py imports stage_log, tile_check and tiling; tile_check imports integerize (the exact
    # integer conv), which imports quant, which imports the fused quantizers; tiling imports geometry.
    # stage_log computes no result: it is left out.
    assert used("tile.py") == ["__init__.py", "export/__init__.py", "export/geometry.py", "export/integerize.py",
                               "export/tile_check.py", "export/tiling.py", "model/__init__.py",
                               "model/fused_quant.py", "model/quant.py", "workflow/__init__.py"]
    # serialize.py: export.serialize, which imports geometry, tiling and vectors (relative imports).
    # and the requantization constants (export.requant), folded from the model's checkpoint.
    assert used("serialize.py") == ["__init__.py", "export/__init__.py", "export/geometry.py", "export/integerize.py",
                                    "export/requant.py", "export/serialize.py", "export/tiling.py", "export/vectors.py",
                                    "model/__init__.py", "model/checkpoint.py", "model/fused_quant.py",
                                    "model/layers.py", "model/quant.py", "model/vgg.py", "workflow/__init__.py"]


def test_a_rule_runs_the_modules_of_its_package_chain():
    # simulate.py: rtl.layer_sim, which imports the bench runner, the vector set reader (and through it
    # the tiling), the program compiler, the checks and the cycle model.
    modules = used("simulate.py")
    assert {"rtl/__init__.py", "rtl/layer_sim.py", "rtl/bench_run.py", "rtl/build.py", "rtl/vector_set.py",
            "rtl/program.py", "rtl/check.py", "rtl/cycles.py", "export/tiling.py", "export/vectors.py"} <= set(modules)
    assert "training/train.py" not in modules and "workflow/config.py" not in modules


def test_the_simulator_builds_do_not_run_the_tiling():
    """They size memories with the shared geometry; the tiling's Operands is an annotation only
    (``if TYPE_CHECKING:``), which runs no code."""
    for script in ("sim_build.py", "tb_build.py"):
        modules = used(script)
        assert "export/geometry.py" in modules and "export/tiling.py" not in modules, script


def test_the_parse_time_checks_and_the_logs_are_no_rule_code():
    """Editing the config checks, the core's limits or the stage log must not re-run a job."""
    for script in (REPO / "scripts").glob("*.py"):
        modules = used(script.name)
        assert not {"workflow/checks.py", "rtl/limits.py", "workflow/stage_log.py"} & set(modules), script.name


def tree(source):
    return normalised_tree(textwrap.dedent(source))


ORIGINAL = '''
    """A module."""
    import warnings


    def scaled(x, log):
        """Scale x."""
        if x < 0:
            raise ValueError(f"x={x} is negative")
        assert x < 100, "x is too large"
        log(f"scaling {x}")
        warnings.warn("scaling")
        return x * 3  # three
'''


@pytest.mark.parametrize("edited", [
    # comments, blank lines, formatting, docstrings
    '''
    import warnings
    def scaled(x, log):
        if x < 0:   raise ValueError(f"x={x} is negative")  # why
        assert x < 100, "x is too large"
        log(f"scaling {x}")
        warnings.warn("scaling")
        return (x *
                3)
    ''',
    # messages: of raise, assert, log and warnings.warn, literal, f-string or joined with +
    '''
    """A module."""
    import warnings


    def scaled(x, log):
        """Scale x."""
        if x < 0:
            raise ValueError("negative input: " + str(x))
        assert x < 100, f"{x} >= 100"
        log("scaling")
        warnings.warn(f"scaling {x} now")
        return x * 3  # three
    ''',
])
def test_what_cannot_change_a_result_leaves_the_tree_alone(edited):
    assert tree(edited) == tree(ORIGINAL)


@pytest.mark.parametrize("old,new", [
    ("return x * 3", "return x * 4"),  # arithmetic
    ("if x < 0:", "if x <= 0:"),  # a condition
    ("raise ValueError(", "raise TypeError("),  # which error
    ("assert x < 100,", "assert x < 99,"),  # what is checked
    ('log(f"scaling {x}")', 'log(f"scaling {x}", x)'),  # a log call's argument that is no text
])
def test_what_can_change_a_result_changes_the_tree(old, new):
    assert old in ORIGINAL
    assert tree(ORIGINAL.replace(old, new)) != tree(ORIGINAL)


def test_a_message_becomes_a_placeholder_and_other_arguments_stay():
    normalised = tree('raise CompileError(f"{spec.top}: no such file", failed_at=where)')
    assert repr(MESSAGE) in normalised and "no such file" not in normalised and "where" in normalised
    written = tree('handle.write(f"{value}\\n")')  # a write to a file is a result, not a log line
    assert "{value}" not in written and "handle" in written and repr(MESSAGE) not in written


def copy_package(directory):
    shutil.copytree(ROOT, directory / "qaccel", ignore=shutil.ignore_patterns("__pycache__"))
    return directory / "qaccel"


def test_a_digest_file_moves_only_when_its_module_can_change_a_result(tmp_path, monkeypatch):
    """Each module the script runs has a file of its own under resources/code, rewritten only when the
    normalised digest changes, so that Snakemake names the module and re-runs only what uses it."""
    root = copy_package(tmp_path / "checkout")
    monkeypatch.chdir(tmp_path)
    files = code_inputs(REPO / "scripts/tile.py", root)
    assert "resources/code/qaccel/export/tiling.py.sha256" in files
    assert len(files) == len(used("tile.py"))

    def stamps():
        return {name: os.stat(name).st_mtime_ns for name in files}

    def digests_after_editing(module, old, new):
        path = root / module
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        # a new parse: a new process, without the digests cached in this one
        script = ("import sys; from pathlib import Path; from qaccel.workflow.rule_code import code_inputs; "
                  "code_inputs(Path(sys.argv[1]), Path(sys.argv[2]))")
        subprocess.run([sys.executable, "-c", script, str(REPO / "scripts/tile.py"), str(root)], check=True,
                       cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})
        return stamps()

    before = stamps()
    assert digests_after_editing("export/tiling.py", "    return padded.reshape(cin, -1)", "    return padded.reshape(cin, -1)  # rows") == before
    assert digests_after_editing("export/tiling.py", '"""(Cin, H, W)', '"""Pads (Cin, H, W)') == before
    after = digests_after_editing("export/tiling.py", "2 * PADDING", "2 * PADDING + 0")
    assert {name for name in files if after[name] != before[name]} == {"resources/code/qaccel/export/tiling.py.sha256"}


def test_the_package_of_the_jobs_is_looked_up_on_their_path(tmp_path):
    """Not the copy that parsing imported: a fresh interpreter's, with the environment's PYTHONPATH."""
    copy_package(tmp_path)
    command = [sys.executable, "-c", "from qaccel.workflow.rule_code import package_root_for_jobs; "
               "print(package_root_for_jobs())"]
    found = subprocess.run(command, env={"PYTHONPATH": str(tmp_path)}, cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == str(tmp_path / "qaccel")  # the child imported the repo's copy (cwd first), its jobs the other
    assert package_root_for_jobs() == ROOT


def one_copy(workflow_dir, pythonpath):
    command = [sys.executable, "-c", "import os, sys; from qaccel.workflow.rule_code import use_one_copy; "
               "print(use_one_copy(sys.argv[1])); print(os.environ['PYTHONPATH'])", str(workflow_dir)]
    return subprocess.run(command, env={**os.environ, "PYTHONPATH": pythonpath}, cwd=REPO, capture_output=True,
                          text=True)


def test_the_jobs_import_the_package_beside_the_snakefile(tmp_path):
    """Another copy on PYTHONPATH (as after pip install . into it) does not reach the jobs: the
    Snakefile's directory goes first."""
    other = copy_package(tmp_path)
    result = one_copy(REPO, str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [str(ROOT), os.pathsep.join([str(REPO), str(tmp_path)])]
    assert other != ROOT


def test_a_second_copy_that_the_jobs_would_import_is_refused_naming_both(tmp_path):
    """Parsed with the repo's copy (the child's working directory), but the directory handed over as the
    Snakefile's holds another: the jobs would import that one."""
    other = copy_package(tmp_path)
    result = one_copy(tmp_path, "")
    assert result.returncode != 0
    assert (f"ImportError: two copies of qaccel: the workflow is parsed with {ROOT}, but its jobs would import "
            f"{other}") in result.stderr
