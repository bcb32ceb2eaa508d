"""The energy table against the paper's own figures (Horowitz, ISSCC 2014), and a run's energy
worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest

from qaccel.hw.energy import add_pj, core_memories, host_words, multiply_pj, run_energy, split_uj, sram_access_pj
from qaccel.rtl.build import BenchParameters
from qaccel.rtl.program import ConvShape, CoreShape, Readout, compile_layer, with_readout


@pytest.mark.parametrize("size_bytes, pj", [(8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0)])
def test_a_64_bit_access_costs_the_papers_figure_at_its_sizes(size_bytes, pj):
    assert sram_access_pj(size_bytes, 64) == pytest.approx(pj, rel=1e-12)


def test_sram_energy_scales_with_width_and_grows_with_size_between_and_beyond_the_papers_sizes():
    assert sram_access_pj(8 * 1024, 128) == pytest.approx(20.0)
    # log-log: 16 KB lies halfway between 8 KB (10 pJ) and 32 KB (20 pJ): 10 * sqrt(2)
    assert sram_access_pj(16 * 1024, 64) == pytest.approx(10 * 2 ** 0.5)
    # below 8 KB the 8-32 KB slope (1/2): 2 KB costs 10 / 2
    assert sram_access_pj(2 * 1024, 64) == pytest.approx(5.0)
    # above 1 MB the 32 KB-1 MB slope: 32 MB costs 100 * 5
    assert sram_access_pj(32 * 1024 * 1024, 64) == pytest.approx(500.0)


def test_the_arithmetic_scaling_meets_the_papers_other_figures():
    assert add_pj(32) == 0.1 and multiply_pj(8, 8) == 0.2  # the anchors
    assert add_pj(8) == pytest.approx(0.03, abs=0.006)      # the paper: 0.03 pJ
    assert multiply_pj(32, 32) == pytest.approx(3.1, rel=0.04)  # the paper: 3.1 pJ


def test_a_memory_of_no_size_is_refused():
    with pytest.raises(ValueError, match="an SRAM of 0 bytes accessed 64 bits wide"):
        sram_access_pj(0, 64)


def test_a_runs_energy_from_its_counts_by_hand():
    parameters = BenchParameters(rows=2, cols=2, act_bits=8, weight_bits=4, psum_bits=32, act_signed=True,
                                 act_addr_bits=10, wgt_addr_bits=8, acc_addr_bits=12, expect_addr_bits=4,
                                 mult_bits=24, level_bits=16, const_addr_bits=4)
    memories = core_memories(parameters)
    # act: 1024 words x 16 bits = 2 KB; wgt: 256 x 8 bits = 256 B, 16 beats of 16 words (128 bits);
    # acc: 4096 x 64 bits = 32 KB; instr: 16 x 256 bits = 512 B; one lane's constants: 16 x (6 + 56 + 24)
    # bits = 172 B.
    assert {name: m.size_bytes for name, m in memories.items()} == {"instr": 512, "act": 2048, "wgt": 256,
                                                                      "acc": 32768, "const": 172}
    values = {"instr_reads": 2, "act_steps": 50, "act_reads": 50, "wgt_reads": 20, "acc_reads": 10, "acc_writes": 10,
              "acc_add_rows": 10, "requant_words": 3, "const_reads": 6, "dram_beats": 3, "dma_stalls": 5,
              "dma_weight_beats": 2, "dma_const_beats": 1}
    moved = {"instr": 2, "act": 40, "wgt": 8, "acc": 6, "const": 4, "levels": 5}
    energy = run_energy(values, parameters, moved)
    mac = 0.2 * 9 * 4 / 64 + 0.1  # a 9 x 4-bit multiply and a 32-bit add
    requantization = 0.2 * 32 * 24 / 64 + 0.1 * 56 / 32  # a 32 x 24-bit multiply and a 56-bit add
    assert energy["events"] == {"macs": 200, "accumulator_adds": 20, "requantizations": 6, "instr_accesses": 4,
                                "act_accesses": 90, "wgt_accesses": 30, "acc_accesses": 26, "const_accesses": 11}
    assert energy["pj"]["compute"] == pytest.approx(200 * mac + 20 * 0.1 + 6 * requantization)
    # 8 KB-32 KB slope 1/2 below 8 KB: 512 B -> 2.5 pJ per 64 bits, 2 KB -> 5, 256 B -> 10 / sqrt(32)
    assert energy["pj"]["sram_instr"] == pytest.approx(4 * 2.5 * 256 / 64)
    assert energy["pj"]["sram_act"] == pytest.approx(90 * 5.0 * 16 / 64)
    assert energy["pj"]["sram_wgt"] == pytest.approx(30 * 10 / 32 ** 0.5 * 128 / 64)
    assert energy["pj"]["sram_acc"] == pytest.approx(26 * 20.0)
    const_pj = 10 * (172 / 8192) ** 0.5 * 86 / 64
    assert energy["pj"]["sram_const"] == pytest.approx(11 * const_pj)
    # moved: 2 x 256 + 40 x 16 + 8 x 128 (weight beats) + 6 x 64 + 4 x 86 (constants) + 5 x 32 (levels: 2
    # lanes of 16) = 3064 bits; the DMA's 3 beats of 128 bits: 3448 bits
    assert energy["dram_bytes"] == 431 and energy["pj"]["dram"] == pytest.approx(3448 / 64 * 1300.0)
    assert split_uj(energy) == pytest.approx({"compute": energy["pj"]["compute"] / 1e6,
                                              "sram": energy["pj"]["sram"] / 1e6, "dram": 3448 / 64 * 1300 / 1e6,
                                              "total": energy["total_uj"]})
    assert energy["total_uj"] == pytest.approx((200 * mac + 2.0 + 6 * requantization + 4 * 10 + 90 * 1.25
                                                + 30 * 10 / 32 ** 0.5 * 2 + 26 * 20 + 11 * const_pj
                                                + 3448 / 64 * 1300) / 1e6)


def test_the_host_moves_the_program_weights_activations_and_read_out():
    shape = CoreShape(2, 2, 8, 4, 32, True)
    conv = ConvShape(3, 5, 2, 3)
    rng = np.random.default_rng(0)
    act = rng.integers(-128, 128, (3, 2, 3))
    weight = rng.integers(-8, 8, (5, 3, 3, 3))
    program = compile_layer("os", act, weight, shape, "test")
    # OS: the map, 2 input tiles x 6 pixels; 3 output tiles x 2 input tiles x 9 taps x 2 channels of
    # weight words, 16 to a beat (8-bit words, 128-bit beats): 7 beats; 3 output tiles x 6 pixels read
    # back; RUN and HALT.
    assert host_words(program) == {"instr": 2, "act": 2 * 6, "wgt": 7, "acc": 3 * 6, "const": 0, "levels": 0}
    # With a DRAIN the host writes each lane's constants of the 3 output tiles and takes the levels
    # (3 tiles x 6 pixels) instead of the sums.
    readout = Readout(np.arange(5), np.zeros(5, dtype=np.int64), np.ones(5, dtype=np.int64), 4, pool=False)
    drained = with_readout(program, readout, "test")
    assert [instruction.opcode.name for instruction in drained.instructions] == ["RUN_OS", "DRAIN", "HALT"]
    assert host_words(drained) == {"instr": 3, "act": 2 * 6, "wgt": 7, "acc": 0, "const": 3 * 2,
                                   "levels": 3 * 6}
