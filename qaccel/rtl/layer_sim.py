"""One layer's vector set on a built core: the pipeline's ``simulate`` rule and the RTL tests.

Every value the core produces is checked against the vector files: each row of partial sums that
leaves the array (the bench's monitor; WS: the psum files, OS: the out_os files), the accumulator's
sums before ReLU, and its ReLU'd read-out (out.txt). The cycle count is compared with the core's
formula, the per-fold model and the ideal.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from qaccel.hw.energy import SOURCE, core_memories, host_words, run_energy

from .bench_run import SimulationError, describe_stuck, run_programs
from .build import BenchBuild
from .check import compare, locate
from .cycles import core_cycles, ideal_cycles, fold_model_cycles, watchdog_cycles
from .program import LayerProgram, compile_layer
from .vector_set import VectorSet, read_vector_set


def expected_stream(vector_set: VectorSet, program: LayerProgram) -> np.ndarray:
    """(rows, cols): every row the array emits, in order, from the vector files."""
    stream = np.zeros((program.stream_rows, program.shape.cols), dtype=np.int64)
    covered = np.zeros(stream.shape, dtype=bool)
    for expectation in vector_set.expectations:
        if expectation.produced == "stream":
            stream[expectation.items, expectation.lanes] = expectation.values
            covered[expectation.items, expectation.lanes] = True
    if not covered.all():
        row = int(np.argwhere(~covered)[0][0])
        raise SimulationError(f"{vector_set.manifest_path}: the vector files do not cover array output row {row}")
    return stream


def memory_report(program: LayerProgram) -> dict:
    """Words (and bits) of each memory this layer fills: the accumulator is sized by the outputs."""
    shape = program.shape
    act, weight, acc = len(program.act_lanes), len(program.weight_lanes), program.acc_words
    return {"act_words": act, "act_bits": act * shape.rows * shape.act_bits,
            "weight_words": weight, "weight_bits": weight * shape.cols * shape.weight_bits,
            "acc_words": acc, "acc_bits": acc * shape.cols * shape.psum_bits}


def cycle_report(program: LayerProgram, measured: int | None) -> dict:
    shape, conv = program.shape, program.conv
    formula = core_cycles(program.dataflow, conv, shape.rows, shape.cols)
    ideal = ideal_cycles(conv, shape.rows, shape.cols)
    return {"cycles": measured, "cycles_formula": formula, "model": fold_model_cycles(program.dataflow, conv, shape.rows,
                                                                                      shape.cols),
            "ideal_cycles": ideal, "utilisation": ideal / measured if measured else None, "folds": program.folds,
            "macs": conv.macs}


def simulate_layer(vector_dir: Path, build: BenchBuild, workdir: Path) -> dict:
    """Run one vector set on ``build``; returns the sim.json dict (``passed`` and what failed)."""
    shape = build.parameters.shape
    vector_set = read_vector_set(Path(vector_dir), shape)
    program = compile_layer(vector_set.dataflow, vector_set.act_int, vector_set.weight_int, shape,
                            vector_set.label)
    stream = expected_stream(vector_set, program)
    cycles = cycle_report(program, None)
    limit = watchdog_cycles(cycles["cycles_formula"])
    began = time.perf_counter()
    (run,), sim_wall = run_programs(build, program, [program.act_lanes], workdir, limit, [stream],
                                    read_relu=vector_set.relu)
    result = {"layer": vector_set.manifest.get("layer"), "dataflow": vector_set.dataflow,
              "simulator": build.simulator, "build": str(build.directory), "parameters": build.parameters.verilog(),
              "mutant": build.mutant, **{name: run.flags[name] for name in sorted(run.flags)},
              "timed_out": run.timed_out, "memory": memory_report(program), "stream_rows": program.stream_rows}
    errors = []
    if run.timed_out:
        errors.append(describe_stuck(run, program, vector_set.label, limit))
        result.update(cycle_report(program, None), values_checked=0, mismatches=None, first_mismatch=None)
    else:
        produced = {"raw": program.raw_output(run.raw),
                    "out": program.raw_output(run.relu) if vector_set.relu else program.raw_output(run.raw)}
        first, mismatches, checked = compare(vector_set.expectations, produced)
        values = run.values
        stream_first = None
        if values["mismatches"]:
            stream_first = (locate(vector_set.expectations, "stream", values["first_row"], values["first_lane"],
                                   _signed(values["first_got"], shape.psum_bits))
                            or {"file": None, "kind": "extra row", "line": None, "field": values["first_lane"],
                                "expected": None, "got": _signed(values["first_got"], shape.psum_bits),
                                "produced": "stream", "item": values["first_row"], "lane": values["first_lane"]})
        if values["rows"] != program.stream_rows:
            errors.append(f"{vector_set.label}: {values['rows']} rows of partial sums left the array, "
                          f"{program.stream_rows} expected")
        result.update(cycle_report(program, run.cycles),
                      energy={**run_energy(run.values, build.parameters, host_words(program)), "source": SOURCE,
                              "memories": {name: memory.as_dict()
                                           for name, memory in core_memories(build.parameters).items()}},
                      values_checked=checked + program.stream_rows * shape.cols,
                      mismatches=mismatches + values["mismatches"], first_mismatch=stream_first or first,
                      cycles_per_second=run.cycles / sim_wall if sim_wall > 0 else None)
        if result["mismatches"]:
            errors.append(f"{vector_set.label}: {result['mismatches']} of {result['values_checked']} values differ")
    for name, raised in run.flags.items():
        if raised:
            errors.append(f"{vector_set.label}: the core raised {name}")
    result.update(passed=not errors, error="; ".join(errors) or None, sim_wall_s=sim_wall,
                  wall_s=time.perf_counter() - began)
    return result


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value
