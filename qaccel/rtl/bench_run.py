"""Run layer programs on a built bench (rtl/bench/layer_bench.v) and read back what the core did.

Python writes the memory images and the expected stream as hex files, starts the simulator once
for a batch of runs that share the program and the weights (one run per image), and reads the
result lines and accumulator dumps after it exits: nothing in Python runs per cycle.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import hexfile
from .build import BenchBuild
from .program import ChainProgram, LayerProgram, weight_beats

# The controller's states (rtl/controller.v), for naming where a stuck core stood.
CONTROLLER_STATES = {0: "IDLE", 1: "FETCH", 2: "DECODE", 3: "RUN (issuing folds)",
                     4: "FINISH (HALT, waiting for the last results to reach the accumulator)", 5: "DONE",
                     6: "DRAIN (the read-out sending levels)"}
STATUS_FLAGS = ("bad_instruction", "fifo_overflow", "acc_overflow")


class SimulationError(RuntimeError):
    """The simulator failed, timed out or reported a fault."""


@dataclass(frozen=True)
class DramTiming:
    """The bench's DRAM model (rtl/bench/layer_bench.v): a request's first beat ``latency`` cycles after
    it is taken, then ``bytes_per_cycle`` on average, at most a beat per cycle."""

    latency: int = 100
    bytes_per_cycle: float = 16

    def plusargs(self) -> list[str]:
        bits = round(self.bytes_per_cycle * 8)
        if self.latency < 0 or bits < 1 or bits != self.bytes_per_cycle * 8:
            raise SimulationError(f"DRAM timing {self}: the latency must be at least 0 cycles and the bandwidth a "
                                  f"whole number of bits per cycle, at least 1")
        return [f"+dram_latency={self.latency}", f"+dram_bits_per_cycle={bits}"]


@dataclass
class CoreRun:
    """One run of a program: the bench's result line and the accumulator read back."""

    values: dict[str, int]
    raw: np.ndarray | None = None    # (acc_words, cols) accumulator, raw sums (no DRAIN)
    relu: np.ndarray | None = None   # the same read out with ReLU
    levels: np.ndarray | None = None  # (level_words, cols) the words of levels a DRAIN sent, unsigned
    flags: dict[str, bool] = field(default_factory=dict)
    # A chain's: the counts (perf_cycles and the events) as they stood at the end of each DRAIN.
    drain_ends: list[dict[str, int]] | None = None

    def layer_values(self) -> list[dict[str, int]]:
        """A chain's counts layer by layer: what each layer's RUN and DRAIN added (the last layer also
        its HALT's), from the counts at each DRAIN's end and the run's totals."""
        ends = [*self.drain_ends[:-1], self.values]
        before = [dict.fromkeys(ends[0], 0), *ends[:-1]]
        return [{key: end[key] - start[key] for key in self.drain_ends[0]} for start, end in zip(before, ends)]

    @property
    def cycles(self) -> int:
        return self.values["perf_cycles"]

    @property
    def timed_out(self) -> bool:
        return bool(self.values["timeout"])


# Values the bench prints in hex (the rest are decimal).
HEX_VALUES = ("first_expected", "first_got")


def parse_result_line(line: str, where: str) -> dict[str, int]:
    """The `key value` pairs of one result line (``where``: its file and line, for errors). A
    value with unknown bits (x or z: an X left the core) is a SimulationError naming it."""
    words = line.split()
    values = {}
    for key, value in zip(words[::2], words[1::2]):
        try:
            values[key] = int(value, 16 if key in HEX_VALUES else 10)
        except ValueError:
            unknown = set(value.lower()) & set("xz")
            reason = "unknown bits (x/z): an X left the core" if unknown else "not a number"
            raise SimulationError(f"{where}: {key} is {value!r}, {reason}") from None
    return values


