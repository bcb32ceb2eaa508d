"""Helpers for the RTL tests: cocotb unit benches (each pytest test builds one RTL top with cocotb's
Python runner, ``cocotb_tools.runner``, and runs a cocotb test module from ``benches/``), and
random layers for the core-level tests, which run on the no-Python bench (qaccel.rtl.build)."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
from cocotb_tools.runner import get_runner

from qaccel.rtl.build import RTL_DIR, ensure_verilator_on_path, rtl_sources, verilator_environment

BENCHES = Path(__file__).resolve().parent / "benches"
# The simulator process imports bench modules through sys.path (the runner passes it on).
sys.path.insert(0, str(BENCHES))

SIMULATORS = ["icarus", "verilator"]
TIMESCALE = ("1ns", "1ps")


def cocotb_build(simulator: str, parameters: dict, build_dir: Path, toplevel: str, defines: dict | None = None):
    """Build ``toplevel`` (a block of rtl/, or the core) with cocotb's runner, with Verilog
    ``defines`` (e.g. a mutant's macros); returns the runner."""
    if simulator == "verilator":
        ensure_verilator_on_path()
        os.environ.update(verilator_environment())  # cocotb's runner builds in this process's environment
    runner = get_runner(simulator)
    build_dir.mkdir(parents=True, exist_ok=True)
    runner.build(sources=rtl_sources(RTL_DIR), hdl_toplevel=toplevel, parameters=parameters, defines=defines or {},
                 build_dir=build_dir, timescale=TIMESCALE, always=True, log_file=build_dir / "build.log")
    return runner


def failed_tests(results_xml: Path, module: str, testcase: str | None) -> dict[str, str]:
    """{test name: failure message} of a cocotb results XML; every test if the file is missing,
    and the filter if no test ran or ``testcase`` was not among them (cocotb runs a filter that
    matches nothing as zero tests, and passes)."""
    if not Path(results_xml).is_file():
        return {"*": f"no results file {results_xml}: the simulator did not finish"}
    failed, ran = {}, []
    for case in ElementTree.parse(results_xml).getroot().iter("testcase"):
        ran.append(case.get("name"))
        for outcome in ("failure", "error"):
            element = case.find(outcome)
            if element is not None:
                failed[case.get("name")] = element.get("message") or element.text or outcome
    if not ran or (testcase is not None and testcase not in ran):
        failed[testcase or "*"] = (f"no cocotb test of benches/{module}.py is named {testcase!r} (tests that ran: "
                                   f"{ran or 'none'})" if testcase else f"benches/{module}.py ran no cocotb test")
    return failed


def unit_failures(build_root: Path, simulator: str, toplevel: str, module: str, parameters: dict,
                  testcase: str | None = None, extra_env: dict | None = None,
                  mutant: str | None = None) -> dict[str, str]:
    """Build ``toplevel`` (once per simulator, parameter set and mutant macro) and run cocotb tests
    from benches/``module``; returns {test name: failure message}, empty when all passed."""
    key = hashlib.sha1(json.dumps([parameters, mutant], sort_keys=True).encode()).hexdigest()[:8]
    build_dir = build_root / f"{toplevel}-{simulator}-{key}"
    defines = {"QACCEL_MUTANTS": 1, mutant: 1} if mutant else {}
    runner = cocotb_build(simulator, parameters, build_dir, toplevel, defines)
    results = build_dir / f"{testcase or 'tests'}.results.xml"
    try:
        runner.test(test_module=module, testcase=testcase, hdl_toplevel=toplevel, build_dir=build_dir,
                    test_dir=build_dir, extra_env=extra_env or {}, results_xml=str(results))
    except SystemExit:
        pass  # under pytest the runner exits on a failed test; the results file says which
    return failed_tests(results, module, testcase)


def run_unit(build_root: Path, simulator: str, toplevel: str, module: str, parameters: dict,
             testcase: str | None = None, extra_env: dict | None = None, mutant: str | None = None) -> None:
    """unit_failures, failing with the cocotb failure messages."""
    failures = unit_failures(build_root, simulator, toplevel, module, parameters, testcase, extra_env, mutant)
    assert not failures, "\n".join(f"{name}: {message}" for name, message in failures.items())


def random_layer(rng: np.random.Generator, cin: int, cout: int, height: int, width: int, act_low: int = 0,
                 act_high: int = 15, weight_low: int = -8, weight_high: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Random integers of one layer, the extremes forced into a few places: activations (cin, h, w)
    and weights (cout, cin, 3, 3)."""
    act = rng.integers(act_low, act_high + 1, size=(cin, height, width))
    weight = rng.integers(weight_low, weight_high + 1, size=(cout, cin, 3, 3))
    act.flat[0], act.flat[-1] = act_high, act_low
    weight.flat[0], weight.flat[-1] = weight_low, weight_high
    return act, weight


def flip_bit(path, line: int, field: int, bits: int) -> None:
    """Flip the least significant bit of ``field`` (0 = rightmost) on 1-based ``line``."""
    lines = path.read_text().split("\n")
    text = lines[line - 1]
    position = len(text) - field * bits - 1
    lines[line - 1] = text[:position] + ("1" if text[position] == "0" else "0") + text[position + 1 :]
    path.write_text("\n".join(lines))
