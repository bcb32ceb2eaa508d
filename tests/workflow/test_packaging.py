"""`pip install .` without -e runs the workflow: the schema ships as package data, the workflow finds
rtl/ beside its Snakefile, and the rule scripts import the installed copy."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from support import REPO, config_args, run_snakemake

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


def test_the_installed_package_holds_the_schema_and_runs_the_rules(installed, copy_of_tiny_workflow):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    workdir = copy_of_tiny_workflow
    found = subprocess.run([sys.executable, "-c", "import qaccel; print(qaccel.__file__)"], env=env, cwd=workdir,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert found == str(installed / "qaccel/__init__.py")
    assert (installed / "qaccel/workflow/config.schema.yaml").read_text() == (REPO / "qaccel/workflow/config.schema.yaml").read_text()
    result = run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--cores", "1", "--workflow-profile", "none",
                           "--forcerun", "tile", "results/layer27/ws/sim.json", env=env)
    assert "rule simulate:" in result.stdout
    assert json.loads((workdir / "results/layer27/ws/sim.json").read_text())["passed"] is True
