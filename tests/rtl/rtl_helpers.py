"""Helpers for the cocotb benches: each pytest test builds one RTL top with cocotb's
Python runner (``cocotb_tools.runner``) and runs a cocotb test module from ``benches/``."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from qaccel.export import export_layer
from qaccel.rtl.runner import build_core, failed_tests, run_bench

from support import HW_8X8

BENCHES = Path(__file__).resolve().parent / "benches"
# The simulator process imports bench modules through sys.path (the runner passes it on).
sys.path.insert(0, str(BENCHES))

SIMULATORS = ["icarus", "verilator"]
# One ADDR_BITS for every integration test, so each simulator builds the core once per session.
SHARED_ADDR_BITS = 11


def run_unit(build_root: Path, simulator: str, toplevel: str, module: str, parameters: dict,
             testcase: str | None = None, extra_env: dict | None = None) -> None:
    """Build ``toplevel`` (once per simulator and parameter set) and run cocotb tests from
    benches/``module``; fail with the cocotb failure messages."""
    key = hashlib.sha1(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:8]
    build_dir = build_root / f"{toplevel}-{simulator}-{key}"
    runner = build_core(simulator, parameters, build_dir, toplevel=toplevel, log_file=build_dir / "build.log")
    results = run_bench(runner, build_dir, module, testcase, extra_env or {}, toplevel=toplevel)
    failures = failed_tests(results)
    assert not failures, "\n".join(f"{name}: {message}" for name, message in failures.items())


def random_layer(out_dir: Path, rng: np.random.Generator, cin: int, cout: int, height: int, width: int,
                 relu: bool, layer: int | None = None) -> Path:
    """Export a random integer layer for both dataflows; returns the dir holding ws/ and os/.

    Activations cover 0..15 and weights -8..7, with the extremes forced into a few places."""
    act = rng.integers(0, 16, size=(cin, height, width))
    weight = rng.integers(-8, 8, size=(cout, cin, 3, 3))
    act.flat[0], weight.flat[0], weight.flat[-1] = 15, -8, 7
    for dataflow in ("ws", "os"):
        export_layer(out_dir / dataflow, dataflow, act, weight, relu, HW_8X8, layer=layer)
    return out_dir
