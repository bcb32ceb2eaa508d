"""Energy of a run on the core: the bench's event counts times a per-event energy table.

The table is Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
45 nm, 0.9 V. The arithmetic, 8 KB SRAM and DRAM figures were checked against an open energy model
that quotes the paper (stillwater-sc/universal, generic_45nm.hpp), the 32 KB and 1 MB figures
against another public project's table of the paper's memory figures:
- integer add: 8 bit 0.03 pJ, 32 bit 0.1 pJ; integer multiply: 8 bit 0.2 pJ, 32 bit 3.1 pJ;
- a 64-bit SRAM access: 10 pJ from 8 KB, 20 pJ from 32 KB, 100 pJ from 1 MB;
- DRAM: 1.3 to 2.6 nJ per 64 bits.

How the table is applied (each a stated choice, not from the paper):
- an adder's energy is proportional to its width (anchored at 32 bits: 8 bits gives 0.025 pJ,
  the paper's 0.03); a multiplier's to the product of its operand widths (anchored at 8 x 8: 32 x
  32 gives 3.2 pJ, the paper's 3.1). A PE's multiply-add is one (act_bits + 1) x weight_bits
  multiply (the activation's sign bit) and one psum_bits add;
- an SRAM access costs the 64-bit figure for the memory's size, scaled by the port's width / 64;
  between the paper's sizes the 64-bit figure is interpolated on log-log axes, and extrapolated
  beyond them with the slope of the nearest pair;
- the memories are the build's (their depth is what the build holds, not what a layer fills);
- DRAM traffic is priced at the low end of the paper's range (1.3 nJ per 64 bits): the beats the
  core's DMA reads (a chain: every tile's weights and constants, counted by the bench), and what the
  host moves for a run (the program, the map, a layer program's weights and constants written into
  the core's memories; the accumulator's words read out, or the words of levels the last DRAIN
  sends), each also as the SRAM access that writes or reads it (a DMA beat: one write of the weight
  memory's beat, or of one lane's constant memory). Both dataflows take the layer's map (the core
  pads and gathers it by addressing); the weights and the constants count once per image and layer
  (one image at a time); the levels count as the core sends them, COLS lanes of LEVEL_BITS (16-bit
  lanes for 4-bit levels: the host does not pack them);
- a step of the array counts ROWS x COLS multiply-adds (padding steps too: the word is zero, the
  array still clocks it), but a step whose tap lies in the padding reads no activation word;
- a DRAIN's requantization: per accumulator word, each lane's constants read from its own constant
  memory and one psum_bits x mult_bits multiply and one (psum_bits + mult_bits)-bit add;
- registers, wires, skew buffers, the output de-skew and the clock tree are not counted; nor are the
  max-pool's compares (on the core) or the classifier (on the host).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from qaccel.rtl.isa import INSTRUCTION_BITS

ADD_32_BIT_PJ = 0.1
MULTIPLY_8X8_PJ = 0.2
SRAM_64_BIT_PJ = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))  # (bytes, pJ per 64-bit access)
DRAM_PJ_PER_64_BITS = 1300.0
SOURCE = "Horowitz, ISSCC 2014, 45 nm (qaccel/hw/energy.py states how it is applied)"


def add_pj(bits: int) -> float:
    return ADD_32_BIT_PJ * bits / 32


def multiply_pj(a_bits: int, b_bits: int) -> float:
    return MULTIPLY_8X8_PJ * a_bits * b_bits / 64


def sram_access_pj(size_bytes: float, width_bits: int) -> float:
    """One access of ``width_bits`` to an SRAM of ``size_bytes``."""
    if size_bytes <= 0 or width_bits <= 0:
        raise ValueError(f"an SRAM of {size_bytes} bytes accessed {width_bits} bits wide")
    pairs = list(zip(SRAM_64_BIT_PJ, SRAM_64_BIT_PJ[1:]))
    (low_size, low_pj), (high_size, high_pj) = next(
        (pair for pair in pairs if size_bytes <= pair[1][0]), pairs[-1])
    slope = math.log(high_pj / low_pj) / math.log(high_size / low_size)
    per_64_bits = low_pj * (size_bytes / low_size) ** slope
    return per_64_bits * width_bits / 64


@dataclass(frozen=True)
class Memory:
    """An on-chip memory of the core: its name, words and word width."""

    name: str
    words: int
    width_bits: int

    @property
    def size_bytes(self) -> float:
        return self.words * self.width_bits / 8

    @property
    def access_pj(self) -> float:
        return sram_access_pj(self.size_bytes, self.width_bits)

    def as_dict(self) -> dict:
        return {"words": self.words, "width_bits": self.width_bits, "kilobytes": self.size_bytes / 1024,
                "access_pj": self.access_pj}


def core_memories(parameters) -> dict[str, Memory]:
    """The core's memories in a build (a ``qaccel.rtl.build.BenchParameters``); ``wgt`` holds beats of
    weight words (rtl/core.v); ``const`` is one lane's constant memory (the read-out has one per
    column)."""
    verilog = parameters.verilog()
    return {
        "instr": Memory("instr", 1 << verilog["INSTR_ADDR_BITS"], INSTRUCTION_BITS),
        "act": Memory("act", verilog.get("ACT_WORDS", 1 << parameters.act_addr_bits),
                      parameters.rows * parameters.act_bits),
        "wgt": Memory("wgt", (1 << parameters.wgt_addr_bits) // parameters.shape.weight_beat_words,
                      parameters.shape.weight_beat_words * parameters.cols * parameters.weight_bits),
        "acc": Memory("acc", 1 << parameters.acc_addr_bits, parameters.cols * parameters.psum_bits),
        "const": Memory("const", 1 << parameters.const_addr_bits, parameters.shape.constant_bits),
    }


# The bench's counters of each memory's accesses while the core runs (rtl/bench/layer_bench.v).
RUN_ACCESSES = {"instr": ("instr_reads",), "act": ("act_reads",), "wgt": ("wgt_reads", "dma_weight_beats"),
                "acc": ("acc_reads", "acc_writes"), "const": ("const_reads", "dma_const_beats")}


def host_words(program) -> dict[str, int]:
    """The words the host moves for one run of ``program`` (a ``qaccel.rtl.program.LayerProgram``), per
    memory: the instructions, weight beats and activations it writes; the accumulator words it reads, or
    with a DRAIN the constants it writes (one lane's set each) and the words of levels it takes."""
    drained = program.readout is not None
    return {"instr": len(program.instructions), "act": len(program.act_lanes),
            "wgt": program.wgt_words // program.shape.weight_beat_words,
            "acc": 0 if drained else program.acc_words,
            "const": program.out_tiles * program.shape.cols if drained else 0,
            "levels": program.level_words}


def chain_host_words(program) -> list[dict[str, int]]:
    """The words the host moves for one image of a chain (``qaccel.rtl.program.ChainProgram``), layer by
    layer: each layer's LOAD, RUN and DRAIN (the last its HALT too); the first map in (layer 0) and the
    last layer's levels out. The weights and constants come by DMA (the bench counts those beats), and
    the maps between layers stay on chip (the bench still takes every DRAIN's levels from the level
    port to check them; they are not priced as DRAM)."""
    last = len(program.layers) - 1
    return [{"instr": 3 + (index == last), "act": len(program.act_lanes) if index == 0 else 0,
             "wgt": 0, "acc": 0, "const": 0, "levels": layer.level_words if index == last else 0}
            for index, layer in enumerate(program.layers)]


def run_energy(values: dict[str, int], parameters, moved_words: dict[str, int]) -> dict:
    """A run's events and energy (pJ) by part, from its result line's counters ``values`` and the words
    the host moved for it (``host_words``)."""
    memories = core_memories(parameters)
    macs = values["act_steps"] * parameters.rows * parameters.cols
    accumulator_adds = values["acc_add_rows"] * parameters.cols
    requantizations = values["requant_words"] * parameters.cols
    mac_pj = multiply_pj(parameters.act_bits + 1, parameters.weight_bits) + add_pj(parameters.psum_bits)
    requant_pj = (multiply_pj(parameters.psum_bits, parameters.mult_bits)
                  + add_pj(parameters.psum_bits + parameters.mult_bits))
    compute = macs * mac_pj + accumulator_adds * add_pj(parameters.psum_bits) + requantizations * requant_pj
    accesses = {name: sum(values[counter] for counter in RUN_ACCESSES[name]) + moved_words[name]
                for name in memories}
    sram = {name: accesses[name] * memory.access_pj for name, memory in memories.items()}
    level_word_bits = parameters.cols * parameters.level_bits
    dram_bits = (sum(moved_words[name] * memory.width_bits for name, memory in memories.items())
                 + moved_words["levels"] * level_word_bits + values["dram_beats"] * parameters.shape.dram_beat_bits)
    dram = dram_bits / 64 * DRAM_PJ_PER_64_BITS
    return {
        "events": {"macs": macs, "accumulator_adds": accumulator_adds, "requantizations": requantizations,
                   **{f"{name}_accesses": count for name, count in accesses.items()}},
        "dram_bytes": dram_bits / 8,
        "pj": {"compute": compute, "sram": sum(sram.values()), "dram": dram,
               **{f"sram_{name}": pj for name, pj in sram.items()}},
        "total_uj": (compute + sum(sram.values()) + dram) / 1e6,
    }


def split_uj(energy: dict) -> dict[str, float]:
    """compute / sram / dram / total in µJ, from ``run_energy``'s result."""
    pj = energy["pj"]
    return {"compute": pj["compute"] / 1e6, "sram": pj["sram"] / 1e6, "dram": pj["dram"] / 1e6,
            "total": energy["total_uj"]}
