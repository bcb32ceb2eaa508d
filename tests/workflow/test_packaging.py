"""`pip install .` without -e: the schema ships as package data, and the workflow run from its checkout
uses one copy of qaccel, the checkout's, for parsing, jobs and digests; or refuses, naming both."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from support import REPO, checkout_copy, config_args, edit, planned_jobs, run_snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """qaccel installed (not editable) into a directory of its own; built from a copy of the sources so
    that the build leaves nothing in the work tree."""
    root = tmp_path_factory.mktemp("install")
    shutil.copytree(REPO / "qaccel", root / "src/qaccel", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "src")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(root / "site"), str(root / "src")], check=True)
    return root / "site"


def imported_qaccel(env, cwd):
    return subprocess.run([sys.executable, "-c", "import qaccel; print(qaccel.__file__)"], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True).stdout.strip()


def test_the_installed_package_holds_the_schema_and_the_workflow_runs_beside_it(installed, copy_of_tiny_workflow):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    workdir = copy_of_tiny_workflow
    assert imported_qaccel(env, workdir) == str(installed / "qaccel/__init__.py")
    assert (installed / "qaccel/workflow/config.schema.yaml").read_text() == (REPO / "qaccel/workflow/config.schema.yaml").read_text()
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                           "--forcerun", "tile", "results/layer27/ws/sim.json", env=env)
    assert "rule simulate:" in result.stdout
    assert json.loads((workdir / "results/layer27/ws/sim.json").read_text())["passed"] is True


def test_an_edit_of_the_checkout_reaches_the_digests_and_the_jobs_past_an_installed_copy(installed,
                                                                                        copy_of_tiny_workflow,
                                                                                        tmp_path):
    """The installed copy is the unedited one, first on PYTHONPATH; the checkout's tiling and stage log
    are edited: the tile job re-runs, and its log shows that it ran the checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(installed)}
    workdir = copy_of_tiny_workflow
    checkout = checkout_copy(tmp_path)
    edit(checkout / "qaccel/export/tiling.py", "pad[axis] = (0, tiles * lanes - count)",
         "pad[axis] = (0, tiles * lanes - count + 0)")
    edit(checkout / "qaccel/workflow/stage_log.py", 'line = f"[{self.stage} ', 'line = f"[checkout {self.stage} ')
    snakefile = ("--snakefile", str(checkout / "Snakefile"))
    target = ("results/layer27/ws/tiles.npz",)
    assert planned_jobs(workdir, options=snakefile, target=target, env=env) == {"tile": 1}
    run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), *snakefile, "--cores", "1", "--workflow-profile",
                  "none", *target, env=env)
    assert "[checkout tile layer 27 ws " in (workdir / "logs/layer27/ws/tile.log").read_text()


def test_an_installed_copy_that_the_jobs_would_import_is_refused_before_any_job(installed, copy_of_tiny_workflow,
                                                                               tmp_path):
    """A sitecustomize (as some environments have) that puts the installed copy ahead of PYTHONPATH:
    the jobs would import it, the parse imports the checkout's."""
    ahead = tmp_path / "ahead"
    ahead.mkdir()
    (ahead / "sitecustomize.py").write_text(f"import sys\nsys.path.insert(0, {str(installed)!r})\n")
    env = {**os.environ, "PYTHONPATH": str(ahead)}
    workdir = copy_of_tiny_workflow
    assert imported_qaccel({**env, "PYTHONPATH": os.pathsep.join([str(REPO), str(ahead)])}, "/") == \
        str(installed / "qaccel/__init__.py")
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                           "--forcerun", "tile", "results/layer27/ws/tiles.npz", env=env, check=False)
    assert result.returncode != 0
    assert (f"two copies of qaccel: the workflow is parsed with {REPO / 'qaccel'}, but its jobs would import "
            f"{installed / 'qaccel'}") in result.stdout
    assert "rule tile:" not in result.stdout
