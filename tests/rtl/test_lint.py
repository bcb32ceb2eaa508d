"""rtl/ is lint clean: Verilator -Wall for the core (default and pipeline-style parameters, which
reach Verilator as sized 32-bit values; every mutation build) and for each block as its own top,
and Icarus -Wall for the core and the layer bench; both for the plain test bench core_tb.v."""
from __future__ import annotations

import subprocess

import pytest

from qaccel.rtl.build import BLOCK_MUTANTS, MUTANTS, RTL_DIR, bench_sources, ensure_verilator_on_path, rtl_sources

PARAMETER_SETS = [
    [],
    ["-GROWS=8", "-GCOLS=8", "-GACT_BITS=4", "-GACT_SIGNED=0", "-GWGT_BITS=4", "-GPSUM_BITS=16",
     "-GACT_ADDR_BITS=17", "-GWGT_ADDR_BITS=19", "-GACC_ADDR_BITS=13"],
    ["-GROWS=4", "-GCOLS=6", "-GACT_BITS=2", "-GWGT_BITS=2"],
    ["-GROWS=32", "-GCOLS=2", "-GACT_BITS=8", "-GWGT_BITS=8", "-GPSUM_BITS=24"],
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


@pytest.mark.parametrize("parameters", PARAMETER_SETS, ids=["defaults", "seed-widths", "4x6", "32x2"])
def test_verilator_lint_core(parameters):
    ensure_verilator_on_path()
    sources = [str(path) for path in rtl_sources()]
    run(["verilator", "--lint-only", "-Wall", "--top-module", "core", *parameters, *sources])


@pytest.mark.parametrize("mutant", MUTANTS)
def test_verilator_lint_each_mutant(mutant):
    ensure_verilator_on_path()
    sources = [str(path) for path in rtl_sources()]
    run(["verilator", "--lint-only", "-Wall", "--top-module", "core", "-DQACCEL_MUTANTS", f"-D{mutant}", *sources])


@pytest.mark.parametrize("top", [path.stem for path in sorted(RTL_DIR.glob("*.v"))])
def test_verilator_lint_each_block(top):
    ensure_verilator_on_path()
    run(["verilator", "--lint-only", "-Wall", "--top-module", top, *[str(p) for p in rtl_sources()]])


# The blocks the core does not instantiate yet: their mutation builds, and requant with odd lanes,
# narrow sums and constants wider than 64 bits (its shifter then spans 72).
BLOCK_BUILDS = ([(top, []) for top in sorted(set(BLOCK_MUTANTS.values()))]
                + [(top, ["-DQACCEL_MUTANTS", f"-D{mutant}"]) for mutant, top in BLOCK_MUTANTS.items()]
                + [("requant", ["-GCOLS=3", "-GPSUM_BITS=24", "-GMULT_BITS=30", "-GBIAS_BITS=70", "-GOUT_BITS=8"])])


@pytest.mark.parametrize("top, options", BLOCK_BUILDS, ids=lambda value: value if isinstance(value, str) else
                         " ".join(value).replace("-DQACCEL_MUTANTS -D", "") or "default")
def test_verilator_lint_block_builds(top, options):
    ensure_verilator_on_path()
    run(["verilator", "--lint-only", "-Wall", "--top-module", top, *options, *[str(p) for p in rtl_sources()]])


@pytest.mark.parametrize("top, options", BLOCK_BUILDS, ids=lambda value: value if isinstance(value, str) else
                         " ".join(value).replace("-DQACCEL_MUTANTS -D", "") or "default")
def test_icarus_wall_block_builds(tmp_path, top, options):
    options = [option.replace("-G", f"-P{top}.") for option in options]
    output = run(["iverilog", "-Wall", "-g2005", "-o", str(tmp_path / f"{top}.vvp"), "-s", top, *options,
                  *[str(path) for path in rtl_sources()]])
    assert output == "", f"iverilog -Wall warnings:\n{output}"


def test_icarus_wall(tmp_path):
    output = run(["iverilog", "-Wall", "-g2005", "-o", str(tmp_path / "core.vvp"), "-s", "core",
                  *[str(path) for path in rtl_sources()]])
    assert output == "", f"iverilog -Wall warnings:\n{output}"


def test_icarus_wall_layer_bench(tmp_path):
    output = run(["iverilog", "-Wall", "-g2005", "-DQACCEL_SELF_CLOCK", "-o", str(tmp_path / "bench.vvp"),
                  "-s", "layer_bench", *[str(path) for path in bench_sources()]])
    assert output == "", f"iverilog -Wall warnings:\n{output}"


def core_tb_sources() -> list[str]:
    return [str(path) for path in rtl_sources()] + [str(RTL_DIR / "bench" / "core_tb.v")]


def test_icarus_wall_core_tb(tmp_path):
    output = run(["iverilog", "-Wall", "-g2005", "-o", str(tmp_path / "core_tb.vvp"), "-s", "core_tb",
                  *core_tb_sources()])
    assert output == "", f"iverilog -Wall warnings:\n{output}"


def test_verilator_lint_core_tb():
    ensure_verilator_on_path()
    run(["verilator", "--lint-only", "-Wall", "--timing", "--top-module", "core_tb", *core_tb_sources()])
