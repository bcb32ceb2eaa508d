"""The Snakefile and rules files are snakefmt-clean, and `snakemake --lint` finds nothing but its
note on conda or container environments (the workflow runs in the environment install.sh builds)."""
import re
import subprocess
import sys

from support import REPO, run_snakemake

CONDA_NOTE = "Specify a conda environment or container for each rule."


def test_rules_files_are_snakefmt_clean():
    files = [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]
    result = subprocess.run([sys.executable, "-m", "snakefmt", "--check", *map(str, files)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_snakemake_lint_finds_only_the_conda_note(tmp_path):
    result = run_snakemake(tmp_path, "--configfile", str(REPO / "config.yaml"), "--lint", "--workflow-profile",
                           "none", check=False)
    titles = re.findall(r"^    \* (.+):$", result.stdout, flags=re.MULTILINE)
    linted_rules = re.findall(r"^Lints for rule (\w+) ", result.stdout, flags=re.MULTILINE)
    assert "Lints for snakefile" not in result.stdout, result.stdout
    assert set(titles) == {CONDA_NOTE} and len(titles) == len(linted_rules) > 0, result.stdout
