"""rtl/ is lint clean: Verilator -Wall for the core (default and pipeline-style parameters, which
reach Verilator as sized 32-bit values) and for each block as its own top, and Icarus -Wall."""
from __future__ import annotations

import subprocess

import pytest

from qaccel.rtl.runner import RTL_DIR, ensure_verilator_on_path, rtl_sources

PARAMETER_SETS = [
    [],
    ["-GROWS=8", "-GCOLS=8", "-GACT_BITS=4", "-GWGT_BITS=4", "-GPSUM_BITS=16", "-GADDR_BITS=9"],
    ["-GROWS=4", "-GCOLS=6", "-GADDR_BITS=12"],
]


def run(command: list[str]) -> str:
    completed = subprocess.run(command, capture_output=True, text=True)
    output = (completed.stdout + completed.stderr).strip()
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{output}"
    return output


def test_one_module_per_file():
    for source in rtl_sources():
        modules = [line.split()[1].split("#")[0].rstrip("(") for line in source.read_text().splitlines()
                   if line.startswith("module ")]
        assert modules == [source.stem], f"{source}: modules {modules}"


@pytest.mark.parametrize("parameters", PARAMETER_SETS, ids=["defaults", "pipeline", "4x6"])
def test_verilator_lint_core(parameters):
    ensure_verilator_on_path()
    sources = [str(path) for path in rtl_sources()]
    run(["verilator", "--lint-only", "-Wall", "--top-module", "core", *parameters, *sources])


@pytest.mark.parametrize("top", [path.stem for path in sorted(RTL_DIR.glob("*.v"))])
def test_verilator_lint_each_block(top):
    ensure_verilator_on_path()
    run(["verilator", "--lint-only", "-Wall", "--top-module", top, *[str(p) for p in rtl_sources()]])


def test_icarus_wall(tmp_path):
    output = run(["iverilog", "-Wall", "-g2005", "-o", str(tmp_path / "core.vvp"), "-s", "core",
                  *[str(path) for path in rtl_sources()]])
    assert output == "", f"iverilog -Wall warnings:\n{output}"