def _read_levels(path: Path, sent: int, program: LayerProgram | ChainProgram) -> np.ndarray:
    """The words of levels a run's DRAIN sent (unsigned lanes); a count other than the program's is an error."""
    if sent != program.level_words:
        raise SimulationError(f"{path.parent}: the core sent {sent} words of levels, the program's DRAINs "
                              f"{program.level_words}")
    bits = program.shape.level_bits
    words = hexfile.read_words(path, program.shape.cols, bits, "the levels the core sent")
    return np.where(words < 0, words + (1 << bits), words)


def _read_drain_ends(path: Path, drains: int) -> list[dict[str, int]]:
    """The bench's +layer_out file: the counts at the end of each DRAIN, one line each."""
    ends = [parse_result_line(line, f"{path} line {number}")
            for number, line in enumerate(path.read_text().splitlines(), start=1)]
    if len(ends) != drains:
        raise SimulationError(f"{path}: {len(ends)} DRAINs ended, the program has {drains}")
    return ends


def describe_stuck(run: CoreRun, program: LayerProgram | ChainProgram, label: str, max_cycles: int) -> str:
    """Where the controller stood when the watchdog fired."""
    values = run.values
    state = CONTROLLER_STATES.get(values["state"], f"state {values['state']}")
    pc = values["pc"]
    instruction = program.instructions[pc] if pc < len(program.instructions) else "past the program"
    return (f"{label}: no done after {max_cycles} cycles (the watchdog, from the cycle model): the controller "
            f"stood in {state} at instruction {pc} ({instruction}), fold {values['fold']} of {program.folds}")


def host_address_bits(parameters) -> int:
    """The core's host port address width (rtl/core.v's derived HOST_ADDR_BITS)."""
    return max(parameters.act_addr_bits, parameters.wgt_addr_bits, parameters.instr_addr_bits,
               parameters.const_addr_bits + parameters.shape.lane_bits)


def write_constants(path: Path, program: LayerProgram | ChainProgram, parameters) -> int:
    """The bench's +const file: {host address, data} per output channel; returns the entries."""
    data_bits = program.shape.constant_bits
    entries = program.constant_entries()
    if program.constant_tiles > 1 << parameters.const_addr_bits:
        raise SimulationError(f"{program.where}: {program.constant_tiles} output-channel tiles of constants, the "
                              f"build holds {1 << parameters.const_addr_bits}")
    digits = -(-(host_address_bits(parameters) + data_bits) // 4)
    Path(path).write_text("".join(f"{address << data_bits | data:0{digits}x}\n" for address, data in entries))
    return len(entries)


def run_programs(build: BenchBuild, program: LayerProgram | ChainProgram, activations: list[np.ndarray], workdir: Path,
                 max_cycles: int, expected_stream: list[np.ndarray] | None = None, read_relu: bool = False,
                 timeout_s: float | None = None, dram: DramTiming = DramTiming()) -> tuple[list[CoreRun], float]:
    """Run ``program`` once per activation image (each (words, rows) lanes); returns the runs and
    the simulator's wall time. ``expected_stream`` (one (rows, cols) array per run) turns on the
    bench's monitor of every row that leaves the array; ``dram`` times a chain's DMA."""
    shape = program.shape
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    parameters = build.parameters
    chained = isinstance(program, ChainProgram)
    for memory, words, bits in (("instr", len(program.instructions), parameters.instr_addr_bits),
                                ("act", max(program.act_words, *(len(a) for a in activations)),
                                 parameters.act_addr_bits),
                                ("wgt", program.wgt_words, parameters.wgt_addr_bits),
                                ("acc", program.acc_words, parameters.acc_addr_bits),
                                *((("DRAM", len(program.dram_bits), parameters.dram_addr_bits),) if chained else ())):
        if words > 1 << bits:
            raise SimulationError(f"{program.where}: needs {words} {memory} memory words, the build in "
                                  f"{build.directory} has {1 << bits}")
    if program.level_words > parameters.level_words:
        raise SimulationError(f"{program.where}: its DRAINs send {program.level_words} words of levels, the bench in "
                              f"{build.directory} keeps {parameters.level_words}")
    (workdir / "instr.hex").write_text("".join(instruction.hex() + "\n" for instruction in program.instructions))
    for index, act in enumerate(activations):
        hexfile.write_words(workdir / f"act_{index}.hex", act, shape.act_bits)
    plusargs = [f"+instr={workdir / 'instr.hex'}", f"+act={workdir / 'act_'}",
                f"+runs={len(activations)}", f"+max_cycles={max_cycles}", f"+result={workdir / 'result.txt'}"]
    if chained:  # the weights and constants come from DRAM
        hexfile.write_bits(workdir / "dram.hex", program.dram_bits)
        plusargs += [f"+dram={workdir / 'dram.hex'}", *dram.plusargs()]
    else:
        hexfile.write_words(workdir / "wgt.hex", weight_beats(program.weight_lanes, shape), shape.weight_bits)
        plusargs.append(f"+wgt={workdir / 'wgt.hex'}")
    if not program.drains:  # the sums, read back through the host port
        plusargs += [f"+acc_words={program.acc_words}", f"+acc_out={workdir / 'acc_'}"]
        if read_relu:
            plusargs.append(f"+relu_out={workdir / 'relu_'}")
    else:  # the levels the DRAIN sends
        if read_relu:
            raise SimulationError("a program with a DRAIN sends levels; there is no ReLU read-out of its sums")
        entries = write_constants(workdir / "const.hex", program, parameters)
        plusargs += [f"+const={workdir / 'const.hex'}", f"+const_entries={entries}",
                     f"+level_out={workdir / 'levels_'}"]
    if chained:
        plusargs.append(f"+layer_out={workdir / 'layers_'}")
    if expected_stream is not None:
        rows = len(expected_stream[0])
        if rows > 1 << parameters.expect_addr_bits:
            raise SimulationError(f"{rows} expected stream rows exceed the build's monitor memory "
                                  f"({1 << parameters.expect_addr_bits})")
        for index, stream in enumerate(expected_stream):
            hexfile.write_words(workdir / f"expect_{index}.hex", stream, shape.psum_bits)
        plusargs += [f"+expect={workdir / 'expect_'}", f"+expect_rows={rows}"]
    (workdir / "result.txt").unlink(missing_ok=True)
    began = time.perf_counter()
    try:
        completed = subprocess.run([*build.command, *plusargs], capture_output=True, text=True, timeout=timeout_s,
                                   cwd=workdir)
    except subprocess.TimeoutExpired as error:
        raise SimulationError(f"{build.command[0]} did not finish within {timeout_s} s in {workdir}") from error
    wall = time.perf_counter() - began
    (workdir / "sim.log").write_text(completed.stdout + completed.stderr)
    result_path = workdir / "result.txt"
    lines = result_path.read_text().splitlines() if result_path.is_file() else []
    if completed.returncode != 0 or not lines:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-20:])
        raise SimulationError(f"{build.simulator} bench exited with {completed.returncode} and {len(lines)} result "
                              f"line(s); see {workdir / 'sim.log'}:\n{tail}")
    runs = []
    for number, line in enumerate(lines, start=1):
        values = parse_result_line(line, f"{result_path} line {number}")
        run = CoreRun(values, flags={name: bool(values[name]) for name in STATUS_FLAGS})
        if not run.timed_out:
            index = values["run"]
            try:
                if chained:
                    run.drain_ends = _read_drain_ends(workdir / f"layers_{index}.txt", len(program.layers))
                if program.drains:
                    run.levels = _read_levels(workdir / f"levels_{index}.hex", values["levels"], program)
                else:
                    run.raw = hexfile.read_words(workdir / f"acc_{index}.hex", shape.cols, shape.psum_bits,
                                                 "the accumulator memory (raw read-out)")
                if read_relu:
                    run.relu = hexfile.read_words(workdir / f"relu_{index}.hex", shape.cols, shape.psum_bits,
                                                  "the accumulator memory (ReLU read-out)")
            except hexfile.UnknownBitsError as error:
                raise SimulationError(f"run {index}: {error}") from error
        runs.append(run)
    return runs, wall
